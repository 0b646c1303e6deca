"""The runs that follow an onboarding (issue 15): change a team's access, offboard it.

Each is its own orchestration (new names: the onboarding saga's yields are untouched), written
in the saga's style: the ledger (orchestrators/ledger.py) runs the activities of the table with
classified retries, records what each made, holds a failed call for an operator when policy
says so, and undoes in reverse when a step cannot succeed. Decisions are the pure plans of
shared/access_plan.py; the team's record is read at the start and written at the end by
activities, so a replay reads the same record and never writes twice.

Change of access: preflight (the team's record, the plan) -> approval (when
POLICY_CHANGE_ACCESS_REQUIRE_APPROVAL) -> the grants to add, side by side -> the grants to
release, side by side -> the record. A failure undoes the adds and puts released grants back.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators.context import OrchestrationContext
from orchestrators.ledger import Gen, Ledger
from shared import activity_table as acts
from shared import names
from shared.access_plan import added_parts, plan_access_change
from shared.operator_events import parse_approval
from shared.saga_models import SagaInput, SagaPolicy
from shared.team_models import ReadTeamInput, UpdateTeamInput
from shared.team_record import RunRef
from shared.team_requests import ChangeAccessRequest

ACCESS_STEPS = ("preflight", "approval", "access", "record")


def approve(L: Ledger, policy: SagaPolicy, what: str, summary: dict[str, Any]) -> Gen:
    """The approval gate before the first write; the approver sees ``summary``."""
    deadline = L.deadline(policy.approval_timeout_hours)
    answer = yield from L.wait_for_operator("approval", names.EVENT_APPROVAL, what, deadline,
                                            asks={"approval": summary})  # fmt: skip
    if answer is None:
        raise L.fail("approval", f"no approval before {deadline.isoformat()}")
    decision = parse_approval(answer)
    if not decision.approved:
        raise L.fail("approval", f"not approved: {decision.reason}")
    yield from L.done("approval")


def change_access_v1(L: Ledger, req: ChangeAccessRequest, policy: SagaPolicy, run_id: str) -> Gen:
    team = ReadTeamInput(team=req.team, apim_service_id=req.apim_service_id,
                         workspace=req.workspace)  # fmt: skip
    lookup = yield from L.call(acts.READ_TEAM, team)
    plan = plan_access_change(req, lookup.record if lookup.found else None, run_id)
    if plan.problems:
        raise L.fail("preflight", "; ".join(f"{p.field}: {p.message}" for p in plan.problems))
    yield from L.done("preflight")
    if policy.require_approval:
        summary = {"team": req.team, "workspace": req.workspace, **plan.summary()}
        yield from approve(L, policy, "approval of the change of access", summary)
    added = (yield from L.all(*[(acts.ASSIGN_ROLE, a) for a in plan.adds])) if plan.adds else []
    released = (
        (yield from L.all(*[(acts.RELEASE_GRANT, r) for r in plan.removes]))
        if plan.removes else []
    )  # fmt: skip
    yield from L.done("access")
    run = RunRef(id=run_id, kind="changeAccess", at=L.clock().isoformat(), ticket_id=req.ticket_id)
    yield from L.call(acts.UPDATE_TEAM, UpdateTeamInput(
        **team.model_dump(), run=run, added=added_parts(added, req.apim_service_id, run_id),
        removed=[r.record.assignment_id for r in released]))  # fmt: skip
    yield from L.done("record")


def change_access_body(context: OrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    inp = SagaInput.model_validate(context.get_input())
    req = ChangeAccessRequest.model_validate(inp.request)
    skipped = () if inp.policy.require_approval else ("approval",)
    ledger = Ledger(context, req.ticket_id, inp.policy, skipped, steps=ACCESS_STEPS)
    procedure = change_access_v1(ledger, req, inp.policy, context.instance_id)
    return (yield from ledger.guard(procedure, "changeAccess"))


bp = df.Blueprint()


@bp.orchestration_trigger(context_name="context", orchestration=names.CHANGE_ACCESS)
def change_access(context: df.DurableOrchestrationContext) -> Any:
    return (yield from change_access_body(context))
