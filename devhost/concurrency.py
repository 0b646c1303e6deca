"""How many functions run at once: the extension's throttles and the Python worker's threads.

On Azure two limits apply (reference row 13):

* the Durable extension dispatches at most ``maxConcurrentActivityFunctions`` activities and
  ``maxConcurrentOrchestratorFunctions`` orchestrator episodes per instance at a time
  (host.json ``extensions.durableTask``; default 10 x the processor count, extension
  ``DurableTaskOptions``);
* the Python worker runs every *sync* function (orchestrators and activities alike) on one
  shared thread pool of ``PYTHON_THREADPOOL_THREAD_COUNT`` threads, by default
  ``min(32, cpus + 4)`` on Python 3.11 (azure-functions-python-worker ``dispatcher.py``, the
  ``ThreadPoolExecutor`` default); async functions run on its event loop instead.

devhost claims at most ``maxConcurrentActivityFunctions`` activities and runs each sync one (and
each orchestrator episode) in a slot of one shared :class:`WorkerThreads`. It runs one episode
at a time, which is within any ``maxConcurrentOrchestratorFunctions``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

THREAD_COUNT_SETTING = "PYTHON_THREADPOOL_THREAD_COUNT"


def default_worker_threads(cpus: int | None = None) -> int:
    """The Python 3.11 worker's default: ``ThreadPoolExecutor``'s ``min(32, cpus + 4)``."""
    return min(32, (cpus or os.cpu_count() or 1) + 4)


@dataclass(frozen=True)
class Concurrency:
    """The limits one devhost applies."""

    worker_threads: int
    max_activities: int
    max_orchestrators: int

    @classmethod
    def from_settings(
        cls,
        host_json: dict[str, Any],
        worker_threads: int | None = None,
        env: dict[str, str] | None = None,
        cpus: int | None = None,
    ) -> Concurrency:
        """host.json throttles; threads from ``worker_threads``, the app setting, or the default.

        A value below 1 is refused (ValueError), as the host refuses it at start.
        """
        cpus = cpus or os.cpu_count() or 1
        environ = os.environ if env is None else env
        durable = host_json.get("extensions", {}).get("durableTask", {}) or {}
        threads = worker_threads
        if threads is None and environ.get(THREAD_COUNT_SETTING):
            threads = int(environ[THREAD_COUNT_SETTING])
        limits = cls(
            worker_threads=threads if threads is not None else default_worker_threads(cpus),
            max_activities=int(durable.get("maxConcurrentActivityFunctions", 10 * cpus)),
            max_orchestrators=int(durable.get("maxConcurrentOrchestratorFunctions", 10 * cpus)),
        )
        for name, value in vars(limits).items():
            if value < 1:
                raise ValueError(f"{name} must be at least 1, not {value}")
        return limits


class WorkerThreads:
    """The worker's shared thread pool, as slots; counts the peak for tests and stats."""

    def __init__(self, size: int) -> None:
        """``size`` slots."""
        self.size = size
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self.in_use = 0
        self.peak = 0

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one thread of the pool while a sync function runs."""
        with self._slots:
            with self._lock:
                self.in_use += 1
                self.peak = max(self.peak, self.in_use)
            try:
                yield
            finally:
                with self._lock:
                    self.in_use -= 1
