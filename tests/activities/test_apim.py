"""APIM activities against the simulator: create/adopt, the build read by state, undo."""

from __future__ import annotations

import pytest

from activities.apim import (
    begin_gateway,
    create_workspace,
    delete_gateway,
    delete_workspace,
    get_gateway_state,
    get_link_state,
    link_workspace,
    unlink_workspace,
)
from activities.network import configure_subnet
from shared.apim_models import (
    BeginGatewayInput,
    CreateWorkspaceInput,
    LinkInput,
    LinkStateInput,
    WorkspaceRecord,
)
from shared.network_models import ConfigureSubnetInput
from shared.step_errors import StepError
from tests.simulator.conftest import APIM_ID, subnet_id

GATEWAY_ID = APIM_ID.split("/service/")[0] + "/gateways/gw-payments"
SHARED_GW = APIM_ID.split("/service/")[0] + "/gateways/gw-shared"


def _ws(instance: str = "onboard-chg1") -> CreateWorkspaceInput:
    return CreateWorkspaceInput(
        service_id=APIM_ID, name="ws-payments", display_name="Payments", instance_id=instance
    )


def _gateway(subnet: str | None) -> BeginGatewayInput:
    return BeginGatewayInput(
        gateway_id=GATEWAY_ID,
        location="West Europe",
        capacity=1,
        network_type="Internal" if subnet else "None",
        subnet_id=subnet,
        instance_id="onboard-chg1",
        ticket_id="CHG1",
    )


def test_create_workspace_twice_adopts_its_own(sim, factory):
    first = create_workspace(_ws(), factory)
    again = create_workspace(_ws(), factory)
    assert first == again
    assert first.created is True


def test_foreign_workspace_of_same_name_is_refused(sim, factory):
    create_workspace(_ws("onboard-other"), factory)
    with pytest.raises(StepError) as err:
        create_workspace(_ws(), factory)
    assert (err.value.kind, err.value.code) == ("permanent", "WorkspaceExists")


def test_workspace_on_unsupported_tier_is_permanent(sim, factory):
    inp = _ws().model_copy(update={"service_id": APIM_ID + "-dev"})
    with pytest.raises(StepError) as err:
        create_workspace(inp, factory)
    assert err.value.code == "MethodNotAllowedInPricingTier"


def test_delete_workspace_undoes_and_tolerates_gone(sim, factory):
    record = create_workspace(_ws(), factory)
    delete_workspace(record, factory)
    delete_workspace(record, factory)
    assert sim.resource(record.workspace_id) is None


def test_delete_leaves_a_workspace_this_run_did_not_create(sim, factory):
    seeded = WorkspaceRecord(workspace_id=APIM_ID + "/workspaces/ws-legacy", created=False)
    delete_workspace(seeded, factory)
    assert sim.resource(seeded.workspace_id) is not None


# The kinder switches (real ARM shows neither field: the tests below).
@pytest.mark.sim_behaviour(gatewayExposesPrivateIp=True, gatewayHostname="also-frontend")
def test_gateway_build_is_started_and_read_not_awaited(sim, factory):
    sid = subnet_id("snet-gw-a")
    configure_subnet(
        ConfigureSubnetInput(subnet_id=sid, delegation="Microsoft.Web/hostingEnvironments"), factory
    )
    record = begin_gateway(_gateway(sid), factory)
    assert get_gateway_state(record.gateway_id, factory).provisioning_state == "Created"
    assert begin_gateway(_gateway(sid), factory) == record  # a retry adopts the build
    sim.advance(hours=3)
    state = get_gateway_state(record.gateway_id, factory)
    assert state.provisioning_state == "Succeeded"
    assert state.private_ip == "10.20.1.4"
    assert state.hostname and state.hostname.startswith("gw-payments-")


def _built_injection_gateway_with_link(sim, factory) -> LinkStateInput:
    sid = subnet_id("snet-gw-a")
    configure_subnet(
        ConfigureSubnetInput(subnet_id=sid, delegation="Microsoft.Web/hostingEnvironments"), factory
    )
    begin_gateway(_gateway(sid), factory)
    ws = create_workspace(_ws(), factory)
    link = link_workspace(LinkInput(gateway_id=GATEWAY_ID, workspace_id=ws.workspace_id), factory)
    sim.advance(hours=3)
    return LinkStateInput(link_id=link.link_id)


def test_like_real_arm_a_built_gateway_has_no_ip_and_its_hostname_is_its_links(sim, factory):
    link = _built_injection_gateway_with_link(sim, factory)
    state = get_gateway_state(GATEWAY_ID, factory)
    assert state.provisioning_state == "Succeeded" and state.private_ip is None
    assert sim.resource(GATEWAY_ID)["properties"].get("frontend") is None
    assert state.hostname == get_link_state(link, factory).hostname
    assert state.hostname and state.hostname.startswith("gw-payments-")


def test_a_waiter_that_leaves_the_hostname_to_the_link_lists_no_config_connections(sim, factory):
    # issue 17, item 4: the saga reads its link after the build; that read has the hostname.
    link = _built_injection_gateway_with_link(sim, factory)
    sim.call("DELETE", "/_sim/requests")
    state = get_gateway_state(GATEWAY_ID, factory, read_links=False)
    assert state.provisioning_state == "Succeeded" and state.hostname is None
    assert [r["method"] for r in sim.requests()] == ["GET"]  # the gateway only
    assert get_link_state(link, factory).hostname == get_gateway_state(GATEWAY_ID, factory).hostname


@pytest.mark.sim_behaviour(gatewayHostname="after-succeeded")
def test_a_link_that_showed_no_hostname_while_building_gives_the_built_gateway_one(sim, factory):
    # A retried link activity finds its link made while the gateway built: no hostname then.
    sid = subnet_id("snet-gw-a")
    configure_subnet(
        ConfigureSubnetInput(subnet_id=sid, delegation="Microsoft.Web/hostingEnvironments"), factory
    )
    begin_gateway(_gateway(sid), factory)
    ws = create_workspace(_ws(), factory)
    made = LinkInput(gateway_id=GATEWAY_ID, workspace_id=ws.workspace_id)
    link_workspace(made, factory)
    sim.advance(minutes=1)
    again = link_workspace(made, factory)
    assert again.state == "Succeeded" and again.hostname is None
    assert get_gateway_state(GATEWAY_ID, factory).hostname is None  # still building
    sim.advance(hours=3)
    assert get_gateway_state(GATEWAY_ID, factory).hostname == (
        get_link_state(LinkStateInput(link_id=again.link_id), factory).hostname
    )


def test_gateway_of_another_run_is_refused(sim, factory):
    begin_gateway(_gateway(None), factory)
    other = _gateway(None).model_copy(update={"instance_id": "onboard-other"})
    with pytest.raises(StepError) as err:
        begin_gateway(other, factory)
    assert err.value.code == "GatewayExists"


def test_delete_gateway_removes_it(sim, factory):
    record = begin_gateway(_gateway(None), factory)
    delete_gateway(record, factory)
    sim.advance(minutes=30)
    assert sim.resource(record.gateway_id) is None
    delete_gateway(record, factory)


def test_link_and_unlink_on_the_shared_gateway(sim, factory):
    ws = create_workspace(_ws(), factory)
    link = link_workspace(LinkInput(gateway_id=SHARED_GW, workspace_id=ws.workspace_id), factory)
    assert (
        link_workspace(LinkInput(gateway_id=SHARED_GW, workspace_id=ws.workspace_id), factory)
        == link
    )
    # The PUT is started, not awaited: the saga polls the link to its end.
    assert link.state == "Updating" and not link.deferred
    sim.advance(seconds=10)
    assert get_link_state(LinkStateInput(link_id=link.link_id), factory).provisioning_state == (
        "Succeeded"
    )
    assert sim.resource(link.link_id)["properties"]["provisioningState"] == "Succeeded"
    unlink_workspace(link, factory)
    unlink_workspace(link, factory)
    assert sim.resource(link.link_id) is None
    assert sim.resource(SHARED_GW) is not None


def test_restoring_a_subnet_still_used_by_a_deleting_gateway_is_a_conflict_to_retry(sim, factory):
    from activities.network import restore_subnet

    sid = subnet_id("snet-gw-a")
    record = configure_subnet(
        ConfigureSubnetInput(subnet_id=sid, delegation="Microsoft.Web/hostingEnvironments"), factory
    )
    gateway = begin_gateway(_gateway(sid), factory)
    delete_gateway(gateway, factory)
    with pytest.raises(StepError) as err:
        restore_subnet(record, factory)
    assert (err.value.kind, err.value.retry_after) == ("conflict", 60.0)
    sim.advance(minutes=20)  # the gateway delete ends
    restore_subnet(record, factory)
    assert sim.resource(sid)["properties"]["delegations"] == []


def _link_during_build(sim, factory, behaviour: str):
    sim.call("POST", "/_sim/timings", {"configConnectionDuringBuild": behaviour})
    ws = create_workspace(_ws(), factory)
    begin_gateway(_gateway(None), factory)
    return link_workspace(LinkInput(gateway_id=GATEWAY_ID, workspace_id=ws.workspace_id), factory)


def _state(link, factory) -> str:
    return get_link_state(LinkStateInput(link_id=link.link_id), factory).provisioning_state


def test_a_link_accepted_during_the_build_completes_in_seconds(sim, factory):
    link = _link_during_build(sim, factory, "accept")
    sim.advance(seconds=10)
    assert (link.created, _state(link, factory)) == (True, "Succeeded")


def test_a_link_refused_during_the_build_is_deferred_with_nothing_made(sim, factory):
    link = _link_during_build(sim, factory, "refuse")
    assert link.deferred and not link.created
    assert sim.resource(link.link_id) is None
    sim.advance(hours=4)  # the build ends; now the link is made
    ws_id = f"{APIM_ID}/workspaces/ws-payments"
    again = link_workspace(LinkInput(gateway_id=GATEWAY_ID, workspace_id=ws_id), factory)
    assert again.created and not again.deferred


def test_a_link_accepted_during_the_build_may_complete_only_with_the_build(sim, factory):
    link = _link_during_build(sim, factory, "await-build")
    sim.advance(minutes=30)
    assert (link.created, _state(link, factory)) == (True, "Updating")
    sim.advance(hours=3)
    assert _state(link, factory) == "Succeeded"


def test_a_workspace_whose_name_is_no_link_name_is_linked_under_a_derived_one(sim, factory):
    # Workspace names allow 80 characters and "_"; config connection names 30, no "_" (issue
    # 12, #6): the link must still be made, under a valid name stable for the workspace.
    name = "ws_payments_with_a_rather_long_name_01"
    spec = _ws().model_copy(update={"name": name})
    ws = create_workspace(spec, factory)
    inp = LinkInput(gateway_id=SHARED_GW, workspace_id=ws.workspace_id)
    link = link_workspace(inp, factory)
    assert not link.deferred and link.created
    assert link_workspace(inp, factory) == link  # a retry finds the same link
    sim.advance(seconds=10)
    assert _state(link, factory) == "Succeeded"
    made = sim.resource(link.link_id)
    assert made["properties"]["sourceId"].lower() == ws.workspace_id.lower()
    unlink_workspace(link, factory)
    assert sim.resource(link.link_id) is None
