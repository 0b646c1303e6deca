"""The orchestration dispatcher: turns queued messages into episodes and episodes into work.

One thread runs episodes one at a time (orchestrator code is short and deterministic). For an
instance with deliverable messages it: reads history and the batch, appends
``OrchestratorStarted(now)`` + the new events, calls the orchestrator through the SDK, replays
the result with :mod:`devhost.sequencing` to find the new work, and commits history, consumed
messages, instance state and new work (activities, timers, child instances, parent
notifications) in a single transaction. When nothing is deliverable it sleeps until the next
timer; on a virtual clock with no activity outstanding it jumps the clock to that timer instead.

Before an instance's work runs, its orchestration version is checked against host.json's
versioning settings (devhost/versioning.py), as DurableTask.Core's dispatcher does: a refused
instance either fails (``Fail``) or is left exactly as it is (``Reject``), and then skipped
until its execution changes or the host restarts, so it never spins the dispatcher.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from devhost.app_index import AppIndex
from devhost.clock import Clock
from devhost.concurrency import WorkerThreads
from devhost.episode import EpisodeOutcome, context_json, run_orchestrator
from devhost.history import Event, EventType, OrchestrationStatus, event, execution_started
from devhost.host_limits import (
    actions_problem,
    count_actions,
    custom_status_problem,
    max_actions,
    serialised_custom_status,
    sub_orchestration_id_problem,
)
from devhost.oracle import sdk_open_task_ids
from devhost.retry_policy import retry_delay
from devhost.sequencing import Leaf, Node, ReplayResult, UnsupportedAction, replay
from devhost.shim import shim_view
from devhost.store import NOT_OVERRIDABLE, TERMINAL, Instance, Message, Store, Tx
from devhost.timefmt import parse, to_history
from devhost.versioning import MISMATCH_ERROR_TYPE, FailureStrategy

log = logging.getLogger("devhost.engine")

CONTROL = ("terminate", "suspend", "resume")
VIRTUAL_NOW_KEY = "virtual_clock_now"


def not_found_message(name: str, kind: str) -> str:
    """The host's message for an unknown function name."""
    return f"The function '{name}' doesn't exist, is disabled, or is not an {kind} function."


@dataclass
class EngineStats:
    """Counters for tests and diagnostics."""

    episodes: int = 0
    oracle_checks: int = 0
    sequence_mismatches: list[str] = field(default_factory=list)
    version_rejections: int = 0


class Engine:
    """Runs episodes for instances with deliverable messages; manages time."""

    def __init__(
        self,
        store: Store,
        index: AppIndex,
        clock: Clock,
        *,
        check_sequencing: bool = False,
        threads: WorkerThreads | None = None,
    ) -> None:
        """Prepare the dispatcher (not started); episodes take a slot of ``threads``."""
        self.store = store
        self.index = index
        self.clock = clock
        self.check_sequencing = check_sequencing
        self.versioning = index.versioning
        self.max_actions = max_actions(index.host_json)
        self.threads = threads or WorkerThreads(1)
        # Execution ids refused under ``Reject``. Replaced, never mutated, so other threads
        # (stepping.py) can read it without a lock.
        self.rejected_executions: frozenset[str] = frozenset()
        self.stats = EngineStats()
        self._cond = threading.Condition()
        self._dirty = True
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.on_episode: list[Callable[[str], None]] = []

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        """Start the dispatcher thread."""
        self._thread = threading.Thread(target=self._loop, name="devhost-engine", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the current episode and stop."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Something changed in the store; look again."""
        with self._cond:
            self._dirty = True
            self._cond.notify_all()

    def _loop(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                self._dirty = False
            try:
                if self.step():
                    continue
                wait = self._idle()
            except Exception:
                log.exception("engine step failed")
                wait = 0.5
            if wait == 0:
                continue
            with self._cond:
                if not self._dirty and not self._stopping:
                    self._cond.wait(wait)

    def _idle(self) -> float:
        """Nothing deliverable: jump a virtual clock, or say how long to sleep."""
        now = self.clock.now()
        with self.store.tx() as tx:
            skip = self.rejected_executions
            next_due = tx.next_timer(to_history(now), skip)
            outstanding = tx.activities_outstanding()
            # An activity may have finished since step() looked: its completion is deliverable
            # now, and jumping past it would let a timer win a race it lost.
            runnable = tx.runnable_instance(to_history(now), skip)
        if runnable is not None:
            return 0
        if next_due is None:
            return 0.5
        due = parse(next_due)
        if self.clock.virtual:
            if outstanding == 0 and self.clock.may_jump():
                # A horizon may hold time (devhost/clock.py): then look again shortly.
                return 0 if self.clock.jump_to(due) is not False else 0.02
            return 0.5
        return min(max((due - now).total_seconds(), 0.001), 0.5)

    def persist_virtual_now(self, _old: datetime, new: datetime) -> None:
        """Clock listener: keep the virtual time in the database for a restart."""
        with self.store.tx() as tx:
            tx.set_meta(VIRTUAL_NOW_KEY, to_history(new))

    # -- one step ---------------------------------------------------------------------------
    def step(self) -> bool:
        """Process one instance with deliverable messages; False if there was none."""
        now_text = to_history(self.clock.now())
        with self.store.tx() as tx:
            instance_id = tx.runnable_instance(now_text, self.rejected_executions)
        if instance_id is None:
            return False
        self.process(instance_id)
        for listener in self.on_episode:
            listener(instance_id)
        return True

    def process(self, instance_id: str) -> None:
        """Run one episode (or one control operation) for an instance."""
        now = self.clock.now()
        with self.store.tx() as tx:
            inst = tx.instance(instance_id)
            messages = tx.messages(instance_id, to_history(now))
            history = tx.history(instance_id)
        if inst is None:
            return
        stale = [m.msg_id for m in messages if m.execution_id not in (None, inst.execution_id)]
        live = [m for m in messages if m.execution_id in (None, inst.execution_id)]
        # Timestamps must never go backwards within a history.
        for item in history:
            if item.get("EventType") == EventType.ORCHESTRATOR_STARTED:
                now = max(now, parse(item["Timestamp"]))
        if inst.status in TERMINAL:
            with self.store.tx() as tx:
                tx.delete_messages([m.msg_id for m in messages])
            return
        batch = self._batch(inst, live)
        if not batch:
            with self.store.tx() as tx:
                tx.delete_messages(stale)
            return
        # DurableTask.Core checks the version of every work item, control messages included
        # (it handles terminate/suspend/resume inside the orchestration executor).
        refusal = self.versioning.mismatch(inst.version)
        if refusal is not None and self.versioning.failure_strategy is FailureStrategy.REJECT:
            self._reject(inst, refusal)
            return
        if refusal is None and batch[0].kind in CONTROL:
            self._control(inst, history, batch[0], stale, now)
        else:
            self._episode(inst, history, batch, stale, now, refusal=refusal)
        self.stats.episodes += 1

    def _reject(self, inst: Instance, refusal: str) -> None:
        """``Reject``: touch nothing; the instance waits for a host whose version accepts it.

        The real host abandons the work item and another worker picks it up. Locally that
        worker is this host restarted on a host.json that accepts the version. Nothing is
        written (a write would wake the engine again), and the execution is skipped from now
        on: its version and the settings cannot change before a restart, and a purge or a new
        start gives the instance a new execution id.
        """
        self.rejected_executions = self.rejected_executions | {inst.execution_id}
        self.stats.version_rejections += 1
        log.warning(
            "%s (%s) left %s: %s; it runs once devhost restarts with a host.json that accepts it",
            inst.instance_id,
            inst.name,
            inst.status,
            refusal,
        )

    @staticmethod
    def _batch(inst: Instance, live: list[Message]) -> list[Message]:
        """Control messages go alone; otherwise the run of events before the next control."""
        if inst.status == "Suspended":
            control = [m for m in live if m.kind in ("terminate", "resume")]
            return control[:1]
        if not live:
            return []
        if live[0].kind in CONTROL:
            return live[:1]
        batch: list[Message] = []
        for message in live:
            if message.kind in CONTROL:
                break
            batch.append(message)
        # ExecutionStarted must come right after the first OrchestratorStarted.
        batch.sort(key=lambda m: 0 if m.kind == "start" else 1)
        return batch

    # -- control operations -----------------------------------------------------------------
    def _control(
        self,
        inst: Instance,
        history: list[Event],
        message: Message,
        stale: list[int],
        now: datetime,
    ) -> None:
        stamp = to_history(now)
        started = any(e.get("EventType") == EventType.EXECUTION_STARTED for e in history)
        reason = message.event.get("Reason") or message.event.get("Input")
        events: list[Event] = []
        with self.store.tx() as tx:
            tx.delete_messages([message.msg_id, *stale])
            if message.kind == "terminate":
                events = [
                    event(EventType.EXECUTION_TERMINATED, stamp, Input=reason),
                    event(
                        EventType.EXECUTION_COMPLETED,
                        stamp,
                        OrchestrationStatus=int(OrchestrationStatus.TERMINATED),
                        Result=reason,
                        FailureDetails=None,
                    ),
                ]
                inst.status = "Terminated"
                inst.output = json.dumps(reason)
                self._end_execution(tx, inst, drop_all_messages=True)
                self._notify_parent(
                    tx, inst, ok=False, result=None, reason=reason, details=None, stamp=stamp
                )
            elif message.kind == "suspend" and inst.status in ("Running", "Pending"):
                events = [event(EventType.EXECUTION_SUSPENDED, stamp, Reason=reason)]
                inst.status = "Suspended"
            elif message.kind == "resume" and inst.status == "Suspended":
                events = [event(EventType.EXECUTION_RESUMED, stamp, Reason=reason)]
                inst.status = "Running" if started else "Pending"
            if events and started:
                tx.append_history(
                    inst.instance_id,
                    inst.execution_id,
                    [
                        event(EventType.ORCHESTRATOR_STARTED, stamp),
                        *events,
                        event(EventType.ORCHESTRATOR_COMPLETED, stamp),
                    ],
                )
            inst.last_updated_time = stamp
            tx.put_instance(inst)

    # -- orchestrator episodes --------------------------------------------------------------
    def _episode(
        self,
        inst: Instance,
        history: list[Event],
        batch: list[Message],
        stale: list[int],
        now: datetime,
        *,
        refusal: str | None = None,
    ) -> None:
        """Run the orchestrator on the batch; with a ``refusal`` (``Fail``) fail it instead."""
        stamp = to_history(now)
        past = [{**e, "IsPlayed": True} for e in history]
        new_events: list[Event] = [event(EventType.ORCHESTRATOR_STARTED, stamp)]
        # Control messages are no history events; they only reach here in a refused batch.
        new_events += [{**m.event, "IsPlayed": False} for m in batch if m.kind not in CONTROL]
        full = past + new_events
        consumed = [m.msg_id for m in batch] + stale
        if len(full) < 2 or full[1].get("EventType") != EventType.EXECUTION_STARTED:
            # Events for an execution that never started (e.g. a purge raced a start).
            with self.store.tx() as tx:
                tx.delete_messages(consumed)
            return
        if refusal is not None:
            self._fail_by_version(inst, new_events, consumed, refusal, stamp)
            return

        entry = self.index.orchestrators.get(inst.name)
        context = context_json(
            instance_id=inst.instance_id,
            history=full,
            raw_input=full[1].get("Input"),
            parent_instance_id=(inst.parent_info or {})
            .get("OrchestrationInstance", {})
            .get("InstanceId"),
        )
        if entry is None:
            outcome = EpisodeOutcome(error=not_found_message(inst.name, "orchestrator"))
        else:
            # A sync orchestrator runs on the Python worker's thread pool, like activities.
            with self.threads.slot():
                outcome = run_orchestrator(entry, context)
        result = ReplayResult()
        # Replayed on failure too: the shim replays the actions before it throws the error.
        try:
            result = replay(full, outcome.actions)
        except UnsupportedAction as exc:
            result = ReplayResult()
            outcome.error = outcome.error or str(exc)
        if result.mismatches:
            log.warning("non-determinism in %s: %s", inst.instance_id, result.mismatches)
        if self.check_sequencing and entry is not None and outcome.error is None:
            self._check_sequencing(inst, entry, context, result, outcome)

        # What the real host's shim has scheduled and still waits for (shim.py): the SDK's
        # verdict ends the instance only once the shim has finished every action, and a return
        # only once no activity, child or (uncancelled) timer it started is open.
        view = shim_view(result.top, full)
        returned = outcome.error is None and outcome.is_done
        ends = (outcome.error is not None or outcome.is_done) and view.may_end(returned=returned)
        limit_problem = self._host_limit_problem(inst, outcome, result.top[: view.reached])
        if limit_problem is not None:
            # The shim throws while it sets the status or invokes an action: the run fails now.
            outcome.error, ends = limit_problem, True
        with self.store.tx() as tx:
            tx.delete_messages(consumed)
            # Each episode stores the status it was given; the SDK omits a falsy one, so Azure
            # Storage then stores null (reference row 8).
            inst.custom_status = (
                serialised_custom_status(outcome.custom_status)
                if outcome.has_custom_status and limit_problem is None
                else None
            )
            inst.last_updated_time = stamp
            if outcome.error is not None and ends:
                self._fail(tx, inst, new_events, outcome.error, stamp)
            elif ends and any(a.get("actionType") == 4 for a in outcome.actions):
                self._continue_as_new(tx, inst, outcome, stamp)
            elif ends:
                self._complete(tx, inst, new_events, outcome.output, stamp)
            else:
                inst.status = "Running"
                new_events += self._schedule(tx, inst, result, now, view.reached_leaves)
                new_events.append(event(EventType.ORCHESTRATOR_COMPLETED, stamp))
                tx.append_history(inst.instance_id, inst.execution_id, new_events)
            tx.put_instance(inst)

    def _host_limit_problem(
        self, inst: Instance, outcome: EpisodeOutcome, reached: list[Node]
    ) -> str | None:
        """A host limit this episode breaks (custom status size, action count, child id)."""
        if outcome.has_custom_status:
            problem = custom_status_problem(outcome.custom_status)
            if problem is not None:
                return problem
        problem = actions_problem(count_actions(reached), self.max_actions)
        if problem is not None:
            return problem
        return sub_orchestration_id_problem(reached, inst.instance_id)

    def _check_sequencing(
        self,
        inst: Instance,
        entry: Any,
        context: str,
        result: ReplayResult,
        outcome: EpisodeOutcome,
    ) -> None:
        if outcome.is_done:
            return
        expected = sdk_open_task_ids(entry, context)
        if expected is None:
            return
        self.stats.oracle_checks += 1
        if expected != result.open_ids:
            message = (
                f"{inst.instance_id}: SDK waits for ids {sorted(expected)}, devhost derived "
                f"{sorted(result.open_ids)}"
            )
            log.error("sequence mismatch %s", message)
            self.stats.sequence_mismatches.append(message)

    def _fail(
        self, tx: Tx, inst: Instance, new_events: list[Event], error: str, stamp: str
    ) -> None:
        reason = f"Orchestrator function '{inst.name}' failed: {error}"
        failure = {"ErrorType": "Exception", "ErrorMessage": error}
        self._record_failure(tx, inst, new_events, reason, failure, stamp)

    def _fail_by_version(
        self, inst: Instance, new_events: list[Event], consumed: list[int], refusal: str, stamp: str
    ) -> None:
        """``Fail``: the orchestrator is not called; the instance fails with the refusal.

        DurableTask.Core records ``FailureDetails("VersionMismatch", ...)``; devhost's message
        starts with the same text and names both versions.
        """
        failure = {
            "ErrorType": MISMATCH_ERROR_TYPE,
            "ErrorMessage": refusal,
            "IsNonRetriable": True,
        }
        with self.store.tx() as tx:
            tx.delete_messages(consumed)
            inst.last_updated_time = stamp
            self._record_failure(tx, inst, new_events, refusal, failure, stamp)
            tx.put_instance(inst)

    def _record_failure(
        self,
        tx: Tx,
        inst: Instance,
        new_events: list[Event],
        reason: str,
        failure: dict[str, Any],
        stamp: str,
    ) -> None:
        new_events += [
            event(
                EventType.EXECUTION_COMPLETED,
                stamp,
                OrchestrationStatus=int(OrchestrationStatus.FAILED),
                Result=reason,
                FailureDetails=failure,
            ),
            event(EventType.ORCHESTRATOR_COMPLETED, stamp),
        ]
        tx.append_history(inst.instance_id, inst.execution_id, new_events)
        inst.status = "Failed"
        inst.output = json.dumps(reason)
        self._end_execution(tx, inst)
        self._notify_parent(
            tx, inst, ok=False, result=None, reason=reason, details=json.dumps(failure), stamp=stamp
        )

    def _complete(
        self, tx: Tx, inst: Instance, new_events: list[Event], output: Any, stamp: str
    ) -> None:
        result_text = json.dumps(output)
        new_events += [
            event(
                EventType.EXECUTION_COMPLETED,
                stamp,
                OrchestrationStatus=int(OrchestrationStatus.COMPLETED),
                Result=result_text,
                FailureDetails=None,
            ),
            event(EventType.ORCHESTRATOR_COMPLETED, stamp),
        ]
        tx.append_history(inst.instance_id, inst.execution_id, new_events)
        inst.status = "Completed"
        inst.output = result_text
        self._end_execution(tx, inst)
        self._notify_parent(
            tx, inst, ok=True, result=result_text, reason=None, details=None, stamp=stamp
        )

    def _continue_as_new(self, tx: Tx, inst: Instance, outcome: EpisodeOutcome, stamp: str) -> None:
        action = [a for a in outcome.actions if a.get("actionType") == 4][-1]
        self._end_execution(tx, inst)
        tx.clear_history(inst.instance_id)
        inst.execution_id = uuid.uuid4().hex
        # The new input takes the same JSON-string hop as a client start.
        new_input = action.get("input")
        inst.input = json.dumps(new_input) if new_input is not None else None
        inst.output = None
        inst.status = "ContinuedAsNew"
        tx.add_message(
            inst.instance_id,
            inst.execution_id,
            "start",
            execution_started(
                stamp,
                name=inst.name,
                instance_id=inst.instance_id,
                execution_id=inst.execution_id,
                raw_input=inst.input,
                parent=inst.parent_info,
                # The new execution keeps the instance's version: the extension calls
                # ContinueAsNew(input) without a new version, and DurableTask.Core starts the
                # next execution with ``NewVersion ?? runtimeState.Version``.
                version=inst.version,
            ),
        )

    @staticmethod
    def _end_execution(tx: Tx, inst: Instance, *, drop_all_messages: bool = False) -> None:
        """Forget pending timers/completions/activities of an execution that is over."""
        tx.drop_execution_messages(inst.instance_id, inst.execution_id)
        tx.drop_pending_activities(inst.instance_id, inst.execution_id)
        if drop_all_messages:
            tx.conn.execute("DELETE FROM messages WHERE instance_id = ?", (inst.instance_id,))

    @staticmethod
    def _notify_parent(
        tx: Tx,
        inst: Instance,
        *,
        ok: bool,
        result: str | None,
        reason: str | None,
        details: str | None,
        stamp: str,
    ) -> None:
        parent = inst.parent_info
        if not parent:
            return
        target = parent["OrchestrationInstance"]
        task_id = parent["TaskScheduleId"]
        if tx.instance(target["InstanceId"]) is None:
            return  # the parent was purged; nobody is waiting
        if ok:
            completion = event(
                EventType.SUB_ORCHESTRATION_COMPLETED,
                stamp,
                TaskScheduledId=task_id,
                Result=result,
            )
        else:
            completion = event(
                EventType.SUB_ORCHESTRATION_FAILED,
                stamp,
                TaskScheduledId=task_id,
                Reason=reason,
                Details=details,
            )
        tx.add_message(target["InstanceId"], target["ExecutionId"], "event", completion)

    # -- new work ---------------------------------------------------------------------------
    def _schedule(
        self, tx: Tx, inst: Instance, result: ReplayResult, now: datetime, reached: set[int]
    ) -> list[Event]:
        """Scheduling events for the new ids the shim has ``reached``, and their side effects.

        New work behind an action the shim still awaits (e.g. after a ``task_all`` whose failed
        child the SDK delivered while a sibling runs) is scheduled in a later episode.
        """
        stamp = to_history(now)
        events: list[Event] = []
        for leaf in result.new_leaves:
            if leaf.id not in reached:
                continue
            if leaf.kind == "activity":
                events.append(self._schedule_activity(tx, inst, leaf, stamp))
            elif leaf.kind in ("timer", "retry_timer"):
                events.append(self._schedule_timer(tx, inst, leaf, now))
            elif leaf.kind == "suborch":
                events.append(self._schedule_suborch(tx, inst, leaf, stamp))
        for leaf in result.leaves.values():
            if leaf.kind == "timer" and leaf.action.get("isCanceled") and not leaf.done:
                tx.cancel_timer(inst.instance_id, inst.execution_id, leaf.id)
        return events

    def _schedule_activity(self, tx: Tx, inst: Instance, leaf: Leaf, stamp: str) -> Event:
        name = str(leaf.action.get("functionName"))
        input_text = leaf.action.get("input")
        tx.add_activity(inst.instance_id, inst.execution_id, leaf.id, name, input_text)
        return event(
            EventType.TASK_SCHEDULED,
            stamp,
            event_id=leaf.id,
            Name=name,
            Version="",
            Input=json.dumps([input_text]),
        )

    def _schedule_timer(self, tx: Tx, inst: Instance, leaf: Leaf, now: datetime) -> Event:
        if leaf.kind == "retry_timer" and leaf.retry is not None:
            # Fire = this episode's time + the back-off for the attempt that just failed.
            fire_at = now + retry_delay(leaf.retry.options, leaf.retry.attempts)
        else:
            fire_at = parse(str(leaf.action.get("fireAt")))
        fire_text = to_history(fire_at)
        tx.add_message(
            inst.instance_id,
            inst.execution_id,
            "event",
            event(EventType.TIMER_FIRED, fire_text, TimerId=leaf.id, FireAt=fire_text),
            visible_at=fire_text,
        )
        return event(EventType.TIMER_CREATED, to_history(now), event_id=leaf.id, FireAt=fire_text)

    def _schedule_suborch(self, tx: Tx, inst: Instance, leaf: Leaf, stamp: str) -> Event:
        name = str(leaf.action.get("functionName"))
        child_id = leaf.action.get("instanceId") or f"{inst.execution_id}:{leaf.id}"
        input_text = leaf.action.get("input")
        # A child is a new instance: the action's version, else defaultVersion, never the
        # parent's (durabletask-java#240, durabletask-dotnet's sub-orchestration default).
        version = self.versioning.version_for_new(leaf.action.get("version"))
        created = event(
            EventType.SUB_ORCHESTRATION_CREATED,
            stamp,
            event_id=leaf.id,
            Name=name,
            Version=version,
            InstanceId=child_id,
            Input=input_text,
        )
        problem = None
        existing = tx.instance(child_id)
        if name not in self.index.orchestrators:
            problem = not_found_message(name, "orchestrator")
        elif existing is not None and existing.status in NOT_OVERRIDABLE:
            problem = f"An Orchestration instance with the status {existing.status} already exists."
        if problem is not None:
            tx.add_message(
                inst.instance_id,
                inst.execution_id,
                "event",
                event(
                    EventType.SUB_ORCHESTRATION_FAILED,
                    stamp,
                    TaskScheduledId=leaf.id,
                    Reason=problem,
                    Details=None,
                ),
            )
            return created
        parent = {
            "Name": inst.name,
            "Version": inst.version,
            "TaskScheduleId": leaf.id,
            "OrchestrationInstance": {
                "InstanceId": inst.instance_id,
                "ExecutionId": inst.execution_id,
            },
        }
        raw_input = json.dumps(input_text) if input_text is not None else None
        create_instance(
            tx,
            child_id,
            name,
            raw_input,
            stamp,
            parent=parent,
            replace=existing is not None,
            version=version,
        )
        return created


def create_instance(
    tx: Tx,
    instance_id: str,
    name: str,
    raw_input: str | None,
    stamp: str,
    *,
    parent: dict[str, Any] | None = None,
    replace: bool = False,
    version: str = "",
) -> Instance:
    """Create (or replace a finished) instance of ``version`` and queue its ExecutionStarted."""
    if replace:
        tx.delete_instance(instance_id)
    inst = Instance(
        instance_id=instance_id,
        name=name,
        execution_id=uuid.uuid4().hex,
        status="Pending",
        input=raw_input,
        output=None,
        custom_status=None,
        created_time=stamp,
        last_updated_time=stamp,
        parent=json.dumps(parent) if parent else None,
        version=version,
    )
    tx.put_instance(inst)
    tx.add_message(
        instance_id,
        inst.execution_id,
        "start",
        execution_started(
            stamp,
            name=name,
            instance_id=instance_id,
            execution_id=inst.execution_id,
            raw_input=raw_input,
            parent=parent,
            version=version,
        ),
    )
    return inst
