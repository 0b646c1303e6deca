"""Linking workspaces to gateways (configConnections) and reading workspace links."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.apimanagement.models import (
    ApiManagementGatewayConfigConnectionResource,
    WorkspaceContract,
)

from tests.simulator.conftest import APIM_ID, APIM_RG

SVC = "apim-contoso"


def _workspace(apim, name: str) -> str:
    ws = apim.workspace.create_or_update(
        APIM_RG, SVC, name, WorkspaceContract(display_name=name, description="")
    )
    return ws.id


def _link(apim, gateway: str, name: str, source: str):
    return apim.api_gateway_config_connection.begin_create_or_update(
        APIM_RG, gateway, name, ApiManagementGatewayConfigConnectionResource(source_id=source)
    )


def test_link_to_shared_gateway_is_an_lro_ending_succeeded(apim, sim):
    source = _workspace(apim, "ws-payments")
    link = _link(apim, "gw-shared", "ws-payments", source).result()
    assert link.provisioning_state == "Succeeded"
    assert link.source_id == source
    assert link.default_hostname.endswith(".azure-api.net")
    polls = [r for r in sim.requests() if "/operationresults/" in r["path"]]
    assert (
        len(polls) == 2
    )  # one InProgress answer, then Succeeded (configConnectionInProgressPolls)


def test_workspace_link_lists_the_gateway(apim):
    _link(apim, "gw-shared", "ws-payments", _workspace(apim, "ws-payments")).result()
    link = apim.api_management_workspace_link.get(APIM_RG, SVC, "ws-payments")
    assert link.workspace_id == f"{APIM_ID}/workspaces/ws-payments"
    assert [g.id.rsplit("/", 1)[1] for g in link.gateways] == ["gw-shared"]


def test_link_twice_is_idempotent(apim):
    source = _workspace(apim, "ws-payments")
    for _ in range(2):
        _link(apim, "gw-shared", "ws-payments", source).result()
    names = [
        c.name for c in apim.api_gateway_config_connection.list_by_gateway(APIM_RG, "gw-shared")
    ]
    assert names == ["ws-payments"]


def test_link_to_missing_workspace_is_refused(apim):
    with pytest.raises(HttpResponseError) as err:
        _link(apim, "gw-shared", "ws-none", f"{APIM_ID}/workspaces/ws-none")
    assert err.value.error.code == "ValidationError"


def test_pre_2025_04_15_gateway_serves_one_workspace(apim):
    with pytest.raises(HttpResponseError) as err:
        _link(apim, "gw-legacy", "ws-payments", _workspace(apim, "ws-payments"))
    assert "2025-04-15" in err.value.error.details[0].message


def test_a_gateway_serves_at_most_30_workspaces(apim):
    for i in range(30):
        _link(apim, "gw-shared", f"ws-{i}", _workspace(apim, f"ws-{i}")).result()
    with pytest.raises(HttpResponseError) as err:
        _link(apim, "gw-shared", "ws-30", _workspace(apim, "ws-30"))
    assert "30" in err.value.error.details[0].message


def test_delete_needs_if_match_and_then_is_gone(apim, sim):
    _link(apim, "gw-shared", "ws-payments", _workspace(apim, "ws-payments")).result()
    apim.api_gateway_config_connection.begin_delete(
        APIM_RG, "gw-shared", "ws-payments", if_match="*"
    ).result()
    with pytest.raises(ResourceNotFoundError):
        apim.api_gateway_config_connection.get(APIM_RG, "gw-shared", "ws-payments")
    apim.api_gateway_config_connection.begin_delete(
        APIM_RG, "gw-shared", "ws-payments", if_match="*"
    ).result()
    gateway_id = APIM_ID.split("/service/")[0] + "/gateways/gw-shared"
    status, _, body = sim.raw(
        "DELETE", f"{gateway_id}/configConnections/ws-x?api-version=2024-05-01"
    )
    assert status == 400
    assert "If-Match" in body["error"]["message"]


# The SDK checks nothing client-side (client_side_validation is off), so APIM is what refuses a
# config connection name outside 1-30 characters of ^[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$.
@pytest.mark.parametrize(
    "name", ["ws_payments", "ws.payments", "1ws", "ws-", "-ws", "w" * 31, "ws payments"]
)
def test_an_invalid_config_connection_name_is_a_400_validation_error(apim, name):
    source = _workspace(apim, "ws-payments")
    with pytest.raises(HttpResponseError) as err:
        _link(apim, "gw-shared", name, source)
    assert err.value.status_code == 400
    assert err.value.error.code == "ValidationError"
    [detail] = err.value.error.details
    assert detail.target == "configConnectionName" and name in detail.message
    assert list(apim.api_gateway_config_connection.list_by_gateway(APIM_RG, "gw-shared")) == []


@pytest.mark.parametrize("name", ["w", "w" * 30, "ws-payments-01", "W1"])
def test_a_valid_config_connection_name_of_any_allowed_length_is_accepted(apim, name):
    link = _link(apim, "gw-shared", name, _workspace(apim, "ws-payments")).result()
    assert link.name == name and link.provisioning_state == "Succeeded"
