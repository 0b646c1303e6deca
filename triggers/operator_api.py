"""Operator API: search runs, read their timeline and history, and act on them.

Reads (``GET``) need Onboarding.Reader, Requester or Operator; actions (``POST``) need
Onboarding.Operator. Runs are listed from the run index in Table Storage
(shared/run_index.py), because Durable's own query pages at most 100 instances and filters only
by status, time and id prefix; a run's detail comes from Durable itself. docs/operators.md is
the contract and the runbook.

Every action answers 404 for an unknown run, 409 when the run's state does not allow it and
otherwise 202 with the run's view; it is logged with the operator's name and recorded in the
run's index row (``lastAction``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from shared import names, run_index
from shared.azure_clients import SettingsError
from shared.operator_events import decode as decode_event
from shared.operator_events import parse_private_ip, wait_kind
from shared.request import OnboardingRequest
from shared.run_index_store import IndexUnavailable, RunIndex, index_enabled, run_index_table
from shared.saga_models import CompensationInput, SagaInput, UndoEntry
from triggers.auth import OPERATOR, READER, REQUESTER, Principal, authorize, problem_response
from triggers.intake import TERMINAL, run_id_problem, run_view
from triggers.run_start import record_new_run
from triggers.run_views import live_view, read_view

bp = df.Blueprint()
log = logging.getLogger("onboarding.operator")

READ_ROLES = (READER, REQUESTER, OPERATOR)
ACTIVE = {"Pending", "Running", "Suspended", "ContinuedAsNew"}
RETRYABLE_OUTCOMES = {"Failed", "Compensated"}
MAX_CHILDREN = 500  # a run has a few dozen sub-orchestrations; this only bounds the probe
MAX_PURGE = 1000  # one purge-by-age request; call again for more
REPAIR_CONCURRENCY = 16
MAX_BODY = 16 * 1024


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body), status_code=status, mimetype="application/json", headers=headers
    )


def _bad(parameter: str, message: str) -> func.HttpResponse:
    return problem_response(
        400, f"The parameter '{parameter}' is invalid", f"{parameter}: {message}",
        errors=[{"field": parameter, "message": message}],
    )  # fmt: skip


def _not_found(instance_id: str) -> func.HttpResponse:
    return problem_response(404, "No such onboarding", f"There is no run '{instance_id}'.",
                            id=instance_id)  # fmt: skip


def _conflict(instance_id: str, detail: str, status: Any = None) -> func.HttpResponse:
    extra: dict[str, Any] = {"runtimeStatus": _runtime(status)} if status is not None else {}
    return problem_response(409, "The run's state does not allow this", detail, id=instance_id,
                            **extra)  # fmt: skip


def _unavailable(why: str) -> func.HttpResponse:
    return problem_response(
        503, "The run index is unavailable",
        f"{why}. Set RUN_INDEX_ENDPOINT to the Table service URL of the app's storage account "
        "(docs/operators.md); a single run is still readable at /api/onboardings/{id}.",
    )  # fmt: skip


def _index() -> RunIndex | func.HttpResponse:
    try:
        return run_index_table()
    except (IndexUnavailable, SettingsError) as err:
        return _unavailable(str(err))


def _runtime(status: Any) -> str | None:
    value = getattr(status, "runtime_status", None)
    return getattr(value, "value", value)


def _output(status: Any) -> dict[str, Any]:
    return status.output if isinstance(status.output, dict) else {}


def _custom(status: Any) -> dict[str, Any]:
    return status.custom_status if isinstance(status.custom_status, dict) else {}


def _body(req: func.HttpRequest) -> Any:
    """The JSON body (None when empty); ValueError when it is not JSON or too large."""
    raw = req.get_body() or b""
    if len(raw) > MAX_BODY:
        raise ValueError(f"the body is larger than {MAX_BODY} bytes")
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise ValueError("the body is not valid JSON") from None


async def _status(client: df.DurableOrchestrationClient, instance_id: str, **flags: bool) -> Any:
    status = await client.get_status(instance_id, **flags)
    return status if status and status.runtime_status is not None else None


async def _children(client: df.DurableOrchestrationClient, instance_id: str,
                    **flags: bool) -> list[Any]:  # fmt: skip
    """The run's sub-orchestrations: the saga numbers them ``<id>:1``, ``<id>:2`` ... in order."""
    found = []
    for n in range(1, MAX_CHILDREN + 1):
        child = await _status(client, f"{instance_id}:{n}", **flags)
        if child is None:
            break
        found.append(child)
    return found


async def _in_thread(call: Any, *args: Any, **kwargs: Any) -> Any:
    # The Tables SDK is synchronous; keep the event loop (other requests) free meanwhile.
    return await asyncio.to_thread(call, *args, **kwargs)


async def _record(instance_id: str, fields: dict[str, Any]) -> None:
    """Best effort: the action happened whether or not its index row can say so."""
    if not index_enabled():
        return
    try:
        await _in_thread(run_index_table().update, instance_id, fields)
    except Exception:
        log.warning("run index not updated", extra={"instanceId": instance_id}, exc_info=True)


def _action(principal: Principal, action: str, instance_id: str, reason: str | None = None
            ) -> dict[str, Any]:  # fmt: skip
    at = run_index.iso(dt.datetime.now(dt.UTC))
    text = f"{action} by {principal.name} at {at}" + (f": {reason}" if reason else "")
    log.info(
        "operator %s on %s",
        action,
        instance_id,
        extra={"instanceId": instance_id, "action": action, "operator": principal.name,
               "operatorObjectId": principal.object_id, "reason": reason},
    )  # fmt: skip
    return {"lastAction": text[: run_index.MAX_TEXT]}


# --- reads -----------------------------------------------------------------------------------


@bp.route(route="onboardings", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.durable_client_input(client_name="client")
async def list_onboardings(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    principal = authorize(req, *READ_ROLES)
    if not isinstance(principal, Principal):
        return principal
    try:
        query = run_index.parse_list_query(dict(req.params))
    except run_index.BadParameter as bad:
        return _bad(bad.name, bad.message)
    index = _index()
    if isinstance(index, func.HttpResponse):
        return index
    page = await _in_thread(index.page, query)
    items = await _repair(client, index, page.items)
    return _json(
        {
            "items": [run_index.clean_row(i) for i in items],
            "continuationToken": run_index.encode_token(page.continuation),
        }
    )


async def _repair(
    client: df.DurableOrchestrationClient, index: RunIndex, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Rows that say a run is active are checked against Durable and corrected.

    A run can end without its last milestone (terminated from the portal, an orchestrator
    crash, a lost publish); its row would say Running for ever. Rows of runs Durable does not
    know (purged elsewhere) are left as they are.
    """
    gate = asyncio.Semaphore(REPAIR_CONCURRENCY)

    async def fix(row: dict[str, Any]) -> dict[str, Any]:
        if row.get("status") not in ("Pending", "Running") or not row.get("id"):
            return row
        async with gate:
            status = await _status(client, str(row["id"]))
        if status is None:
            return row
        # The live step and wait (the build, a retry, an operator wait), or how it ended; when
        # any of those changed, the rest (updatedAt, a failed run's error) is written with it.
        fields = run_index.fields_from_status(status)
        if not run_index.live_changes(row, fields):
            return row
        try:
            await _in_thread(index.update, str(row["id"]), fields)
        except Exception:
            log.warning("run index repair failed", extra={"instanceId": row["id"]},
                        exc_info=True)  # fmt: skip
        return {**row, **fields}

    return list(await asyncio.gather(*(fix(r) for r in rows)))


@bp.route(route="onboardings/counts", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def count_onboardings(req: func.HttpRequest) -> func.HttpResponse:
    principal = authorize(req, *READ_ROLES)
    if not isinstance(principal, Principal):
        return principal
    index = _index()
    if isinstance(index, func.HttpResponse):
        return index
    rows = await _in_thread(lambda: list(index.scan(run_index.ListQuery(), run_index.COUNT_SELECT)))
    return _json(run_index.count(rows))


@bp.route(
    route="onboardings/{instance_id}/timeline", methods=["GET"],
    auth_level=func.AuthLevel.ANONYMOUS,
)  # fmt: skip
@bp.durable_client_input(client_name="client")
async def onboarding_timeline(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    principal = authorize(req, *READ_ROLES)
    if not isinstance(principal, Principal):
        return principal
    instance_id = req.route_params.get("instance_id", "")
    if (bad := run_id_problem(instance_id)) is not None:
        return _bad("id", bad)
    status = await _status(client, instance_id)
    if status is None:
        return _not_found(instance_id)
    view = await live_view(client, status)
    now = dt.datetime.now(dt.UTC)
    updated = status.last_updated_time
    if isinstance(updated, dt.datetime):
        updated = run_index.utc(updated)
        # A finished run's axis ends when it did; a running one's at least at its last episode
        # (the local host's virtual clock can be ahead of the wall clock).
        if view["runtimeStatus"] in TERMINAL or updated > now:
            now = updated
    return _json({"id": instance_id, "outcome": view["outcome"], "now": now.isoformat(),
                  "createdTime": view["createdTime"], "steps": view["steps"],
                  "waitingFor": view["waitingFor"], "doing": view["doing"],
                  "until": view["until"], "currentStep": view["currentStep"],
                  "runtimeStatus": view["runtimeStatus"],
                  "lastUpdatedTime": view["lastUpdatedTime"]})  # fmt: skip


@bp.route(
    route="onboardings/{instance_id}/history", methods=["GET"],
    auth_level=func.AuthLevel.ANONYMOUS,
)  # fmt: skip
@bp.durable_client_input(client_name="client")
async def onboarding_history(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    principal = authorize(req, *READ_ROLES)
    if not isinstance(principal, Principal):
        return principal
    instance_id = req.route_params.get("instance_id", "")
    if (bad := run_id_problem(instance_id)) is not None:
        return _bad("id", bad)
    flags = {"show_history": True, "show_history_output": True}
    status = await _status(client, instance_id, **flags)
    if status is None:
        return _not_found(instance_id)
    instances = [status, *await _children(client, instance_id, **flags)]
    return _json({"id": instance_id, "instances": [_history(s) for s in instances]})


def _history(status: Any) -> dict[str, Any]:
    # The host returns the list as `historyEvents`, which the SDK keeps under that attribute
    # and not in `.history` (azure-functions-durable-python issue #345).
    events = getattr(status, "historyEvents", None) or status.history or []
    return {"id": status.instance_id, "name": status.name, "runtimeStatus": _runtime(status),
            "createdTime": _iso(status.created_time),
            "lastUpdatedTime": _iso(status.last_updated_time),
            "historyEvents": events}  # fmt: skip


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


# --- actions ---------------------------------------------------------------------------------


async def _start_action(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> tuple[Principal, str, Any, Any] | func.HttpResponse:
    """Authorize an Operator, read the body and find the run: (who, id, status, body)."""
    principal = authorize(req, OPERATOR)
    if not isinstance(principal, Principal):
        return principal
    instance_id = req.route_params.get("instance_id", "")
    if (bad := run_id_problem(instance_id)) is not None:
        return _bad("id", bad)
    try:
        body = _body(req)
    except ValueError as err:
        return _bad("body", str(err))
    status = await _status(client, instance_id, show_input=True)
    if status is None:
        return _not_found(instance_id)
    return principal, instance_id, status, body


async def _accepted(client: df.DurableOrchestrationClient, instance_id: str,
                    **extra: Any) -> func.HttpResponse:  # fmt: skip
    view = await read_view(client, instance_id) or {"id": instance_id}
    return _json({**view, **extra}, 202)


def _answered(view_fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """The row's live fields once an operator answered a wait: the run goes on at once, so
    the list (and its counts) stop offering the answered wait before the next milestone."""
    return {"outcome": "Running", "waitingFor": None, "waitingEvent": None,
            "waitingUntil": None, **(view_fields or {})}  # fmt: skip


def _reason(body: Any) -> str | None:
    if isinstance(body, dict) and body.get("reason") is not None:
        return str(body["reason"])[:500]
    return None


@bp.route(
    route="onboardings/{instance_id}/terminate", methods=["POST"],
    auth_level=func.AuthLevel.ANONYMOUS,
)  # fmt: skip
@bp.durable_client_input(client_name="client")
async def terminate_onboarding(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    started = await _start_action(req, client)
    if isinstance(started, func.HttpResponse):
        return started
    principal, instance_id, status, body = started
    if body is not None and not isinstance(body, dict):
        return _bad("body", 'must be an object: {"reason": "...", "compensate": false}')
    body = body or {}
    reason = _reason(body)
    if not reason:
        return _bad("reason", "say why the run is terminated (it is recorded with your name)")
    compensate = body.get("compensate", False)
    if not isinstance(compensate, bool):
        return _bad("compensate", "must be true or false")
    runtime = _runtime(status)
    if runtime not in ACTIVE:
        return _conflict(instance_id, f"The run is {runtime}; only an active run can be "
                                      "terminated.", status)  # fmt: skip
    if compensate:
        custom = _custom(status)
        if not (custom.get("cancellable") or custom.get("operatorEvent")):
            return _conflict(
                instance_id,
                "Terminate with compensation works while the run waits: for the gateway build "
                "or on an operator (approval, a stalled build's decision, a private IP); the "
                "run then undoes what it made. This run is busy with a short step; try again "
                "in a moment, or terminate without compensation (its resources stay; see "
                "docs/operators.md).",
                status,
            )
        await client.raise_event(
            instance_id, names.EVENT_CANCEL, {"by": principal.name, "reason": reason}
        )
        action = _action(principal, "terminate+compensate", instance_id, reason)
        await _record(instance_id, {**_answered({"outcome": "Compensating"}), **action})
        return await _accepted(client, instance_id, compensating=True)
    await client.terminate(instance_id, f"{reason} (by {principal.name})")
    fields = {**_answered({"outcome": "Terminated"}), "status": "Terminated", "doing": None,
              "until": None, "updatedAt": run_index.iso(dt.datetime.now(dt.UTC))}  # fmt: skip
    await _record(instance_id, {**fields, **_action(principal, "terminate", instance_id, reason)})
    return await _accepted(client, instance_id)


@bp.route(
    route="onboardings/{instance_id}/approve", methods=["POST"],
    auth_level=func.AuthLevel.ANONYMOUS,
)  # fmt: skip
@bp.durable_client_input(client_name="client")
async def approve_onboarding(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    started = await _start_action(req, client)
    if isinstance(started, func.HttpResponse):
        return started
    principal, instance_id, status, body = started
    if not isinstance(body, dict) or not isinstance(body.get("approved"), bool):
        return _bad("approved", 'send {"approved": true|false, "reason": "..."}')
    event = _waits_for(instance_id, status, names.EVENT_APPROVAL)
    if isinstance(event, func.HttpResponse):
        return event
    reason = _reason(body)
    payload = {"approved": body["approved"], "by": principal.name, "reason": reason or ""}
    await client.raise_event(instance_id, event, payload)
    verb = "approve" if body["approved"] else "reject"
    await _record(instance_id, {**_answered(), **_action(principal, verb, instance_id, reason)})
    return await _accepted(client, instance_id)


def _waits_for(instance_id: str, status: Any, kind: str) -> str | func.HttpResponse:
    """The event name of the run's current wait of ``kind`` (e.g. ``private_ip-2``), or 409.

    Each operator wait of a run listens under its own name, published in the custom status;
    an answer is raised to the wait open now and to no other, so an early or repeated answer
    can never be taken by a later wait nobody meant it for.
    """
    runtime = _runtime(status)
    custom = _custom(status)
    event = custom.get("operatorEvent")
    waiting = custom.get("operatorWait") or (wait_kind(event) if event else None)
    if runtime != "Running" or waiting != kind or not event:
        now = f"waits for '{waiting}'" if waiting else f"is {runtime} and waits for no operator"
        return _conflict(instance_id, f"The run is not waiting for '{kind}' (it {now}).", status)
    return str(event)


@bp.route(
    route="onboardings/{instance_id}/events/{name}", methods=["POST"],
    auth_level=func.AuthLevel.ANONYMOUS,
)  # fmt: skip
@bp.durable_client_input(client_name="client")
async def raise_operator_event(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    started = await _start_action(req, client)
    if isinstance(started, func.HttpResponse):
        return started
    principal, instance_id, status, body = started
    name = wait_kind(req.route_params.get("name", ""))
    if name not in names.EVENT_OPERATOR_WAITS:
        return _bad("name", f"must be one of {', '.join(names.EVENT_OPERATOR_WAITS)}")
    if body is None:
        return _bad("body", 'send the event\'s JSON value, e.g. {"ip": "10.20.1.9"}')
    if name == names.EVENT_PRIVATE_IP:
        supplied = parse_private_ip(body)
        if supplied.ip is None:
            return problem_response(
                400, "Not a private address", supplied.problem,
                errors=[{"field": "ip", "message": supplied.problem}],
            )  # fmt: skip
    if name == names.EVENT_APPROVAL and isinstance(body, dict):
        body = {**body, "by": principal.name}  # who approved is the signed-in operator
    event = _waits_for(instance_id, status, name)
    if isinstance(event, func.HttpResponse):
        return event
    await client.raise_event(instance_id, event, body)
    summary = json.dumps(decode_event(body))[:200]
    action = _action(principal, f"event {name}", instance_id, summary)
    await _record(instance_id, {**_answered(), **action})
    return await _accepted(client, instance_id)


@bp.route(
    route="onboardings/{instance_id}/retry", methods=["POST"],
    auth_level=func.AuthLevel.ANONYMOUS,
)  # fmt: skip
@bp.durable_client_input(client_name="client")
async def retry_onboarding(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    started = await _start_action(req, client)
    if isinstance(started, func.HttpResponse):
        return started
    principal, instance_id, status, _ = started
    runtime, outcome = _runtime(status), _output(status).get("outcome")
    held = _waits_for(instance_id, status, names.EVENT_FAILED_DECISION)
    if isinstance(held, str):
        # The run holds its failed step (POLICY_FAILED_STEP_HOLD_HOURS): retry it in place;
        # the steps it completed stay done.
        await client.raise_event(instance_id, held, {"action": "retry", "by": principal.name})
        action = _action(principal, "retry", instance_id, "retry in place")
        await _record(instance_id, {**_answered(), **action})
        return await _accepted(client, instance_id)
    if not (runtime == "Failed" or (runtime == "Completed" and outcome in RETRYABLE_OUTCOMES)):
        what = f"{runtime} ({outcome})" if outcome else str(runtime)
        return _conflict(
            instance_id,
            f"The run is {what}. Retry starts a new run for a run that ended because a step "
            "failed (Failed or Compensated). A CompensationFailed or terminated run left "
            "resources behind that a new run would not own: clean them up first "
            "(docs/operators.md).",
            status,
        )
    try:
        saga_input = SagaInput.model_validate(_decoded(status.input_))
        request = OnboardingRequest.model_validate(saga_input.request)
    except ValueError:
        return _conflict(instance_id, "The run's input cannot be read back; submit it again.")
    root = instance_id
    if index_enabled():
        row = await _in_thread(run_index_table().get, instance_id)
        root = str((row or {}).get("retryOf") or instance_id)
    new_id = None
    for n in range(1, 100):
        candidate = f"{root}-r{n}"
        if await _status(client, candidate) is None:
            new_id = candidate
            break
    if new_id is None:
        return _conflict(instance_id, f"{root} has been retried 99 times already.")
    payload = saga_input.model_dump(by_alias=True, mode="json")
    await client.start_new(names.SAGA, new_id, payload)
    requester = saga_input.requested_by.name if saga_input.requested_by else None
    started_by = _action(principal, "retry", new_id, f"retry of {instance_id}")
    await record_new_run(
        client, new_id, request.model_dump(by_alias=True, mode="json"), requester,
        retryOf=root, **started_by,
    )  # fmt: skip
    await _record(instance_id, _action(principal, "retry", instance_id, f"retried as {new_id}"))
    url = f"{req.url.split('/onboardings/')[0]}/onboardings/{new_id}"
    reply = await _accepted(client, new_id, retryOf=instance_id)
    reply.headers["Location"] = url
    return reply


@bp.route(
    route="onboardings/{instance_id}/compensate", methods=["POST"],
    auth_level=func.AuthLevel.ANONYMOUS,
)  # fmt: skip
@bp.durable_client_input(client_name="client")
async def compensate_onboarding(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Retry the compensation of a finished CompensationFailed run: a compensation run
    (``<root>-c<N>``, orchestrators/compensation.py) runs its leftover undo entries again."""
    started = await _start_action(req, client)
    if isinstance(started, func.HttpResponse):
        return started
    principal, instance_id, status, body = started
    output = _output(status)
    runtime, outcome = _runtime(status), output.get("outcome")
    if not (runtime == "Completed" and outcome == "CompensationFailed"):
        what = f"{runtime} ({outcome})" if outcome else str(runtime)
        return _conflict(
            instance_id,
            f"The run is {what}. Compensate retries the undo of a run that ended "
            "CompensationFailed; retry a Failed or Compensated run instead.",
            status,
        )
    try:
        entries = [UndoEntry.model_validate(e) for e in output.get("leftoverUndo") or []]
    except ValueError:
        entries = []
    if not entries:
        return _conflict(
            instance_id,
            "The run's output lists no undo entries to retry (it ended before they were "
            "recorded): remove the leftovers it lists by hand (docs/operators.md).",
            status,
        )
    root = str(output.get("compensationOf") or instance_id)
    new_id = None
    for n in range(1, 100):
        candidate = f"{root}-c{n}"
        if await _status(client, candidate) is None:
            new_id = candidate
            break
    if new_id is None:
        return _conflict(instance_id, f"{root} has been compensated 99 times already.")
    ticket = str(output.get("ticketId") or "")
    payload = CompensationInput(compensation_of=root, ticket_id=ticket, entries=entries)
    await client.start_new(names.RETRY_COMPENSATION, new_id,
                           payload.model_dump(by_alias=True, mode="json"))  # fmt: skip
    reason = _reason(body) or f"retry the compensation of {instance_id}"
    # On the ticket's run (the root): compensation runs have no index row of their own.
    await _record(root, _action(principal, "compensate", instance_id,
                                f"compensation retried as {new_id}: {reason}"))  # fmt: skip
    url = f"{req.url.split('/onboardings/')[0]}/onboardings/{new_id}"
    reply = await _accepted(client, new_id, compensationOf=root)
    reply.headers["Location"] = url
    return reply


def _decoded(value: Any) -> Any:
    # Durable hands the input back as JSON text, sometimes twice encoded (devhost/README.md).
    for _ in range(3):
        if not isinstance(value, str | bytes):
            break
        value = json.loads(value)
    return value


@bp.route(
    route="onboardings/{instance_id}/purge", methods=["POST"],
    auth_level=func.AuthLevel.ANONYMOUS,
)  # fmt: skip
@bp.durable_client_input(client_name="client")
async def purge_onboarding(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    started = await _start_action(req, client)
    if isinstance(started, func.HttpResponse):
        return started
    principal, instance_id, status, _ = started
    runtime = _runtime(status)
    if runtime not in TERMINAL:
        return _conflict(instance_id, f"The run is {runtime}; only a finished run can be purged "
                                      "(terminate it first).", status)  # fmt: skip
    view = run_view(status)
    deleted = await _purge(client, instance_id)
    _action(principal, "purge", instance_id)
    return _json({**view, "purged": True, "instancesDeleted": deleted}, 202)


async def _purge(client: df.DurableOrchestrationClient, instance_id: str) -> int:
    """Durable's history of the run and its sub-orchestrations, then its index row."""
    children = await _children(client, instance_id)
    deleted = 0
    for child in children:
        deleted += (await client.purge_instance_history(child.instance_id)).instances_deleted
    deleted += (await client.purge_instance_history(instance_id)).instances_deleted
    if index_enabled():
        await _in_thread(run_index_table().delete, instance_id)
    return deleted


@bp.route(route="onboardings/purge", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.durable_client_input(client_name="client")
async def purge_old_onboardings(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    principal = authorize(req, OPERATOR)
    if not isinstance(principal, Principal):
        return principal
    raw = (req.params.get("olderThanDays") or "").strip()
    if not raw.isdigit() or int(raw) > 36500:
        return _bad("olderThanDays", "must be a whole number of days from 0 to 36500")
    index = _index()
    if isinstance(index, func.HttpResponse):
        return index
    query = run_index.older_than(int(raw), dt.datetime.now(dt.UTC))
    rows = await _in_thread(lambda: list(index.scan(query, ["id", "status", "createdAt"])))
    purged: list[str] = []
    for row in rows:
        if len(purged) >= MAX_PURGE:
            break
        run_id = str(row.get("id") or "")
        if not run_id or not run_index.is_terminal(row):
            continue
        status = await _status(client, run_id)
        if status is not None and _runtime(status) not in TERMINAL:
            continue  # the row was stale: the run is active after all
        await _purge(client, run_id)
        purged.append(run_id)
    _action(principal, f"purge olderThanDays={raw}", ",".join(purged)[:200] or "-")
    more = sum(1 for r in rows if run_index.is_terminal(r)) > len(purged)
    return _json({"purged": purged, "count": len(purged), "more": more}, 202)
