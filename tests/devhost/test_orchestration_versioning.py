"""Orchestration versioning end to end: host.json settings, ``context.version``, restarts.

Each test writes its own host.json into a temporary app directory for the sample app
``tests/devhost/apps/versioning_app.py``; a restart is a new ``DevHost`` on the same SQLite file
with a rewritten host.json, as redeploying the real app with a new ``defaultVersion`` would be.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from devhost import DevHost
from devhost.stepping import is_idle
from devhost.store import Store
from devhost.versioning import MISMATCH_PREFIX

APP = "tests.devhost.apps.versioning_app"

pytestmark = pytest.mark.timeout(120)

HostFactory = Callable[..., Any]


@pytest.fixture
def versioned_host(tmp_path: Path) -> HostFactory:
    """``versioned_host(defaultVersion=..., ...)``: a started host on this test's database."""
    app_dir = tmp_path / "app"
    app_dir.mkdir()

    @contextmanager
    def start(**durable_task: str) -> Iterator[DevHost]:
        host_json = {"version": "2.0", "extensions": {"durableTask": durable_task}}
        (app_dir / "host.json").write_text(json.dumps(host_json))
        with DevHost(
            APP,
            app_dir=app_dir,
            db=tmp_path / "devhost.sqlite",
            clock="virtual",
            check_sequencing=True,
        ) as host:
            yield host
            assert host.engine.stats.sequence_mismatches == []

    return start


def _eventually(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition never held")
        time.sleep(0.01)


def _history(host: DevHost, instance_id: str) -> list[dict[str, Any]]:
    """The raw stored history (the status view drops the scheduling events)."""
    with host.store.tx() as tx:
        return tx.history(instance_id)


def _started(history: list[dict[str, Any]]) -> dict[str, Any]:
    return next(e for e in history if e["EventType"] == 0)


def _rejections_settle(host: DevHost, count: int) -> None:
    """Wait for ``count`` rejections, then prove nothing is retried (no hot loop)."""
    _eventually(lambda: host.engine.stats.version_rejections >= count)
    episodes = host.engine.stats.episodes
    time.sleep(0.3)
    assert host.engine.stats.version_rejections == count
    assert host.engine.stats.episodes == episodes
    assert is_idle(host)


def test_new_instance_gets_default_version_and_context_sees_it(versioned_host) -> None:
    with versioned_host(defaultVersion="2.0") as host:
        instance_id = host.start_new("report_version")
        status = host.wait_for(instance_id)
        assert status["output"] == "2.0"
        assert status["version"] == "2.0"
        history = host.status(instance_id, show_history=True)["historyEvents"]
        assert history[0]["EventType"] == "ExecutionStarted"
        # The host's history view drops ExecutionStarted's Version (DurableClient.GetStatusAsync);
        # the instance's version is the status payload's ``version``.
        assert "Version" not in history[0]


def test_explicit_start_version_through_the_sdk_client(versioned_host) -> None:
    with versioned_host(defaultVersion="2.0") as host:
        client = host.client()
        instance_id = host.run(client.start_new("report_version", None, None, version="1.5"))
        assert host.wait_for(instance_id)["output"] == "1.5"
        status = host.run(client.get_status(instance_id))
        assert status.version == "1.5"  # the SDK keeps the unknown key as an attribute


def test_sub_orchestrations_get_default_or_explicit_version(versioned_host) -> None:
    with versioned_host(defaultVersion="2.0") as host:
        # The parent is older than the host's default: children must not inherit it.
        parent_id = host.start_new("parent_of_versions", "1.5", "p", version="1.0")
        output = host.wait_for(parent_id)["output"]
        assert output == {"parent": "1.0", "inherited": "2.0", "explicit": "1.5"}
        created = [e for e in _history(host, parent_id) if e["EventType"] == 7]
        assert [(e["InstanceId"], e["Version"]) for e in created] == [
            ("p-default", "2.0"),
            ("p-explicit", "1.5"),
        ]
        for child_id, version in (("p-default", "2.0"), ("p-explicit", "1.5")):
            started = _started(_history(host, child_id))
            assert started["Version"] == version
            assert started["ParentInstance"]["Version"] == "1.0"
            assert host.status(child_id)["version"] == version


def test_continue_as_new_keeps_the_instance_version(versioned_host) -> None:
    with versioned_host(defaultVersion="2.0") as host:
        instance_id = host.start_new("renews", version="1.2")
        status = host.wait_for(instance_id)
        assert status["output"] == ["1.2", "1.2", "1.2"]
        assert status["version"] == "1.2"


def test_current_or_older_runs_older_rejects_newer_until_a_restart_accepts_it(
    versioned_host,
) -> None:
    # Deployed as 3.0: an instance starts and waits for an event.
    with versioned_host(defaultVersion="3.0") as host:
        waiting = host.start_new("report_version", {"wait": True}, "waiting-v3")
        _eventually(lambda: host.status(waiting)["runtimeStatus"] == "Running")
        history_before = _history(host, waiting)

    # Rolled back to 2.0 (CurrentOrOlder and Reject are the defaults).
    with versioned_host(defaultVersion="2.0") as host:
        older = host.start_new("report_version", None, "older", version="1.0")
        assert host.wait_for(older)["output"] == "1.0"
        pending = host.start_new("report_version", None, "pending-v3", version="3.0")
        host.raise_event(waiting, "go", None)
        _rejections_settle(host, 2)
        assert host.status(pending)["runtimeStatus"] == "Pending"
        assert _history(host, pending) == []
        assert host.status(waiting)["runtimeStatus"] == "Running"
        assert _history(host, waiting) == history_before
        with host.store.tx() as tx:  # the raised event is still queued for the instance
            assert [m.kind for m in tx.messages(waiting, "9999")] == ["event"]

    # Deployed as 3.0 again on the same database: both run.
    with versioned_host(defaultVersion="3.0") as host:
        assert host.wait_for(pending)["output"] == "3.0"
        assert host.wait_for(waiting)["output"] == "3.0"
        assert host.engine.stats.version_rejections == 0


def test_strict_runs_only_the_exact_default_version(versioned_host) -> None:
    with versioned_host(defaultVersion="2.0", versionMatchStrategy="Strict") as host:
        current = host.start_new("report_version")
        assert host.wait_for(current)["output"] == "2.0"
        older = host.start_new("report_version", version="1.0")
        same_as_version = host.start_new("report_version", version="2.0.0")
        _rejections_settle(host, 2)
        assert host.status(older)["runtimeStatus"] == "Pending"
        assert host.status(same_as_version)["runtimeStatus"] == "Pending"


def test_fail_strategy_fails_a_newer_instance_naming_both_versions(versioned_host) -> None:
    with versioned_host(defaultVersion="2.0", versionFailureStrategy="Fail") as host:
        newer = host.start_new("report_version", version="3.0")
        status = host.wait_for(newer)
        assert status["runtimeStatus"] == "Failed"
        message = (
            f"{MISMATCH_PREFIX}: the instance's version '3.0' is newer than the host's "
            "defaultVersion '2.0' (versionMatchStrategy CurrentOrOlder)"
        )
        assert status["output"] == message
        completed = host.status(newer, show_history=True)["historyEvents"][-1]
        assert completed["OrchestrationStatus"] == "Failed"
        assert completed["FailureDetails"]["ErrorType"] == "VersionMismatch"

        # A parent sees its refused child fail like any failed sub-orchestration.
        parent = host.start_new("parent_catches", "9.0", version="2.0")
        failure = host.wait_for(parent)["output"]
        assert failure.startswith(MISMATCH_PREFIX)
        assert "'9.0'" in failure
        assert "'2.0'" in failure


def test_without_default_version_an_explicit_version_is_newer_than_the_host(
    versioned_host,
) -> None:
    # The extension's defaults (CurrentOrOlder, Reject) apply even with no defaultVersion, and
    # any defined version compares newer than none.
    with versioned_host() as host:
        plain = host.start_new("report_version")
        assert host.wait_for(plain)["output"] == ""
        assert "version" not in host.status(plain)
        versioned = host.start_new("report_version", version="1.0")
        _rejections_settle(host, 1)
        assert host.status(versioned)["runtimeStatus"] == "Pending"


def test_a_database_from_before_versioning_opens_with_unversioned_instances(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE instances (instance_id TEXT PRIMARY KEY, name TEXT NOT NULL, "
            "execution_id TEXT NOT NULL, status TEXT NOT NULL, input TEXT, output TEXT, "
            "custom_status TEXT, created_time TEXT NOT NULL, last_updated_time TEXT NOT NULL, "
            "parent TEXT)"
        )
        conn.execute(
            "INSERT INTO instances VALUES ('old', 'report_version', 'e1', 'Pending', NULL, "
            "NULL, NULL, '2024-05-01T10:00:00.0000000Z', '2024-05-01T10:00:00.0000000Z', NULL)"
        )
    store = Store(path)
    try:
        with store.tx() as tx:
            old = tx.instance("old")
            assert old is not None
            assert old.version == ""
            old.version = "1.0"
            tx.put_instance(old)
        with store.tx() as tx:
            reread = tx.instance("old")
        assert reread is not None
        assert reread.version == "1.0"
    finally:
        store.close()
