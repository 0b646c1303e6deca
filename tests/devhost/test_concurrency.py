"""maxConcurrentActivityFunctions and the Python worker's shared thread pool bound concurrency."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from devhost import DevHost
from devhost.concurrency import Concurrency, default_worker_threads

APP = "tests.devhost.apps.host_semantics_app"

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def limited_host(tmp_path: Path) -> Callable[..., Iterator[DevHost]]:
    """``limited_host(threads, **durableTask)``: a host with that host.json and pool size."""
    app_dir = tmp_path / "app"
    app_dir.mkdir()

    @contextmanager
    def start(threads: int | None = None, **durable_task: int) -> Iterator[DevHost]:
        settings = {"version": "2.0", "extensions": {"durableTask": durable_task}}
        (app_dir / "host.json").write_text(json.dumps(settings))
        with DevHost(
            APP,
            app_dir=app_dir,
            db=tmp_path / "devhost.sqlite",
            clock="virtual",
            activity_workers=threads,
        ) as host:
            yield host

    return start


def test_defaults_follow_the_python_worker_and_the_extension() -> None:
    limits = Concurrency.from_settings({}, env={}, cpus=1)
    assert limits.worker_threads == 5  # min(32, 1 + 4) on a 1-vCPU instance
    assert limits.max_activities == 10 and limits.max_orchestrators == 10
    assert (
        Concurrency.from_settings({}, env={"PYTHON_THREADPOOL_THREAD_COUNT": "3"}).worker_threads
        == 3
    )
    assert default_worker_threads(64) == 32
    with pytest.raises(ValueError, match="max_activities"):
        Concurrency.from_settings(
            {"extensions": {"durableTask": {"maxConcurrentActivityFunctions": 0}}}
        )


def test_max_concurrent_activity_functions_bounds_running_activities(limited_host) -> None:
    with limited_host(threads=8, maxConcurrentActivityFunctions=3) as host:
        assert host.wait_for(host.start_new("busy_fan", 9))["output"] == 9
        stats = host.stats()
        assert stats["maxConcurrentActivityFunctions"] == 3
        assert stats["peakActivities"] <= 3


def test_activities_and_episodes_share_the_worker_thread_pool(limited_host) -> None:
    with limited_host(threads=2, maxConcurrentActivityFunctions=10) as host:
        assert host.wait_for(host.start_new("busy_fan", 8))["output"] == 8
        stats = host.stats()
        assert stats["workerThreads"] == 2
        assert stats["peakWorkerThreads"] <= 2
