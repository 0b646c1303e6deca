"""After onboarding, over the whole local stack (issue 15, items 1-3): two teams share a gateway
and a person; one team's access changes; it is offboarded (Operator-only, approval by default)
and the simulator holds exactly the other team's resources and the person's other grants; a
workspace holding an API is refused without force. HTTP with app roles, devhost, simulator."""

from __future__ import annotations

from typing import Any

from tests.devhost.conftest import http
from tests.e2e.conftest import OPERATOR, REQUESTER, Stack, principal

BOB = "b0b00000-0000-4000-8000-000000000002"
CAROL = "ca201000-0000-4000-8000-000000000005"
GROUP = "9a000000-0000-4000-8000-000000000003"
SERVICE = ("/subscriptions/3f2e1d0c-9b8a-4765-8432-10fedcba9876/resourceGroups/rg-apim/providers/"
           "Microsoft.ApiManagement/service/apim-contoso")  # fmt: skip
READER = principal("Onboarding.Reader", name="auditor@contoso.example")


def _grant(who: str, scope: str, role: str, kind: str = "User") -> dict[str, str]:
    return {"principalId": who, "principalType": kind, "scope": scope, "role": role}


def _run(stack: Stack, body: dict[str, Any], headers: dict[str, str] = REQUESTER) -> dict[str, Any]:
    reply = stack.submit(body, headers)
    assert reply.status == 202, reply.body
    return stack.wait(reply.body["id"])


def _team(stack: Stack, team: str) -> dict[str, Any]:
    reply = http("GET", f"{stack.api}/teams/{team}", None, READER)
    assert reply.status == 200, reply.body
    (record,) = reply.body["workspaces"]
    return dict(record)


def _offboard(ticket: str, team: str, workspace: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "offboard", "ticketId": ticket, "team": team, "workspace": workspace,
            "requestedBy": "oncall@contoso.example", "apimServiceId": SERVICE, **extra}  # fmt: skip


def _approve_and_wait(stack: Stack, instance_id: str) -> dict[str, Any]:
    stack.advance_until(lambda: stack.waiting_for(instance_id, "approval"))
    url = f"{stack.api}/onboardings/{instance_id}/approve"
    reply = http("POST", url, {"approved": True, "reason": "CAB-15"}, OPERATOR)
    assert reply.status == 202, reply.body
    return stack.wait(instance_id)


def test_two_teams_change_of_access_and_offboarding(stack: Stack, sample) -> None:
    orders = _run(stack, sample("integration-shared"))  # the group at service, ws, gateway
    assert orders["output"]["outcome"] == "Succeeded", orders["output"]
    billing_body = sample("integration-shared", ticketId="CHG-1502", team="billing",
                          workspace={"name": "ws-billing", "displayName": "Billing"},
                          access=[_grant(GROUP, "service", "API Management Service Workspace API "
                                         "Developer", "Group"),
                                  _grant(GROUP, "gateway", "Reader", "Group"),
                                  _grant(BOB, "workspace", "API Management Workspace Reader")])  # fmt: skip
    assert _run(stack, billing_body)["output"]["outcome"] == "Succeeded"

    listed = http("GET", f"{stack.api}/teams", None, READER)
    assert [(i["team"], i["grants"]) for i in listed.body["items"]] == [("billing", 3),
                                                                          ("orders", 3)]  # fmt: skip

    change = {"kind": "changeAccess", "ticketId": "CHG-1503", "team": "orders",
              "requestedBy": "alice@contoso.example", "apimServiceId": SERVICE,
              "workspace": "ws-orders",
              "add": [_grant(CAROL, "workspace", "API Management Workspace Reader")],
              "remove": [_grant(GROUP, "workspace", "API Management Workspace Contributor",
                                "Group")]}  # fmt: skip
    changed = _run(stack, change)
    assert changed["output"]["outcome"] == "Succeeded", changed["output"]
    orders_record = _team(stack, "orders")
    assert {(g["principalId"], g["scope"]) for g in orders_record["grants"]} == {
        (GROUP, "service"), (GROUP, "gateway"), (CAROL, "workspace")}  # fmt: skip
    billing_record = _team(stack, "billing")

    before = stack.resources()
    # Offboarding is Operator-only by default
    refused = stack.submit(_offboard("CHG-1504", "orders", "ws-orders"), REQUESTER)
    assert refused.status == 403, refused.body
    reply = stack.submit(_offboard("CHG-1504", "orders", "ws-orders"), OPERATOR)
    assert reply.status == 202, reply.body
    done = _approve_and_wait(stack, reply.body["id"])
    assert done["output"]["outcome"] == "Succeeded", done["output"]
    orders_only = {orders_record["workspace"]["record"]["workspaceId"].lower(),
                   orders_record["link"]["record"]["linkId"].lower(),
                   next(g["record"]["assignmentId"] for g in orders_record["grants"]
                        if g["principalId"] == CAROL).lower()}  # fmt: skip
    assert stack.resources() == before - orders_only
    for grant in billing_record["grants"]:  # the shared group's grants stay for billing
        assert grant["record"]["assignmentId"].lower() in stack.resources()
    assert _team(stack, "orders")["status"] == "offboarded"

    # billing's workspace now holds an API: refused without force, offboarded with it
    ws = billing_record["workspace"]["record"]["workspaceId"]
    stack.sim.simulation.apim_content.put(_rid(ws + "/apis/invoices"), "apis",
                                          {"properties": {"displayName": "Invoices",
                                                          "path": "invoices"}}, {})  # fmt: skip
    blocked = stack.submit(_offboard("CHG-1505", "billing", "ws-billing"), OPERATOR)
    blocked_run = _approve_or_end(stack, blocked.body["id"])
    assert blocked_run["output"]["outcome"] == "Failed"
    assert "still holds API invoices" in blocked_run["output"]["error"]
    assert ws.lower() in stack.resources()
    forced = stack.submit(_offboard("CHG-1506", "billing", "ws-billing", force=True), OPERATOR)
    assert _approve_and_wait(stack, forced.body["id"])["output"]["outcome"] == "Succeeded"
    assert not any("/workspaces/ws-billing" in r for r in stack.resources())


def _approve_or_end(stack: Stack, instance_id: str) -> dict[str, Any]:
    """A refused offboarding ends at preflight, before its approval."""
    return stack.wait(instance_id)


def _rid(resource_id: str) -> Any:
    from simulator.ids import ResourceId

    parts = resource_id.strip("/").split("/")
    return ResourceId(parts[1], parts[3], parts[5], tuple(parts[6::2]), tuple(parts[7::2]))
