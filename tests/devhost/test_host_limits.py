"""Host limits the SDK does not know (reference rows 7-10): custom status size and falsy values,
``maxOrchestrationActions``, instance ids at start and for sub-orchestrations."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devhost import DevHost
from devhost.management import ManagementError
from tests.devhost.conftest import http

APP = "tests.devhost.apps.host_semantics_app"

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def host(tmp_path: Path) -> Iterator[DevHost]:
    """A host whose host.json allows only 20 orchestration actions (the default is 100,000)."""
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    settings = {"version": "2.0", "extensions": {"durableTask": {"maxOrchestrationActions": 20}}}
    (app_dir / "host.json").write_text(json.dumps(settings))
    with DevHost(
        APP, app_dir=app_dir, db=tmp_path / "devhost.sqlite", clock="virtual", check_sequencing=True
    ) as started:
        yield started
        assert started.engine.stats.sequence_mismatches == []


def _status_when(host: DevHost, iid: str, check) -> dict:
    deadline = time.monotonic() + 20
    while True:
        status = host.status(iid)
        if check(status) or time.monotonic() > deadline:
            return status
        time.sleep(0.01)


def test_custom_status_over_16_kb_fails_the_orchestration(host: DevHost) -> None:
    # 8,704 characters (with the quotes) are 17 KB in UTF-16: over the host's whole-KB check.
    status = host.wait_for(host.start_new("sets_status", "x" * 8702))
    assert status["runtimeStatus"] == "Failed"
    assert "must not exceed 16 KB" in status["output"]


def test_custom_status_at_16_kb_is_kept(host: DevHost) -> None:
    # 8,703 characters are 17,406 bytes: 16 KB once truncated to whole KB, as the host counts.
    iid = host.start_new("sets_status", "x" * 8701)
    status = _status_when(host, iid, lambda s: s["customStatus"])
    assert status["runtimeStatus"] == "Running" and len(status["customStatus"]) == 8701


def test_a_falsy_custom_status_is_stored_as_null(host: DevHost) -> None:
    iid = host.start_new("sets_status", {"stage": "first"})
    assert _status_when(host, iid, lambda s: s["customStatus"])["customStatus"] == {
        "stage": "first"
    }
    host.raise_event(iid, "go")
    # The SDK omits the status 0; the episode stores null instead of keeping the old one.
    status = _status_when(host, iid, lambda s: s["customStatus"] is None)
    assert status["customStatus"] is None and status["runtimeStatus"] == "Running"
    host.raise_event(iid, "end")
    assert host.wait_for(iid)["output"] == "done"


def test_more_actions_than_max_orchestration_actions_fail_the_run(host: DevHost) -> None:
    assert host.wait_for(host.start_new("fans_out", 20))["output"] == 20
    status = host.wait_for(host.start_new("fans_out", 21))
    assert status["runtimeStatus"] == "Failed"
    assert "Maximum amount of orchestration actions (20)" in status["output"]


def test_a_child_with_its_parents_id_fails_the_parent(host: DevHost) -> None:
    status = host.wait_for(host.start_new("own_child_id", instance_id="same"))
    assert status["runtimeStatus"] == "Failed"
    assert "same instance ID as its parent" in status["output"]


@pytest.mark.parametrize(
    "bad", ["@entity", "a/b", "a\\b", "a#b", "a?b", "a\nb", "a\x7fb", "x" * 257]
)
def test_instance_ids_the_host_refuses_answer_400(host: DevHost, bad: str) -> None:
    with pytest.raises(ManagementError) as refused:
        host.start_new("sets_status", None, instance_id=bad)
    assert refused.value.status == 400
    assert refused.value.body["ExceptionType"] == "System.ArgumentException"
    assert host.management.instance(bad) is None


def test_the_longest_allowed_id_starts_and_http_refuses_a_bad_one(host: DevHost) -> None:
    longest = "x" * 256
    host.start_new("sets_status", None, instance_id=longest)
    assert host.status(longest)["runtimeStatus"] in ("Pending", "Running")
    key = host.ready_info()["systemKey"]
    reply = http("POST", f"{host.webhook_url}/orchestrators/sets_status/@bad?code={key}", {})
    assert reply.status == 400
    assert "must not start with @" in reply.body["ExceptionMessage"]
