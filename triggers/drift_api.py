"""Drift over HTTP and on a timer (issue 15, item 4).

* ``GET /api/drift`` (Reader, Requester, Operator): every team's latest findings;
* ``POST /api/drift`` (Operator): check now (all teams, or ``{"team": ...}``), 202 with the run;
* ``POST /api/teams/{team}/repair`` (Operator): re-apply the team's recorded state (approval
  by default).

The timer ``drift_timer`` runs hourly and starts a check when the last one is older than
``POLICY_DRIFT_CHECK_HOURS`` (default 24: daily; 0 turns the scheduled check off). The last
check's time is kept beside the findings, so a restart or a scale-out never checks twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import uuid
from collections.abc import Mapping
from typing import Any

import azure.durable_functions as df
import azure.functions as func
from azure.core.exceptions import ResourceNotFoundError

from shared import names, run_index
from shared.drift import RepairRequest, TeamDrift
from shared.request import SERVICE_ID, TICKET_ID, WORKSPACE_NAME
from shared.saga_models import SagaInput
from shared.team_api_models import ACT, READ
from shared.team_requests import kind_instance_id
from shared.team_store import TeamStore
from triggers.auth import Principal, authorize, problem_response
from triggers.run_start import record_new_run
from triggers.settings import SettingInvalid, saga_policy
from triggers.teams_api import store_or_problem, team_problem

bp = df.Blueprint()
log = logging.getLogger("onboarding.drift")
DRIFT_PARTITION = "drift"
LAST_CHECK_ROW = "~last-check"  # sorts after every team key (hex)
HOURS_SETTING = "POLICY_DRIFT_CHECK_HOURS"
REPAIR_APPROVAL_SETTING = "POLICY_REPAIR_REQUIRE_APPROVAL"
MAX_BODY = 16 * 1024


def check_hours(env: Mapping[str, str] | None = None) -> float:
    env = os.environ if env is None else env
    raw = env.get(HOURS_SETTING, "").strip()
    if not raw:
        return 24.0
    try:
        hours = float(raw)
    except ValueError:
        raise SettingInvalid(HOURS_SETTING, "must be a number of hours (0: off)") from None
    if hours < 0:
        raise SettingInvalid(HOURS_SETTING, "must be a number of hours (0: off)")
    return hours


def repair_policy(env: Mapping[str, str] | None = None) -> Any:
    env = os.environ if env is None else env
    raw = env.get(REPAIR_APPROVAL_SETTING, "").strip().lower()
    if raw and raw not in ("true", "false", "1", "0", "yes", "no"):
        raise SettingInvalid(REPAIR_APPROVAL_SETTING, "must be true or false")
    required = raw not in ("false", "0", "no")
    return saga_policy(env).model_copy(update={"require_approval": required})


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body), status_code=status, mimetype="application/json",
                             headers=headers)  # fmt: skip


def drifts(store: TeamStore) -> list[dict[str, Any]]:
    query = f"PartitionKey eq {run_index.quote(DRIFT_PARTITION)}"
    rows = store.table.query_entities(query, results_per_page=1000)
    found = [TeamDrift.model_validate_json(str(r["drift"])) for r in rows if r.get("drift")]
    found.sort(key=lambda d: (d.team, d.workspace))
    return [d.model_dump(by_alias=True, mode="json") for d in found]


async def start_check(
    client: df.DurableOrchestrationClient, instance_id: str, team: str | None = None
) -> str:
    """Start the drift check ``instance_id`` unless it exists (a timer firing twice)."""
    status = await client.get_status(instance_id)
    if status and status.runtime_status is not None:
        return instance_id
    await client.start_new(names.DRIFT_CHECK, instance_id, {"team": team})
    await record_new_run(client, instance_id, {"ticketId": instance_id, "team": team or "*",
                                               "kind": "drift"}, "drift check")  # fmt: skip
    return instance_id


@bp.route(route="drift", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def list_drift(req: func.HttpRequest) -> func.HttpResponse:
    principal = authorize(req, *READ)
    if not isinstance(principal, Principal):
        return principal
    store = store_or_problem()
    if not isinstance(store, TeamStore):
        return store
    items = await asyncio.to_thread(drifts, store)
    return _json({"items": items})


@bp.route(route="drift", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.durable_client_input(client_name="client")
async def check_drift(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    principal = authorize(req, *ACT)
    if not isinstance(principal, Principal):
        return principal
    try:
        body = (
            json.loads(req.get_body() or b"{}") if len(req.get_body() or b"") <= MAX_BODY else None
        )
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("team", ""), str | None):
        why = 'must be {} or {"team": "<team>"}'
        return problem_response(400, "The body is invalid", f"$: {why}",
                                errors=[{"field": "$", "message": why}])  # fmt: skip
    team = body.get("team") or None
    if team is not None and (bad := team_problem(team)):
        return problem_response(400, "The body is invalid", f"team: {bad}",
                                errors=[{"field": "team", "message": bad}])  # fmt: skip
    # On demand: always a new check (the timer's are named after their hour).
    instance_id = await start_check(
        client, f"drift-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}", team
    )
    log.info("drift check %s started by %s", instance_id, principal.name,
             extra={"instanceId": instance_id, "operator": principal.name})  # fmt: skip
    url = f"{req.url.split('/api/')[0]}/api/onboardings/{instance_id}"
    return _json({"id": instance_id, "statusUrl": url}, 202, {"Location": url})


@bp.route(route="teams/{team}/repair", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.durable_client_input(client_name="client")
async def repair_team_route(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    principal = authorize(req, *ACT)
    if not isinstance(principal, Principal):
        return principal
    team = req.route_params.get("team", "")
    problems = [] if (bad := team_problem(team)) is None else [{"field": "team", "message": bad}]
    try:
        body = json.loads(req.get_body() or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body, problems = {}, [*problems, {"field": "$", "message": "must be a JSON object"}]
    for field, pattern in (("ticketId", TICKET_ID), ("apimServiceId", SERVICE_ID),
                           ("workspace", WORKSPACE_NAME)):  # fmt: skip
        value = body.get(field)
        if not isinstance(value, str) or not pattern.fullmatch(value):
            problems.append({"field": field, "message": "required, in the request contract's form"})
    if problems:
        return problem_response(400, "The repair request is invalid", "; ".join(
            f"{p['field']}: {p['message']}" for p in problems), errors=problems)  # fmt: skip
    store = store_or_problem()
    if not isinstance(store, TeamStore):
        return store
    record = await asyncio.to_thread(store.find, team, body["apimServiceId"], body["workspace"])
    if record is None or record.status != "active":
        return problem_response(404, "No such team workspace", f"Team {team!r} has no active "
                                f"workspace {body['workspace']!r}.", team=team)  # fmt: skip
    request = RepairRequest(ticket_id=body["ticketId"], team=team,
                            apim_service_id=body["apimServiceId"], workspace=body["workspace"],
                            requested_by=principal.name,
                            reason=str(body.get("reason") or "")[:500])  # fmt: skip
    try:
        policy = repair_policy()
    except SettingInvalid as bad_setting:
        why = f"The app setting {bad_setting.setting} cannot be read."
        return problem_response(500, "The app's policy settings are unusable", why)
    instance_id = "repair" + kind_instance_id("offboard", request.ticket_id).removeprefix(
        "offboard"
    )
    url = f"{req.url.split('/api/')[0]}/api/onboardings/{instance_id}"
    status = await client.get_status(instance_id)
    if status and status.runtime_status is not None:
        return _json(
            {"id": instance_id, "existing": True, "statusUrl": url}, 200, {"Location": url}
        )
    inp = SagaInput(request=request.model_dump(by_alias=True, mode="json"), policy=policy)
    await client.start_new(
        names.REPAIR_TEAM, instance_id, inp.model_dump(by_alias=True, mode="json")
    )
    await record_new_run(client, instance_id, {"ticketId": request.ticket_id, "team": team,
                                               "workspace": {"name": request.workspace},
                                               "apimServiceId": request.apim_service_id},
                         principal.name)  # fmt: skip
    log.info("repair %s of %s started by %s", instance_id, team, principal.name,
             extra={"instanceId": instance_id, "operator": principal.name})  # fmt: skip
    return _json({"id": instance_id, "statusUrl": url}, 202, {"Location": url})


@bp.timer_trigger(schedule="0 0 * * * *", arg_name="timer", run_on_startup=False)
@bp.durable_client_input(client_name="client")
async def drift_timer(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    """Hourly: start the drift check when the last one is POLICY_DRIFT_CHECK_HOURS old."""
    hours = check_hours()
    if hours <= 0:
        return
    store = store_or_problem()
    if not isinstance(store, TeamStore):
        log.warning("drift check skipped: the team records are unavailable")
        return
    now = dt.datetime.now(dt.UTC)
    last = await asyncio.to_thread(_last_check, store)
    if last is not None and now - last < dt.timedelta(hours=hours) - dt.timedelta(minutes=5):
        return
    # Nothing onboarded yet, or the first tick after the app started keeping checks: note the
    # time and check one interval later, instead of starting an empty run.
    teams = await asyncio.to_thread(store.list)
    if last is None or not any(r.status == "active" for r in teams):
        await asyncio.to_thread(_note_check, store, now, None)
        return
    # Named after the hour: a second instance of the app firing the same hour finds it.
    instance_id = await start_check(client, f"drift-{now:%Y%m%dT%H}")
    await asyncio.to_thread(_note_check, store, now, instance_id)
    log.info("scheduled drift check %s started", instance_id, extra={"instanceId": instance_id})


def _note_check(store: TeamStore, now: dt.datetime, run: str | None) -> None:
    store.table.upsert_entity({"PartitionKey": DRIFT_PARTITION, "RowKey": LAST_CHECK_ROW,
                               "at": now.isoformat(), "run": run or ""})  # fmt: skip


def _last_check(store: TeamStore) -> dt.datetime | None:
    try:
        row = store.table.get_entity(DRIFT_PARTITION, LAST_CHECK_ROW)
    except ResourceNotFoundError:
        return None
    return run_index.parse_time(str(row["at"]))
