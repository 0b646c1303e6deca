"""The team record (issue 15, item 1): built from an onboarding's undo entries, changed per run."""

from __future__ import annotations

from typing import Any

from shared.access_models import RoleRecord
from shared.team_record import (
    GrantPart,
    RunRef,
    TeamRecord,
    apply_access_change,
    from_onboarding,
    mark_offboarded,
    merge_onboarding,
    team_key,
)
from tests.unit.fake_azure import ALICE, SERVICE, SHARED_GW, SUBNET, request

RUN = "onboard-chg1"
AT = "2026-01-01T00:00:00+00:00"
GW = SERVICE.split("/service/")[0] + "/gateways/gw-payments"
NSG = SUBNET.split("/virtualNetworks/")[0] + "/networkSecurityGroups/nsg-gw"


def _role(scope: str, role: str, created: bool = True) -> dict[str, Any]:
    return {"assignmentId": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{role[:4]}",
            "created": created, "instanceId": RUN, "roleName": role, "principalId": ALICE,
            "principalType": "User"}  # fmt: skip


def _entries(shared: bool = False) -> list[tuple[str, dict[str, Any]]]:
    ws = f"{SERVICE}/workspaces/ws-payments"
    gw = SHARED_GW if shared else GW
    entries = [
        ("delete_workspace", {"workspaceId": ws, "created": True}),
        ("remove_role", _role(SERVICE, "API Management Service Workspace API Developer", False)),
        ("remove_role", _role(ws, "API Management Workspace Contributor")),
        ("unlink_workspace", {"linkId": f"{gw}/configConnections/ws-payments", "created": True,
                              "state": "Updating"}),
        ("remove_role", _role(gw, "Reader")),
    ]  # fmt: skip
    if not shared:
        entries[1:1] = [
            ("undo_nsg", {"nsgId": NSG, "created": True, "addedRules": []}),
            ("restore_subnet", {"subnetId": SUBNET, "changed": True,
                                "priorDelegations": ["Microsoft.Sql/managedInstances"],
                                "priorNsgId": None}),
            ("delete_gateway", {"gatewayId": GW, "created": True}),
            ("undo_private_dns", {"zoneId": "/subscriptions/s/resourceGroups/rg-dns/providers/"
                                  "Microsoft.Network/privateDnsZones/gw.azure-api.net",
                                  "vnetId": "v", "zoneCreated": True, "linkCreated": True,
                                  "recordCreated": True, "privateIp": "10.20.1.4"}),
        ]  # fmt: skip
    return entries


def test_an_injection_onboarding_records_every_part_with_its_prior_state_and_run():
    record = from_onboarding(request("injection"), _entries(), RUN, AT)
    assert record.team == "payments" and record.workspace_name == "ws-payments"
    assert record.workspace and record.workspace.record.created and record.workspace.run == RUN
    assert record.gateway and record.gateway.shared is False and record.gateway.record.created
    assert record.link and record.link.record.link_id.endswith("/configConnections/ws-payments")
    assert record.network and record.network.nsg and record.network.nsg.created
    assert record.network.subnet and record.network.subnet.prior_delegations == [
        "Microsoft.Sql/managedInstances"]  # fmt: skip
    assert record.dns and record.dns.zone_name == "gw.azure-api.net"
    assert record.dns.private_ip == "10.20.1.4"
    scopes = {(g.scope, g.role, g.record.created) for g in record.grants}
    assert scopes == {
        ("service", "API Management Service Workspace API Developer", False),
        ("workspace", "API Management Workspace Contributor", True),
        ("gateway", "Reader", True),
    }
    assert [r.id for r in record.runs] == [RUN]


def test_a_shared_gateway_is_recorded_as_joined_not_created():
    record = from_onboarding(request("integration", shared=True), _entries(shared=True), RUN, AT)
    assert record.gateway and record.gateway.shared and not record.gateway.record.created
    assert record.gateway.record.gateway_id == SHARED_GW
    assert record.network is None and record.dns is None


def test_a_deferred_link_is_replaced_by_the_link_made_after_the_build():
    entries = _entries()
    link = next(p for a, p in entries if a == "unlink_workspace")
    deferred = (
        "unlink_workspace",
        {**link, "created": False, "deferred": True, "state": "Deferred"},
    )
    record = from_onboarding(request("injection"), [deferred, *entries], RUN, AT)
    assert record.link and record.link.record.created and not record.link.record.deferred
    only_deferred = from_onboarding(request("injection"), [deferred], RUN, AT)
    assert only_deferred.link is None


def test_writing_the_same_onboarding_again_keeps_the_stored_record():
    first = from_onboarding(request("injection"), _entries(), RUN, AT)
    changed = apply_access_change(first, [], [first.grants[0].record.assignment_id],
                                  RunRef(id="access-chg2", kind="changeAccess", at=AT))  # fmt: skip
    assert merge_onboarding(changed, first) is changed  # a re-run of the publish: no change
    assert merge_onboarding(None, first) is first


def test_access_changes_apply_once_per_run():
    record = from_onboarding(request("injection"), _entries(), RUN, AT)
    bob = GrantPart(principal_id="b0b00000-0000-4000-8000-000000000002", principal_type="User",
                    scope="workspace", role="API Management Workspace Reader",
                    record=RoleRecord(assignment_id="x/providers/Microsoft.Authorization/"
                                      "roleAssignments/1", created=True, instance_id="access-c2"),
                    run="access-c2")  # fmt: skip
    gone = record.grants[1].record.assignment_id
    run = RunRef(id="access-c2", kind="changeAccess", at=AT)
    after = apply_access_change(record, [bob], [gone], run)
    assert len(after.grants) == 3 and after.grant(bob.principal_id, "workspace", bob.role)
    assert all(g.record.assignment_id != gone for g in after.grants)
    assert apply_access_change(after, [bob], [gone], run) is after
    assert [r.kind for r in after.runs] == ["onboard", "changeAccess"]


def test_offboarding_empties_the_record_or_keeps_what_was_left():
    record = from_onboarding(request("injection"), _entries(), RUN, AT)
    run = RunRef(id="offboard-c3", kind="offboard", at=AT)
    empty = record.model_copy(update={"workspace": None, "grants": [], "link": None})
    gone = mark_offboarded(record, run, empty, done=True)
    assert gone.status == "offboarded" and gone.workspace is None and gone.grants == []
    assert [r.kind for r in gone.runs] == ["onboard", "offboard"]
    left = record.model_copy(update={"grants": record.grants[:1]})
    partly = mark_offboarded(record, run, left, done=False)
    assert partly.status == "active" and len(partly.grants) == 1
    assert mark_offboarded(gone, run, left, done=False) is gone  # once per run


def test_keys_are_table_safe_and_separate_teams_services_and_workspaces():
    keys = {team_key("payments", SERVICE, "ws-a"), team_key("payments", SERVICE.upper(), "ws-a"),
            team_key("payments", SERVICE, "ws-b"), team_key("Payments", SERVICE, "ws-a")}  # fmt: skip
    assert len(keys) == 3  # the service id compares case-insensitively, names exactly
    assert all(k.isalnum() for k in keys)


def test_a_record_survives_its_json_form():
    record = from_onboarding(request("injection"), _entries(), RUN, AT)
    again = TeamRecord.model_validate_json(record.model_dump_json(by_alias=True))
    assert again == record


def test_the_cli_shows_each_part_whether_made_or_found_and_the_run():
    from cli.main import build_parser
    from cli.team_commands import describe_record

    record = from_onboarding(request("injection"), _entries(), RUN, AT)
    lines = describe_record(record.model_dump(by_alias=True, mode="json"))
    text = "\n".join(lines)
    assert "workspace ws-payments" in lines[0]
    assert f"[made by {RUN}]" in text and f"[found by {RUN}]" in text  # the service grant
    assert "prior delegation Microsoft.Sql/managedInstances" in text and "A @ 10.20.1.4" in text
    args = build_parser().parse_args(["teams", "payments"])
    assert (args.command, args.team) == ("teams", "payments")


def test_a_team_takes_over_a_gateway_its_maker_left_once_per_run():
    from shared.team_record import take_over

    maker = from_onboarding(request("injection"), _entries(), RUN, AT)
    joiner = from_onboarding(request("integration", shared=True), _entries(shared=True),
                             "onboard-chg2", AT)  # fmt: skip
    run = RunRef(id="offboard-c3", kind="offboard", at=AT)
    assert maker.gateway is not None
    heir = take_over(joiner, maker.gateway, maker.network, maker.dns, run)
    assert heir.gateway and heir.gateway.record.created and not heir.gateway.shared
    assert heir.network == maker.network and heir.dns == maker.dns  # still the maker's run
    assert take_over(heir, maker.gateway, None, None, run) is heir
