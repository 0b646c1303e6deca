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

Offboarding, the reverse saga from the record (shared/offboard_plan.py decides): preflight
(record; what the workspace holds, who else links the gateway; refused while it holds APIs or
products unless forced) -> approval (POLICY_OFFBOARD_REQUIRE_APPROVAL, on by default) -> the
team's grants (not shared ones) -> the private DNS it made -> its link -> its gateway, if its
run made it and nobody else links it (waited until gone) -> the workspace -> the subnet's prior
delegation and NSG, the NSG it made -> the record. Each removal is the onboarding's own undo
activity (idempotent, 404 is done, removes only what the team's run made). A removal that
cannot succeed is held for an operator (retry it, or give up); nothing is put back, and the
record and the run's error list what is left.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators.context import OrchestrationContext
from orchestrators.ledger import Gen, Ledger, StepFailed
from shared import activity_table as acts
from shared import names
from shared.access_plan import added_parts, plan_access_change
from shared.apim_models import GatewayStateInput
from shared.offboard_plan import OffboardPlan, plan_offboarding
from shared.operator_events import parse_approval
from shared.saga_models import SagaInput, SagaPolicy
from shared.saga_plan import passed
from shared.team_models import (
    HandOverInput,
    OffboardPreflightInput,
    ReadTeamInput,
    UpdateTeamInput,
)
from shared.team_record import RunRef, TeamRecord
from shared.team_requests import ChangeAccessRequest, OffboardRequest

ACCESS_STEPS = ("preflight", "approval", "access", "record")
OFFBOARD_STEPS = ("preflight", "approval", "access", "dns", "gateway", "workspace", "network",
                  "record")  # fmt: skip
# A gateway delete is polled on durable timers (seconds, then every five minutes).
GONE_POLL_S = (30, 60, 120, 300)


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


def offboard_v1(L: Ledger, req: OffboardRequest, policy: SagaPolicy, run_id: str) -> Gen:
    team = ReadTeamInput(team=req.team, apim_service_id=req.apim_service_id,
                         workspace=req.workspace)  # fmt: skip
    lookup = yield from L.call(acts.READ_TEAM, team)
    record: TeamRecord | None = lookup.record if lookup.found else None
    if record is None or record.status == "offboarded":
        raise L.fail("preflight", f"team {req.team!r} has no onboarded workspace {req.workspace!r}")
    facts = yield from L.call(acts.OFFBOARD_PREFLIGHT, OffboardPreflightInput(
        workspace_id=record.workspace_id, gateway_id=record.gateway_id,
        link_id=record.link.record.link_id if record.link else None))  # fmt: skip
    plan = plan_offboarding(record, facts, req.force)
    if plan.refusal:
        raise L.fail("preflight", plan.refusal)
    yield from L.done("preflight")
    if policy.require_approval:
        summary = {**plan.summary(record), "force": req.force, "reason": req.reason,
                   "apis": facts.apis, "products": facts.products}  # fmt: skip
        yield from approve(L, policy, "approval of the offboarding", summary)
    run = RunRef(id=run_id, kind="offboard", at=L.clock().isoformat(), ticket_id=req.ticket_id)
    left = record
    try:
        if record.grants:
            yield from L.all(*[(acts.REMOVE_ROLE, g.record) for g in record.grants])
            left = left.model_copy(update={"grants": []})
        yield from L.done("access")
        if plan.remove_dns and record.dns is not None:
            yield from L.call(acts.UNDO_PRIVATE_DNS, record.dns.record)
            left = left.model_copy(update={"dns": None})
        yield from L.done("dns")
        if record.link is not None:
            yield from L.call(acts.UNLINK_WORKSPACE, record.link.record)
            left = left.model_copy(update={"link": None})
        if plan.delete_gateway and record.gateway is not None:
            yield from L.call(acts.DELETE_GATEWAY, record.gateway.record)
            yield from wait_until_gone(L, record.gateway.record.gateway_id, policy)
            left = left.model_copy(update={"gateway": None})
        yield from L.done("gateway")
        if record.workspace is not None:
            yield from L.call(acts.DELETE_WORKSPACE, record.workspace.record)
            left = left.model_copy(update={"workspace": None})
        yield from L.done("workspace")
        if plan.remove_network and record.network is not None:
            if record.network.subnet is not None:
                yield from L.call(acts.RESTORE_SUBNET, record.network.subnet)
            if record.network.nsg is not None:
                yield from L.call(acts.UNDO_NSG, record.network.nsg)
            left = left.model_copy(update={"network": None})
        yield from L.done("network")
    except StepFailed as failure:
        # Nothing is put back: the record keeps what is still there, and the error says it.
        yield from L.call(acts.UPDATE_TEAM, UpdateTeamInput(**team.model_dump(), run=run.model_copy(
            update={"outcome": "Failed"}), left=left, offboarded=False))  # fmt: skip
        left_behind = ", ".join(parts(left)) or "nothing"
        raise L.fail(failure.step, f"{failure}; left behind: {left_behind}") from None
    yield from finish_offboarding(L, team, run, left, plan, facts.other_links)


def finish_offboarding(L: Ledger, team: ReadTeamInput, run: RunRef, left: TeamRecord,
                       plan: OffboardPlan, linked: list[str]) -> Gen:  # fmt: skip
    """The record after a finished offboarding. A gateway the team made that others still use
    goes, with its network and DNS, to the record of a team that links it (its last user's
    offboarding then removes it); what stays on purpose is listed in the run's last step."""
    gateway = left.gateway
    if plan.hand_over and gateway is not None:
        handed = yield from L.call(acts.HAND_OVER_GATEWAY, HandOverInput(
            gateway=gateway, network=left.network, dns=left.dns, to_workspaces=linked,
            run=run))  # fmt: skip
        if handed.team:
            left = left.model_copy(update={"gateway": None, "network": None, "dns": None})
            L.steps["record"].created.append(
                f"gateway {gateway.record.gateway_id} handed to {handed.team}/{handed.workspace}"
            )
    yield from L.call(acts.UPDATE_TEAM, UpdateTeamInput(**team.model_dump(), run=run, left=left,
                                                        offboarded=True))  # fmt: skip
    yield from L.done("record")
    if plan.kept:  # what stays on purpose is in the record and in the run's last step
        L.steps["record"].created.extend(f"kept: {k}" for k in plan.kept)


def parts(record: TeamRecord) -> list[str]:
    """The resource ids a record still lists (for a run's error and leftovers)."""
    ids = [g.record.assignment_id for g in record.grants]
    ids += [p for p in (record.workspace_id, record.link.record.link_id if record.link else None,
                        record.gateway_id, record.dns.record.zone_id if record.dns else None)
            if p]  # fmt: skip
    if record.network is not None:
        nsg = record.network.nsg.nsg_id if record.network.nsg else None
        ids += [p for p in (record.network.subnet_id, nsg) if p]
    return ids


def wait_until_gone(L: Ledger, gateway_id: str, policy: SagaPolicy) -> Gen:
    """A gateway delete runs on in Azure: poll on durable timers until the gateway is gone."""
    deadline = L.deadline(policy.build_deadline_hours)
    polls = 0
    while True:
        presence = yield from L.call(
            acts.GATEWAY_PRESENCE, GatewayStateInput(gateway_id=gateway_id)
        )
        if not presence.exists:
            return
        if passed(L.clock(), deadline):
            raise L.fail("gateway", f"the gateway {gateway_id} is still there ({presence.state}) "
                         f"after {policy.build_deadline_hours} h")  # fmt: skip
        yield from L.wait(GONE_POLL_S[min(polls, len(GONE_POLL_S) - 1)])
        polls += 1


def offboard_body(context: OrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    inp = SagaInput.model_validate(context.get_input())
    req = OffboardRequest.model_validate(inp.request)
    skipped = () if inp.policy.require_approval else ("approval",)
    ledger = Ledger(context, req.ticket_id, inp.policy, skipped, steps=OFFBOARD_STEPS)
    procedure = offboard_v1(ledger, req, inp.policy, context.instance_id)
    return (yield from ledger.guard(procedure, "offboard"))


bp = df.Blueprint()


@bp.orchestration_trigger(context_name="context", orchestration=names.CHANGE_ACCESS)
def change_access(context: df.DurableOrchestrationContext) -> Any:
    return (yield from change_access_body(context))


@bp.orchestration_trigger(context_name="context", orchestration=names.OFFBOARD)
def offboard_team(context: df.DurableOrchestrationContext) -> Any:
    return (yield from offboard_body(context))
