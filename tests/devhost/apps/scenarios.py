"""A sample Durable Functions v2 app exercising every orchestration API devhost supports.

Activities record their calls in ``CALLS`` (per process) and, when the input names a file,
append a line to it, so tests can count side effects across a crash.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

CALLS: dict[str, int] = {}
_calls_lock = threading.Lock()


def _count(key: str) -> int:
    with _calls_lock:
        CALLS[key] = CALLS.get(key, 0) + 1
        return CALLS[key]


# -- activities ---------------------------------------------------------------------------
@app.activity_trigger(input_name="name")
def say_hello(name: str) -> str:
    """Greets; the simplest activity."""
    return f"Hello {name}"


@app.activity_trigger(input_name="value")
def double(value: int) -> int:
    """Doubles a number (fan-out worker)."""
    return value * 2


@app.activity_trigger(input_name="request")
def flaky(request: dict[str, Any]) -> str:
    """Fails ``failures`` times per key, then succeeds."""
    attempt = _count("flaky:" + request["key"])
    if attempt <= request["failures"]:
        raise ValueError(f"attempt {attempt} failed")
    return f"ok after {attempt}"


@app.activity_trigger(input_name="request")
def record(request: dict[str, Any]) -> str:
    """Appends ``step`` to a file (a side effect a crash test can count), optionally slowly."""
    time.sleep(request.get("sleep", 0))
    with Path(request["path"]).open("a") as handle:
        handle.write(request["step"] + "\n")
    return request["step"]


@app.activity_trigger(input_name="payload")
async def async_echo(payload: Any) -> Any:
    """An async activity (awaited on the shared loop)."""
    return {"echo": payload}


# -- orchestrators ------------------------------------------------------------------------
@app.orchestration_trigger(context_name="context")
def sequence(context: df.DurableOrchestrationContext):
    """Three activities one after the other."""
    results = []
    for city in ("Tokyo", "Seattle", "London"):
        results.append((yield context.call_activity("say_hello", city)))
    return results


@app.orchestration_trigger(context_name="context")
def fan_out(context: df.DurableOrchestrationContext):
    """task_all over n activities."""
    count = context.get_input()
    results = yield context.task_all([context.call_activity("double", i) for i in range(count)])
    echo = yield context.call_activity("async_echo", sum(results))
    return echo


@app.orchestration_trigger(context_name="context")
def race(context: df.DurableOrchestrationContext):
    """task_any between an activity (or an event) and a timer; the loser timer is cancelled."""
    mode = context.get_input()
    deadline = context.current_utc_datetime + timedelta(hours=1)
    timer = context.create_timer(deadline)
    if mode == "activity":
        work = context.call_activity("say_hello", "race")
    else:
        work = context.wait_for_external_event("go")
    winner = yield context.task_any([work, timer])
    if winner == timer:
        return {"winner": "timer", "now": context.current_utc_datetime.isoformat()}
    timer.cancel()
    return {
        "winner": "work",
        "value": winner.result,
        "now": context.current_utc_datetime.isoformat(),
    }


@app.orchestration_trigger(context_name="context")
def retries(context: df.DurableOrchestrationContext):
    """call_activity_with_retry: ``failures`` failures out of ``attempts`` allowed."""
    request = context.get_input()
    options = df.RetryOptions(
        first_retry_interval_in_milliseconds=60_000, max_number_of_attempts=request["attempts"]
    )
    try:
        result = yield context.call_activity_with_retry("flaky", options, request)
    except Exception as exc:
        return {"failed": str(exc).splitlines()[0]}
    return {"result": result, "now": context.current_utc_datetime.isoformat()}


@app.orchestration_trigger(context_name="context")
def retry_fan_out(context: df.DurableOrchestrationContext):
    """Three retried activities failing concurrently, then a plain one."""
    key = context.instance_id
    options = df.RetryOptions(first_retry_interval_in_milliseconds=1_000, max_number_of_attempts=3)
    tasks = [
        context.call_activity_with_retry("flaky", options, {"key": f"{key}-{i}", "failures": i})
        for i in range(3)
    ]
    results = yield context.task_all(tasks)
    tail = yield context.call_activity("say_hello", "after")
    return [*results, tail]


@app.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext):
    """Sub-orchestrations: default id, explicit id, and one that fails."""
    first = yield context.call_sub_orchestrator("child", {"n": 1})
    second = yield context.call_sub_orchestrator("child", {"n": 2}, f"{context.instance_id}-kid")
    try:
        yield context.call_sub_orchestrator("child", {"n": -1})
    except Exception as exc:
        failure = str(exc).splitlines()[0]
    return {"first": first, "second": second, "failure": failure}


@app.orchestration_trigger(context_name="context")
def child(context: df.DurableOrchestrationContext):
    """Doubles n in an activity; negative n fails the orchestration."""
    n = context.get_input()["n"]
    if n < 0:
        raise ValueError("negative input")
    doubled = yield context.call_activity("double", n)
    return {"n": n, "doubled": doubled, "parent": context.parent_instance_id}


@app.orchestration_trigger(context_name="context")
def counter(context: df.DurableOrchestrationContext):
    """continue_as_new until the count reaches the limit, with a timer each round."""
    state = context.get_input()
    if state["count"] >= state["limit"]:
        return state
    yield context.create_timer(context.current_utc_datetime + timedelta(minutes=10))
    context.continue_as_new({"count": state["count"] + 1, "limit": state["limit"]})
    return None


@app.orchestration_trigger(context_name="context")
def approval(context: df.DurableOrchestrationContext):
    """Custom status, then waits for an external event and returns its payload."""
    context.set_custom_status({"stage": "waiting"})
    payload = yield context.wait_for_external_event("approval")
    context.set_custom_status({"stage": "approved"})
    greeting = yield context.call_activity("say_hello", "approver")
    return {"payload": payload, "greeting": greeting}


@app.orchestration_trigger(context_name="context")
def long_sleep(context: df.DurableOrchestrationContext):
    """A 3-hour durable timer."""
    start = context.current_utc_datetime
    yield context.create_timer(start + timedelta(hours=3))
    return {"start": start.isoformat(), "end": context.current_utc_datetime.isoformat()}


@app.orchestration_trigger(context_name="context")
def recorder(context: df.DurableOrchestrationContext):
    """Steps that each append to a file (crash test), with timers in between."""
    request = context.get_input()
    done = []
    for step in range(request["steps"]):
        done.append(
            (
                yield context.call_activity(
                    "record",
                    {
                        "path": request["path"],
                        "step": f"{context.instance_id}:{step}",
                        "sleep": request.get("sleep", 0),
                    },
                )
            )
        )
        yield context.create_timer(context.current_utc_datetime + timedelta(seconds=1))
    return done


@app.orchestration_trigger(context_name="context")
def fails(context: df.DurableOrchestrationContext):
    """Fails after one activity."""
    yield context.call_activity("say_hello", "doomed")
    raise KeyError("missing")


# -- HTTP ---------------------------------------------------------------------------------
@app.route(route="orchestrators/{name}/{instance_id?}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client: df.DurableOrchestrationClient):
    """The classic starter: start_new + create_check_status_response."""
    body = req.get_body()
    payload = json.loads(body) if body else None
    instance_id = await client.start_new(
        req.route_params["name"], req.route_params.get("instance_id"), payload
    )
    return client.create_check_status_response(req, instance_id)


@app.route(route="status/{instance_id}", methods=["GET"])
@app.durable_client_input(client_name="client")
async def http_status(req: func.HttpRequest, client: df.DurableOrchestrationClient):
    """Reads a status through the SDK client (proves get_status against devhost)."""
    status = await client.get_status(req.route_params["instance_id"], show_history=True)
    if not status:
        return func.HttpResponse(status_code=404)
    body = {
        "runtimeStatus": status.runtime_status.value,
        "output": status.output,
        "history": status.history,
        "historyEvents": getattr(status, "historyEvents", None),
    }
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@app.route(route="whoami", methods=["GET"])
def whoami(req: func.HttpRequest) -> func.HttpResponse:
    """Decodes x-ms-client-principal as App Service Authentication injects it."""
    header = req.headers.get("x-ms-client-principal")
    if not header:
        return func.HttpResponse("anonymous", status_code=401)
    principal = json.loads(base64.b64decode(header))
    return func.HttpResponse(
        json.dumps({"raw": header, "principal": principal}), mimetype="application/json"
    )


@app.route(route="items/{id:int}", methods=["GET", "DELETE"])
def item(req: func.HttpRequest) -> func.HttpResponse:
    """Route constraint and method check."""
    return func.HttpResponse(f"{req.method} item {req.route_params['id']}")


@app.function_name("queue_listener")
@app.service_bus_queue_trigger(arg_name="msg", queue_name="jobs", connection="SB")
@app.durable_client_input(client_name="client")
async def queue_listener(msg: func.ServiceBusMessage, client: df.DurableOrchestrationClient):
    """A Service Bus trigger: served only when a trigger kind is registered."""
    await client.start_new("sequence", msg.message_id, None)
