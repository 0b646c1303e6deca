"""Grants are shared facts: compensating one onboarding never takes away another's access.

A person (here the group team-payments) on two teams holds one service-scope assignment; the
second onboarding finds it, relies on it, and when that onboarding is compensated the first
one's grant stays (DESIGN.md §2 ownership, issue 12 item 1).
"""

from __future__ import annotations

from activities.authorization import assignment_name
from tests.e2e.conftest import Stack

SERVICE = (
    "/subscriptions/3f2e1d0c-9b8a-4765-8432-10fedcba9876/resourceGroups/rg-apim/providers/"
    "Microsoft.ApiManagement/service/apim-contoso"
)
GROUP = "9a000000-0000-4000-8000-000000000003"
SERVICE_ROLE = "API Management Service Workspace API Developer"
SERVICE_ROLE_GUID = "9565a273-41b9-4368-97d2-aeb0c976a9b3"


def _grant(scope: str, role: str) -> dict[str, str]:
    return {"principalId": GROUP, "principalType": "Group", "scope": scope, "role": role}


def test_compensating_a_second_onboarding_keeps_the_first_ones_shared_grant(
    stack: Stack, sample
) -> None:
    name = assignment_name(SERVICE, SERVICE_ROLE_GUID, GROUP)
    shared = f"{SERVICE}/providers/Microsoft.Authorization/roleAssignments/{name}"
    first = stack.submit(sample("integration-shared"))  # grants the group at service scope
    assert first.status == 202, first.body
    done = stack.wait(first.body["id"])
    assert done["output"]["outcome"] == "Succeeded", done["output"]
    assert stack.resource(shared) is not None

    # The second team's workspace-scope grant is refused for good (a permanent 403), so the
    # second onboarding is compensated after its service-scope grant (the same one) succeeded.
    stack.sim.simulation.faults.add({
        "method": "PUT", "status": 403, "code": "AuthorizationFailed",
        "path": "*/workspaces/ws-billing/providers/Microsoft.Authorization/roleAssignments/*",
        "message": "does not have authorization to perform action "
                   "'Microsoft.Authorization/roleAssignments/write'",
    })  # fmt: skip
    body = sample("failing-access", access=[
        _grant("service", SERVICE_ROLE),
        _grant("workspace", "API Management Workspace Contributor"),
    ])  # fmt: skip
    second = stack.submit(body)
    assert second.status == 202, second.body
    run = stack.wait(second.body["id"])
    assert run["output"]["outcome"] == "Compensated", run["output"]
    steps = {s["name"]: s for s in run["steps"]}
    assert steps["access"]["status"] in {"failed", "undone"}
    assert stack.resource(f"{SERVICE}/workspaces/ws-billing") is None  # its own work is undone

    assert stack.resource(shared) is not None, "the first onboarding's grant was removed"
    again = stack.view(first.body["id"]).body
    assert again["output"]["outcome"] == "Succeeded"
