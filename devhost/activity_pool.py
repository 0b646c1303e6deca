"""Activity workers: threads that claim scheduled activities, run them, report completions.

Input and output go through the worker's own ``ActivityTriggerConverter``: the action's input
text is decoded with ``df_loads`` (falling back to the raw string), the return value encoded
with ``df_dumps``. A failure becomes ``TaskFailed`` with the reason text the real host writes.
The completion message and the removal of the work row commit together; a process killed
while an activity runs leaves the row, and the activity runs again after a restart.
"""

from __future__ import annotations

import inspect
import json
import logging
import threading
import traceback
from typing import Any

from azure.functions import meta
from azure.functions.durable_functions import ActivityTriggerConverter

from devhost.app_index import AppIndex
from devhost.clock import Clock
from devhost.concurrency import WorkerThreads
from devhost.event_loop import run_on_loop
from devhost.history import Event, EventType, event
from devhost.invocation import build_kwargs
from devhost.store import ActivityWork, Store
from devhost.timefmt import to_history

log = logging.getLogger("devhost.activities")


class ActivityPool:
    """A fixed number of worker threads fed from the ``activities`` table."""

    def __init__(
        self,
        store: Store,
        index: AppIndex,
        clock: Clock,
        client_binding_json: str,
        *,
        workers: int = 8,
        threads: WorkerThreads | None = None,
    ) -> None:
        """Prepare (not start) ``workers`` claimers (maxConcurrentActivityFunctions).

        A sync activity runs in a slot of ``threads``, the worker's thread pool it shares with
        orchestrator episodes (default: a pool of ``workers`` threads of its own).
        """
        self.store = store
        self.index = index
        self.clock = clock
        self.client_binding_json = client_binding_json
        self.workers = workers
        self.threads = threads or WorkerThreads(workers)
        # Activities running now and the most at once (maxConcurrentActivityFunctions bounds it).
        self.running = 0
        self.peak = 0
        self._count_lock = threading.Lock()
        self._cond = threading.Condition()
        self._stopping = False
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the worker threads."""
        for n in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"devhost-activity-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def wake(self) -> None:
        """New work may be available."""
        with self._cond:
            self._cond.notify_all()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; wait a while for running activities to finish."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout)

    def _work(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
            with self.store.tx() as tx:
                work = tx.claim_activity()
            if work is None:
                with self._cond:
                    if not self._stopping:
                        self._cond.wait(0.5)
                continue
            with self._count_lock:
                self.running += 1
                self.peak = max(self.peak, self.running)
            try:
                completion = self.execute(work)
            finally:
                with self._count_lock:
                    self.running -= 1
            with self.store.tx() as tx:
                if tx.finish_activity(work.task_key):
                    tx.add_message(work.instance_id, work.execution_id, "event", completion)

    def execute(self, work: ActivityWork) -> Event:
        """Run one activity and return its TaskCompleted / TaskFailed event."""
        stamp = to_history(self.clock.now())
        entry = self.index.activities.get(work.name)
        if entry is None:
            reason = (
                f"The function '{work.name}' doesn't exist, is disabled, or is not an activity "
                "function."
            )
            return event(
                EventType.TASK_FAILED,
                stamp,
                TaskScheduledId=work.task_id,
                Reason=reason,
                Details=None,
            )
        try:
            value = ActivityTriggerConverter.decode(
                meta.Datum(type="json", value=work.input), trigger_metadata=None
            )
            kwargs = build_kwargs(
                entry,
                {entry.trigger.name: value},
                self.client_binding_json,
                str(self.index.app_dir),
            )
            if inspect.iscoroutinefunction(entry.fn):
                result: Any = entry.fn(**kwargs)  # runs on the worker's event loop
            else:
                with self.threads.slot():
                    result = entry.fn(**kwargs)
            if inspect.isawaitable(result):
                result = run_on_loop(_await(result))
            encoded = ActivityTriggerConverter.encode(result, expected_type=None).value
        except Exception as exc:
            log.info("activity %s (%s) failed: %r", work.name, work.instance_id, exc)
            return event(
                EventType.TASK_FAILED,
                to_history(self.clock.now()),
                TaskScheduledId=work.task_id,
                Reason=f"Activity function '{work.name}' failed: {type(exc).__name__}: {exc}",
                Details=json.dumps(_exception_details(exc)),
            )
        return event(
            EventType.TASK_COMPLETED,
            to_history(self.clock.now()),
            TaskScheduledId=work.task_id,
            Result=encoded,
        )


async def _await(awaitable: Any) -> Any:
    return await awaitable


def _exception_details(exc: BaseException) -> dict[str, Any]:
    """A serialised exception, in the spirit of the host's ``Details`` JSON."""
    stack = "".join(traceback.format_exception(exc))
    return {
        "ClassName": "Microsoft.Azure.WebJobs.Script.Workers.Rpc.RpcException",
        "Message": f"Result: Failure\nException: {type(exc).__name__}: {exc}\nStack: {stack}",
        "RemoteStackTraceString": stack,
    }
