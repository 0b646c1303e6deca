"""The Durable management API, driven by the SDK's unmodified DurableOrchestrationClient."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df
import pytest

from devhost import DevHost
from tests.devhost.conftest import http
from tests.devhost.conftest import http as _http

pytestmark = pytest.mark.timeout(60)


def _eventually(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_client_start_status_and_history_quirk(host: DevHost) -> None:
    client = host.client()
    instance_id = host.run(client.start_new("sequence", "seq-1"))
    assert instance_id == "seq-1"
    host.wait_for(instance_id)
    status = host.run(client.get_status(instance_id, show_history=True, show_history_output=True))
    assert status.runtime_status == df.OrchestrationRuntimeStatus.Completed
    assert status.output == ["Hello Tokyo", "Hello Seattle", "Hello London"]
    # SDK issue #345 reproduced: the host sends historyEvents, the SDK reads `history`.
    assert status.history is None
    events = status.historyEvents
    assert [e["EventType"] for e in events] == [
        "ExecutionStarted",
        "TaskCompleted",
        "TaskCompleted",
        "TaskCompleted",
        "ExecutionCompleted",
    ]
    # The host parses Result with ParseToJToken (DurableClient.GetStatusAsync), so the activity's
    # JSON text arrives as the value.
    assert events[1]["FunctionName"] == "say_hello" and events[1]["Result"] == "Hello Tokyo"
    assert "EventId" not in events[1] and "ScheduledTime" in events[1]


def test_unknown_instance_is_falsy_and_unknown_orchestrator_raises(host: DevHost) -> None:
    client = host.client()
    assert not host.run(client.get_status("nobody"))
    with pytest.raises(Exception, match="doesn't exist"):
        host.run(client.start_new("no_such_orchestrator"))


def test_starting_a_running_id_fails_like_the_real_host(host: DevHost) -> None:
    client = host.client()
    host.run(client.start_new("approval", "dup"))
    with pytest.raises(Exception, match="An Orchestration instance with the status"):
        host.run(client.start_new("approval", "dup"))
    host.raise_event("dup", "approval", 1)
    host.wait_for("dup")
    # A finished instance may be replaced by a new start with the same id.
    assert host.run(client.start_new("sequence", "dup")) == "dup"
    assert host.wait_for("dup")["name"] == "sequence"


def test_raise_event_through_the_sdk_is_double_encoded(host: DevHost) -> None:
    client = host.client()
    instance_id = host.run(client.start_new("approval"))
    host.run(client.raise_event(instance_id, "approval", "yes"))
    status = host.wait_for(instance_id)
    assert status["output"]["payload"] == '"yes"'
    with pytest.raises(Exception, match="gone"):
        host.run(client.raise_event(instance_id, "approval", "again"))
    with pytest.raises(Exception, match="No instance"):
        host.run(client.raise_event("missing", "approval", 1))


def test_terminate(host: DevHost) -> None:
    client = host.client()
    instance_id = host.run(client.start_new("approval"))
    host.run(client.terminate(instance_id, "no longer needed"))
    status = host.wait_for(instance_id)
    assert status["runtimeStatus"] == "Terminated"
    assert status["output"] == "no longer needed"
    # Terminating a finished instance is a 410, which the SDK does not treat as an error.
    host.run(client.terminate(instance_id, "again"))


def test_suspend_holds_events_until_resume(host: DevHost) -> None:
    client = host.client()
    instance_id = host.run(client.start_new("approval"))
    _eventually(lambda: host.status(instance_id)["runtimeStatus"] == "Running")
    host.run(client.suspend(instance_id, "hold on"))
    _eventually(lambda: host.status(instance_id)["runtimeStatus"] == "Suspended")
    host.raise_event(instance_id, "approval", "late")
    time.sleep(0.2)  # give the engine a chance to (wrongly) deliver the event
    assert host.status(instance_id)["runtimeStatus"] == "Suspended"
    host.run(client.resume(instance_id, "go"))
    status = host.wait_for(instance_id)
    assert status["output"]["payload"] == '"late"'
    kinds = [e["EventType"] for e in host.status(instance_id, show_history=True)["historyEvents"]]
    assert "ExecutionSuspended" in kinds and "ExecutionResumed" in kinds


def test_purge_single_and_by_filter(host: DevHost) -> None:
    client = host.client()
    ids = [host.run(client.start_new("sequence", f"p-{i}")) for i in range(3)]
    for instance_id in ids:
        host.wait_for(instance_id)
    result = host.run(client.purge_instance_history(ids[0]))
    assert result.instances_deleted == 1
    assert not host.run(client.get_status(ids[0]))
    assert host.run(client.purge_instance_history("p-missing")).instances_deleted == 0
    since = datetime.now(UTC) - timedelta(days=3650)
    result = host.run(
        client.purge_instance_history_by(since, None, [df.OrchestrationRuntimeStatus.Completed])
    )
    assert result.instances_deleted == 2
    assert host.run(client.purge_instance_history_by(since)).instances_deleted == 0


def test_query_filters_and_paging(host: DevHost) -> None:
    client = host.client()
    for i in range(7):
        host.wait_for(host.run(client.start_new("sequence", f"q-{i}")))
    host.run(client.start_new("approval", "q-waiting"))
    host.wait_for("q-waiting", statuses=("Running",))
    by = host.run(
        client.get_status_by(
            runtime_status=[df.OrchestrationRuntimeStatus.Completed], instance_id_prefix="q-"
        )
    )
    assert sorted(s.instance_id for s in by) == [f"q-{i}" for i in range(7)]
    running = host.run(client.get_status_by(runtime_status=[df.OrchestrationRuntimeStatus.Running]))
    assert [s.instance_id for s in running] == ["q-waiting"]
    assert len(host.run(client.get_status_all())) == 8

    # Paging over plain HTTP: `top` and the x-ms-continuation-token header.
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        # The public webhooks need the system key (test_management_key.py).
        headers = {"x-functions-key": host.system_key}
        if token:
            headers["x-ms-continuation-token"] = token
        reply = http(
            "GET", f"{host.webhook_url}/instances/?top=3&instanceIdPrefix=q-", headers=headers
        )
        assert reply.status == 200
        seen += [s["instanceId"] for s in reply.body]
        pages += 1
        token = reply.headers.get("x-ms-continuation-token")
        if not token:
            break
    assert pages == 3
    assert sorted(seen) == sorted([f"q-{i}" for i in range(7)] + ["q-waiting"])
    assert len(set(seen)) == 8


def test_status_codes_over_http(host: DevHost) -> None:
    # The public webhooks need the system key (test_management_key.py); every call passes it.
    base = host.webhook_url
    key = {"x-functions-key": host.system_key}

    def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None):
        return _http(method, url, body, {**key, **(headers or {})})

    assert http("GET", f"{base}/instances/none").status == 404
    host.start_new("approval", instance_id="codes")
    host.wait_for("codes", statuses=("Running",))
    running = http("GET", f"{base}/instances/codes?showInput=TRUE&showHistory=true")
    assert running.status == 202 and running.headers["Location"]
    assert "historyEvents" in running.body
    bad = http(
        "POST",
        f"{base}/instances/codes/raiseEvent/approval",
        body=b"1",
        headers={"Content-Type": "text/plain"},
    )
    assert bad.status == 400
    assert http("POST", f"{base}/instances/codes/terminate?reason=x").status == 202
    host.wait_for("codes")
    assert http("GET", f"{base}/instances/codes").status == 200
    assert http("POST", f"{base}/instances/codes/suspend").status == 410
    assert http("DELETE", f"{base}/instances/?runtimeStatus=Completed").status == 400
