"""CompensationFailed is recoverable, over the whole local stack (issue 18, item 3).

A run that cannot succeed (the failing-access sample) whose workspace delete is refused ends
CompensationFailed, listing the leftover and its undo entry; once the cause is fixed, the
operator's ``POST .../compensate`` starts ``<id>-c1``, which removes it: the simulator ends as
it was before the run.
"""

from __future__ import annotations

from shared.run_index_store import run_index_table
from tests.devhost.conftest import http
from tests.e2e.conftest import OPERATOR, Stack


def test_compensate_removes_what_a_compensation_failed_run_left(stack: Stack, sample) -> None:
    before = stack.resources()
    stack.sim.simulation.faults.add({"method": "DELETE", "path": "*/workspaces/ws-billing",
                                     "status": 403, "code": "AuthorizationFailed",
                                     "count": 1000})  # fmt: skip
    run_id = stack.submit(sample("failing-access")).body["id"]
    first = stack.wait(run_id)
    assert first["output"]["outcome"] == "CompensationFailed", first["output"]
    assert [e["activity"] for e in first["output"]["leftoverUndo"]] == ["delete_workspace"]
    assert stack.resources() != before

    url = f"{stack.api}/onboardings/{run_id}/compensate"
    refused = http("POST", url, {"reason": "too early"}, OPERATOR)
    assert refused.status == 202  # accepted: it runs, and fails again while the cause remains
    again = stack.wait(refused.body["id"])
    assert again["output"]["outcome"] == "CompensationFailed"
    assert again["output"]["compensationOf"] == run_id

    stack.sim.simulation.faults.rules.clear()  # the operator granted the missing permission
    reply = http("POST", f"{stack.api}/onboardings/{again['id']}/compensate", {}, OPERATOR)
    assert reply.status == 202, reply.body
    assert reply.body["id"] == f"{run_id}-c2" and reply.body["compensationOf"] == run_id
    done = stack.wait(reply.body["id"])
    assert done["output"]["outcome"] == "Compensated", done["output"]
    assert done["output"]["leftovers"] == []
    assert stack.resources() == before
    row = run_index_table().get(run_id)  # the ticket's run: no longer needs an operator
    assert row and row["outcome"] == "Compensated"
    assert f"compensation retried as {run_id}-c2" in row["lastAction"]
    assert http("POST", f"{stack.api}/onboardings/{done['id']}/compensate", {},
                OPERATOR).status == 409  # fmt: skip
