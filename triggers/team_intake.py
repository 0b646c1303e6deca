"""Intake of the kinds after onboarding (issue 15): change of access and offboarding.

``POST /api/onboardings`` and the Service Bus trigger hand a request whose ``kind`` is not
``onboard`` here, after the contract (400) and before anything starts. In order: the kind's
app role (offboarding: ``POLICY_OFFBOARD_ROLES``, Operator by default; 403), the guardrails
(the APIM service, roles per scope of added grants: the onboarding's own policy code; 403), the
team's record (404 when the team has no such workspace, 409 when the request does not fit it:
a removal of a grant the team does not hold, a team already offboarded), then the dry run (200
with the plan) or the run (202, or 200 with the run a repeated ticket already has).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from shared import names
from shared.access_plan import plan_access_change
from shared.guardrails import Guardrails, Violation
from shared.request import FieldError
from shared.saga_models import Requester, SagaInput
from shared.team_record import TeamRecord
from shared.team_requests import ChangeAccessRequest, OffboardRequest
from shared.team_store import TeamStore
from triggers.auth import REQUESTER, Principal, problem_response
from triggers.intake import policy_problem, run_view
from triggers.run_start import start_or_find
from triggers.settings import SettingInvalid
from triggers.team_settings import offboard_roles, team_policy
from triggers.teams_api import store_or_problem

log = logging.getLogger("onboarding.teams")
TeamRequest = ChangeAccessRequest | OffboardRequest
ORCHESTRATOR = {"changeAccess": names.CHANGE_ACCESS, "offboard": names.OFFBOARD}


def violations(policy: Guardrails, request: TeamRequest) -> list[Violation]:
    found = policy.check_target(request.apim_service_id)
    if isinstance(request, ChangeAccessRequest):
        found.extend(policy.check_grants(request.add, "add"))
    return found


def fit(request: TeamRequest, record: TeamRecord | None) -> tuple[int, list[FieldError], Any]:
    """(status, problems, plan): 404 without a record, 409 when the request does not fit it."""
    if record is None:
        return 404, [FieldError(field="workspace", message=f"team {request.team!r} has no "
                                f"onboarded workspace {request.workspace!r} in this APIM "
                                "service")], None  # fmt: skip
    if isinstance(request, ChangeAccessRequest):
        plan = plan_access_change(request, record, request.instance_id)
        return (409 if plan.problems else 200), plan.problems, plan
    if record.status == "offboarded":
        return 409, [FieldError(field="workspace", message="the team's workspace is offboarded "
                                "already")], None  # fmt: skip
    return 200, [], None


def index_request(request: TeamRequest) -> dict[str, Any]:
    """The run index row's view of the request (the row reads an onboarding's shape)."""
    return {"ticketId": request.ticket_id, "team": request.team, "kind": request.kind,
            "apimServiceId": request.apim_service_id,
            "workspace": {"name": request.workspace}}  # fmt: skip


def run_input(request: TeamRequest, requester: Requester) -> dict[str, Any]:
    return SagaInput(request=request.model_dump(by_alias=True, mode="json"),
                     policy=team_policy(request.kind),
                     requested_by=requester).model_dump(by_alias=True, mode="json")  # fmt: skip


def _json(body: Any, status: int, headers: dict[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body), status_code=status, mimetype="application/json",
                             headers=headers)  # fmt: skip


async def start_team_request(
    req: func.HttpRequest,
    client: df.DurableOrchestrationClient,
    principal: Principal,
    request: TeamRequest,
    policy: Guardrails,
    dry_run: bool,
) -> func.HttpResponse:
    try:
        return await _start(req, client, principal, request, policy, dry_run)
    except SettingInvalid as bad:
        # The deployment's fault, not the caller's: refuse work rather than guess a policy.
        log.error("policy settings unusable: %s", bad, extra={"setting": bad.setting})
        return problem_response(
            500, "The app's policy settings are unusable",
            f"The app setting {bad.setting} cannot be read; the platform team must fix it. "
            "Nothing was started.",
        )  # fmt: skip


async def _start(
    req: func.HttpRequest,
    client: df.DurableOrchestrationClient,
    principal: Principal,
    request: TeamRequest,
    policy: Guardrails,
    dry_run: bool,
) -> func.HttpResponse:
    if isinstance(request, OffboardRequest):
        allowed = offboard_roles()
        if principal.roles.isdisjoint(allowed):
            return problem_response(
                403, "Forbidden: an app role is missing",
                f"Offboarding needs the app role {' or '.join(allowed)} (POLICY_OFFBOARD_ROLES).",
                requiredRoles=list(allowed),
            )  # fmt: skip
    found = violations(policy, request)
    if found:
        return _json(policy_problem(found), 403)
    store = store_or_problem()
    if not isinstance(store, TeamStore):
        return store
    record = await asyncio.to_thread(store.find, request.team, request.apim_service_id,
                                     request.workspace)  # fmt: skip
    status, problems, plan = fit(request, record)
    if problems:
        title = "No such team workspace" if status == 404 else "The request does not fit the team"
        return problem_response(status, title, "; ".join(f"{p.field}: {p.message}"
                                                         for p in problems),
                                errors=[p.model_dump() for p in problems])  # fmt: skip
    instance_id = request.instance_id
    if dry_run:
        body = {"dryRun": True, "kind": request.kind, "instanceId": instance_id,
                "requireApproval": team_policy(request.kind).require_approval,
                "plan": plan.summary() if plan is not None else None}  # fmt: skip
        return _json(body, 200)
    requester = Requester(
        name=principal.name, object_id=principal.object_id,
        source="unauthenticated" if principal.auth_type == "disabled" else "easyauth",
        claimed=request.requested_by,
    )  # fmt: skip
    status_url = f"{req.url.split('?')[0].rstrip('/')}/{instance_id}"
    run = await start_or_find(client, instance_id, lambda: run_input(request, requester),
                              index_request(request), principal.name,
                              orchestrator=ORCHESTRATOR[request.kind])  # fmt: skip
    if run.existing is not None:
        body = {"id": instance_id, "existing": True, "statusUrl": status_url,
                **run_view(run.existing)}  # fmt: skip
        return _json(body, 200, {"Location": status_url})
    log.info("started %s (%s)", instance_id, request.kind,
             extra={"instanceId": instance_id, "ticketId": request.ticket_id})  # fmt: skip
    return _json({"id": instance_id, "kind": request.kind, "statusUrl": status_url}, 202,
                 {"Location": status_url})  # fmt: skip


async def team_message(
    msg: func.ServiceBusMessage,
    body: bytes,
    client: df.DurableOrchestrationClient,
    request: TeamRequest,
    policy: Guardrails,
    requester: Requester,
) -> None:
    """The Service Bus path: the same checks; a refusal is a ``rejected`` event (the message is
    completed, never retried), as for an onboarding."""
    from triggers.servicebus import _reject  # the trigger module imports this one

    if isinstance(request, OffboardRequest) and REQUESTER not in offboard_roles():
        why = "offboarding is not allowed over Service Bus here (POLICY_OFFBOARD_ROLES holds no "
        error = FieldError(field="kind", message=why + "Onboarding.Requester)")
        await _reject(msg, body, "forbidden", error.message, [error])
        return
    found = violations(policy, request)
    if found:
        errors = [FieldError(field=v.field, message=v.message) for v in found]
        await _reject(msg, body, "policy", "The request is outside this deployment's policy.",
                      errors, violations=[v.model_dump() for v in found])  # fmt: skip
        return
    # An unavailable store raises: the message is retried, then dead-lettered (never lost).
    from shared.team_store import team_store

    record = await asyncio.to_thread(team_store().find, request.team, request.apim_service_id,
                                     request.workspace)  # fmt: skip
    status, problems, _plan = fit(request, record)
    if problems:
        category = "noSuchTeam" if status == 404 else "teamConflict"
        reason = "; ".join(f"{p.field}: {p.message}" for p in problems)
        await _reject(msg, body, category, reason, problems)
        return
    await start_or_find(client, request.instance_id, lambda: run_input(request, requester),
                        index_request(request), requester.name,
                        orchestrator=ORCHESTRATOR[request.kind])  # fmt: skip
