"""HTTP API: ``POST /api/onboardings`` (start or find the run, or dry run) and ``GET`` a run.

POST checks, in order and before anything starts (dry run included): the caller's app role
(401/403), the ``dryRun`` flag (400 unless a recognised boolean), the body's size (413), the
request contract (400), the deployment's guardrails (403 with ``violations``).
docs/security.md shows each answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from shared.request import OnboardingRequest, RequestInvalid
from shared.saga_models import Requester
from triggers.auth import OPERATOR, READER, REQUESTER, Principal, authorize, problem_response
from triggers.intake import (
    MAX_BODY_BYTES,
    FlagInvalid,
    RequestTooLarge,
    decode_any,
    policy_problem,
    problem,
    query_flag,
    run_id_problem,
    run_view,
    saga_input,
)
from triggers.resubmission import (
    attempts_view,
    outcome_of,
    request_of,
    start_or_resubmit,
    ticket_runs,
)
from triggers.run_views import live_view
from triggers.settings import SettingInvalid, guardrails, saga_policy
from triggers.team_intake import start_team_request

bp = df.Blueprint()
log = logging.getLogger("onboarding.http")


def _json(body: Any, status: int, headers: dict[str, str] | None = None,
          mimetype: str = "application/json") -> func.HttpResponse:  # fmt: skip
    return func.HttpResponse(
        json.dumps(body), status_code=status, mimetype=mimetype, headers=headers
    )


@bp.route(route="onboardings", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.durable_client_input(client_name="client")
async def start_onboarding(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    principal = authorize(req, REQUESTER, OPERATOR)
    if not isinstance(principal, Principal):
        return principal
    try:
        # Before the body: an unrecognised value must never be taken as "not a dry run".
        dry_run = query_flag(req.params, "dryRun")
    except FlagInvalid as bad:
        body = problem([bad.error], detail="The query parameter dryRun is invalid; nothing was "
                       "read or started.", parameter="dryRun")  # fmt: skip
        return _json(body, 400, mimetype="application/problem+json")
    try:
        request = decode_any(req.get_body())
    except RequestTooLarge as too_large:
        body = problem(
            too_large.errors,
            413,
            "The onboarding request is too large",
            f"Send at most {MAX_BODY_BYTES} bytes; nothing was read or started.",
        )
        return _json(body, 413, mimetype="application/problem+json")
    except RequestInvalid as invalid:
        return _json(problem(invalid.errors), 400, mimetype="application/problem+json")
    try:
        policy = guardrails()
    except SettingInvalid as bad:
        # The deployment's fault, not the caller's: refuse work rather than run unrestricted.
        log.error("guardrail settings unusable: %s", bad, extra={"setting": bad.setting})
        return problem_response(
            500,
            "The app's policy settings are unusable",
            f"The app setting {bad.setting} cannot be read; the platform team must fix it. "
            "Nothing was started.",
        )
    if not isinstance(request, OnboardingRequest):  # a change of access or an offboarding
        return await start_team_request(req, client, principal, request, policy, dry_run)
    violations = policy.check(request)
    instance_id = request.instance_id
    if violations:
        log.info(
            "refused %s by policy",
            instance_id,
            extra={"instanceId": instance_id, "rules": sorted({v.rule for v in violations})},
        )
        return _json(policy_problem(violations), 403, mimetype="application/problem+json")
    if dry_run:
        return await _dry_run(request, instance_id, client)
    requester = Requester(
        name=principal.name,
        object_id=principal.object_id,
        source="unauthenticated" if principal.auth_type == "disabled" else "easyauth",
        claimed=request.requested_by,
    )
    # A ticket with runs: its running or identical run is answered, a changed request after a
    # failure starts a new attempt, one after a success is refused (triggers/resubmission.py).
    run = await start_or_resubmit(
        client, request, lambda: saga_input(request, saga_policy(), requester), principal.name
    )
    base = f"{req.url.split('?')[0].rstrip('/')}"
    status_url = f"{base}/{run.run_id}"
    if run.refused:
        kind = "ticket-already-onboarded" if run.decision == "refusedSucceeded" else None
        return problem_response(
            409, "The ticket's run does not allow this request", run.detail(), kind=kind,
            id=run.previous, ticketId=request.ticket_id, changed=run.changed,
        )  # fmt: skip
    if run.existing is not None:
        body = {"id": run.run_id, "existing": True, "statusUrl": status_url,
                **run_view(run.existing), "resubmission": run.word}  # fmt: skip
        return _json(body, 200, {"Location": status_url})
    log.info(
        "started %s",
        run.run_id,
        extra={
            "instanceId": run.run_id,
            "ticketId": request.ticket_id,
            "requesterObjectId": principal.object_id,
            "resubmission": run.word,
        },
    )
    answer = {"id": run.run_id, "statusUrl": status_url}
    if run.word is not None:
        answer.update(resubmission=run.word, attemptOf=run.first, detail=run.detail())
    return _json(answer, 202, {"Location": status_url})


async def _dry_run(
    request: Any, instance_id: str, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Preflight's real reads, then the plan: the saga procedure rehearsed on their answer, and
    what it would change (shared/dry_run_plan.py); 422 problem details when a finding fails."""
    from activities.grant_check import inspect_grant  # reads only
    from activities.preflight import run_preflight  # reads only; see docs
    from orchestrators.rehearsal import rehearse  # pure: runs the procedure, schedules nothing
    from shared import dry_run_plan, resubmission
    from shared.access_models import AssignRoleInput
    from shared.saga_inputs import Run, preflight
    from shared.saga_plan import plan_for

    policy = saga_policy()
    # A ticket that has runs: its latest run's resources are its own, not someone else's.
    runs = await ticket_runs(client, instance_id)
    latest = max(runs, key=lambda s: str(s.created_time)) if runs else None
    owner = latest.instance_id if latest is not None else instance_id
    run = Run(request, plan_for(request, policy), owner)
    # The SDK reads block; run them off the event loop so other requests go on meanwhile.
    result = await asyncio.to_thread(run_preflight, preflight(run))
    # The subnet's raw body is for a run's subnet step only (issue 17, item 4): not answered.
    result = result.model_copy(update={"subnet_read": None})
    inp = {"request": request.model_dump(by_alias=True, mode="json"),
           "policy": policy.model_dump(by_alias=True, mode="json")}  # fmt: skip
    plan = rehearse(inp, result, owner)
    # What the run would change once the findings pass: the whole procedure, rehearsed.
    full = plan if result.passed else rehearse(inp, result.model_copy(update={"passed": True}),
                                               owner)  # fmt: skip
    calls = [AssignRoleInput.model_validate(c["input"]) for c in full
             if c.get("activity") == "assign_role"]  # fmt: skip
    by_grant = {(c.role_name, c.principal_id, dry_run_plan.scope_kind(c.scope)): c for c in calls}
    checks = [by_grant.get((g.role, g.principal_id, g.scope)) for g in request.access]
    found = await asyncio.gather(*(asyncio.to_thread(inspect_grant, c) if c is not None
                                   else asyncio.sleep(0, None) for c in checks))  # fmt: skip
    body: dict[str, Any] = {
        "dryRun": True, "instanceId": owner, **result.model_dump(by_alias=True), "plan": plan,
        "changes": [c.model_dump(by_alias=True, exclude_none=True)
                    for c in dry_run_plan.changes(request, result, full)],
        "grants": [g.model_dump(by_alias=True)
                   for g in dry_run_plan.grants(request, full, list(found))],
    }  # fmt: skip
    starts = True  # would a real request start a run of this plan?
    if latest is not None:
        outcome = outcome_of(latest)
        previous = request_of(latest)
        same = previous is not None and not resubmission.changed_fields(
            previous, resubmission.normalised(inp["request"]))  # fmt: skip
        decision = resubmission.decide(outcome, same)
        starts = decision == "newAttempt"
        failed_checks = ", ".join(f.check for f in result.findings if not f.ok)
        detail = (f"Ticket {request.ticket_id} already has run {latest.instance_id} ({outcome}). "
                  + ("A real request would start a new attempt of this plan." if starts else
                     f"A real request would start nothing (resubmission '{decision}')"
                     + (f"; the failed findings ({failed_checks}) are about that run's own "
                        "resources, not a conflict." if failed_checks else ".")))  # fmt: skip
        body["existingRun"] = {"id": latest.instance_id, "outcome": outcome,
                               "resubmission": decision, "detail": detail}  # fmt: skip
    if not result.passed and starts:
        failed = [f for f in result.findings if not f.ok]
        detail = "A run of this request would fail preflight: " + "; ".join(
            f"{f.check}: {f.detail}" for f in failed) + " Nothing was changed."  # fmt: skip
        return problem_response(422, "The dry run found problems", detail,
                                kind="dry-run-failed", **body)  # fmt: skip
    return _json(body, 200)


@bp.route(route="onboardings/{instance_id}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.durable_client_input(client_name="client")
async def get_onboarding(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    principal = authorize(req, READER, REQUESTER, OPERATOR)
    if not isinstance(principal, Principal):
        return principal
    instance_id = req.route_params.get("instance_id", "")
    if (bad := run_id_problem(instance_id)) is not None:
        return problem_response(400, "The parameter 'id' is invalid", f"id: {bad}",
                                errors=[{"field": "id", "message": bad}])  # fmt: skip
    status = await client.get_status(instance_id, show_input=True)
    if not status or status.runtime_status is None:
        return problem_response(404, "No such onboarding", f"There is no run '{instance_id}'.",
                                id=instance_id)  # fmt: skip
    view = await live_view(client, status)
    # The ticket's attempts, linked both ways (a failed first run lists its new attempt).
    view.update({k: v for k, v in (await attempts_view(client, view)).items() if v is not None})
    return _json(view, 200)
