"""The config-connection-during-build switch, seen through the real SDK client.

APIM does not document whether a workspace can be linked to a gateway that is still building;
each value of ``configConnectionDuringBuild`` is one possible Azure, and the app must work under
all of them (simulator/README.md, Timings).
"""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.apimanagement.models import ApiManagementGatewayConfigConnectionResource as Link

from tests.simulator.conftest import APIM_ID

RG = APIM_ID.split("/resourceGroups/")[1].split("/")[0]


@pytest.fixture
def building(sim, apim):
    from azure.mgmt.apimanagement.models import (
        ApiManagementGatewayResource,
        ApiManagementGatewaySkuProperties,
        BackendConfiguration,
    )

    apim.workspace.create_or_update(RG, "apim-contoso", "ws-link", {"displayName": "Link"})
    apim.api_gateway.begin_create_or_update(
        RG, "gw-build", ApiManagementGatewayResource(
            location="westeurope",
            sku=ApiManagementGatewaySkuProperties(name="WorkspaceGatewayPremium", capacity=1),
            backend=BackendConfiguration(), virtual_network_type="None"),
        polling=False,
    )  # fmt: skip
    return f"{APIM_ID}/workspaces/ws-link"


def _put(apim, workspace_id):
    return apim.api_gateway_config_connection.begin_create_or_update(
        RG, "gw-build", "ws-link", Link(source_id=workspace_id), polling=False
    ).result()


def test_unknown_values_of_the_switch_are_refused(sim):
    with pytest.raises(Exception, match="400"):
        sim.timings(configConnectionDuringBuild="sometimes")
    assert sim.call("GET", "/_sim/timings")["configConnectionDuringBuild"] == "accept"


def test_refuse_answers_409_while_the_gateway_builds(sim, apim, building):
    sim.timings(configConnectionDuringBuild="refuse")
    with pytest.raises(HttpResponseError) as refused:
        _put(apim, building)
    assert refused.value.status_code == 409
    sim.advance(hours=4)
    assert _put(apim, building).source_id == building


def test_await_build_keeps_the_link_updating_until_the_build_ends(sim, apim, building):
    sim.timings(configConnectionDuringBuild="await-build")
    assert _put(apim, building).provisioning_state == "Updating"
    sim.advance(hours=1)
    get = apim.api_gateway_config_connection.get
    assert get(RG, "gw-build", "ws-link").provisioning_state == "Updating"
    sim.advance(hours=3)
    assert get(RG, "gw-build", "ws-link").provisioning_state == "Succeeded"
