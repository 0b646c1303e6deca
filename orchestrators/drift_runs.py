"""The drift check and the repair (issue 15, item 4), in the saga's style.

Drift check (``drift_check``, started daily by the timer in triggers/drift_api.py or on demand):
the active team records -> what ARM holds for each, read side by side -> the comparison
(shared/drift.py, pure) -> each team's findings stored and announced (one ``drift`` event per
team). Read only.

Repair (``repair_team``, an operator's action): the team's record and what ARM holds now ->
the recorded state to re-apply (missing grants, NSG rules, subnet delegation and NSG
association, the DNS A record), shown to an approver (POLICY_REPAIR_REQUIRE_APPROVAL, on by
default) -> re-applied with the onboarding's own activities, as the run that made each part
(marks, tags, reliance rows unchanged) -> the record notes the repair and the drift is checked
again. A repair puts things back; it never undoes them: a step that cannot succeed is held for
an operator and the run ends Failed without compensating.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators.context import OrchestrationContext
from orchestrators.ledger import Gen, Ledger, StepFailed
from orchestrators.team_runs import approve
from shared import activity_table as acts
from shared import names
from shared.drift import (
    DriftCheckInput,
    ListTeamsInput,
    ObserveInput,
    RepairRequest,
    TeamDrift,
    compare,
    repair_plan,
)
from shared.saga_models import SagaInput, SagaPolicy
from shared.team_models import ReadTeamInput, UpdateTeamInput
from shared.team_record import RunRef, TeamRecord

DRIFT_STEPS = ("preflight", "observe", "record")
REPAIR_STEPS = ("preflight", "approval", "observe", "access", "network", "dns", "record")


def check_teams(L: Ledger, records: list[TeamRecord], run_id: str) -> Gen:
    """Observe, compare and record every team in ``records``; the drifts found."""
    seen = (
        (yield from L.all(*[(acts.OBSERVE_TEAM, ObserveInput(record=r)) for r in records]))
        if records else []
    )  # fmt: skip
    yield from L.done("observe")
    at = L.clock().isoformat()
    drifts = [TeamDrift(team=r.team, workspace=r.workspace_name, apim_service_id=r.apim_service_id,
                        checked_at=at, run=run_id, findings=compare(r, o))
              for r, o in zip(records, seen, strict=True)]  # fmt: skip
    if drifts:
        yield from L.all(*[(acts.RECORD_DRIFT, d) for d in drifts])
    L.steps["record"].created.extend(
        f"{d.team}/{d.workspace}: {len(d.findings)} finding(s)" for d in drifts)  # fmt: skip
    yield from L.done("record")
    return drifts


def drift_check_v1(L: Ledger, inp: DriftCheckInput, run_id: str) -> Gen:
    listed = yield from L.call(acts.LIST_TEAMS, ListTeamsInput(team=inp.team))
    yield from L.done("preflight")
    yield from check_teams(L, listed.records, run_id)


def repair_v1(L: Ledger, req: RepairRequest, policy: SagaPolicy, run_id: str) -> Gen:
    team = ReadTeamInput(team=req.team, apim_service_id=req.apim_service_id,
                         workspace=req.workspace)  # fmt: skip
    lookup = yield from L.call(acts.READ_TEAM, team)
    record: TeamRecord | None = lookup.record if lookup.found else None
    if record is None or record.status != "active":
        raise L.fail("preflight", f"team {req.team!r} has no active workspace {req.workspace!r}")
    seen = yield from L.call(acts.OBSERVE_TEAM, ObserveInput(record=record))
    plan = repair_plan(record, compare(record, seen))
    yield from L.done("preflight")
    if plan.empty:
        L.steps["record"].created.append("nothing to repair")
    elif policy.require_approval:
        summary = {"team": req.team, "workspace": req.workspace, "reason": req.reason,
                   **plan.summary()}  # fmt: skip
        yield from approve(L, policy, "approval of the repair", summary)
    try:
        if plan.grants:
            yield from L.all(*[(acts.ASSIGN_ROLE, g) for g in plan.grants])
        yield from L.done("access")
        if plan.nsg is not None:
            yield from L.call(acts.ENSURE_NSG, plan.nsg)
        if plan.subnet is not None:
            yield from L.call(acts.CONFIGURE_SUBNET, plan.subnet)
        yield from L.done("network")
        if plan.dns is not None:
            yield from L.call(acts.ENSURE_PRIVATE_DNS, plan.dns)
        yield from L.done("dns")
    except StepFailed:
        L.undo.clear()  # a repair never takes back what it put back, nor the team's resources
        raise
    run = RunRef(id=run_id, kind="repair", at=L.clock().isoformat(), ticket_id=req.ticket_id)
    yield from L.call(acts.UPDATE_TEAM, UpdateTeamInput(**team.model_dump(), run=run))
    yield from check_teams(L, [record], run_id)  # the drift as it is after the repair


def drift_check_body(context: OrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    inp = DriftCheckInput.model_validate(context.get_input() or {})
    ledger = Ledger(context, context.instance_id, SagaPolicy(), (), steps=DRIFT_STEPS)
    return (yield from ledger.guard(drift_check_v1(ledger, inp, context.instance_id), "drift"))


def repair_body(context: OrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    inp = SagaInput.model_validate(context.get_input())
    req = RepairRequest.model_validate(inp.request)
    skipped = () if inp.policy.require_approval else ("approval",)
    ledger = Ledger(context, req.ticket_id, inp.policy, skipped, steps=REPAIR_STEPS)
    procedure = repair_v1(ledger, req, inp.policy, context.instance_id)
    return (yield from ledger.guard(procedure, "repair"))


bp = df.Blueprint()


@bp.orchestration_trigger(context_name="context", orchestration=names.DRIFT_CHECK)
def drift_check(context: df.DurableOrchestrationContext) -> Any:
    return (yield from drift_check_body(context))


@bp.orchestration_trigger(context_name="context", orchestration=names.REPAIR_TEAM)
def repair_team(context: df.DurableOrchestrationContext) -> Any:
    return (yield from repair_body(context))
