"""The saga's ledger: the only code that keeps step records, undo entries, status and milestones.

The procedure (orchestrators/saga.py) says what to do; the ledger records what happened:

* ``call`` / ``all`` run activities from the table (shared/activity_table.py) with classified
  retries: one call inline, several side by side as ``run_step`` sub-orchestrations (a ``None``
  slot keeps positions). Each call is recorded under **its own** step (attempts, created ids,
  its undo entry); when a call cannot succeed the ledger either holds it for an operator
  (``POLICY_FAILED_STEP_HOLD_HOURS``), who may retry exactly the failed calls, or raises
  :class:`StepFailed` for that call's step, after recording every call that did succeed.
* ``done`` / ``fail`` close steps; steps the plan skips are marked skipped up front.
* ``wait_for_operator`` races an operator event against a deadline with reminders, and a
  ``cancel`` event (terminate with compensation) against both.
* ``guard`` runs the procedure, compensates in reverse on failure and reports the outcome.

Everything here is deterministic: time from the context, no I/O but through yielded tasks.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Generator, Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from orchestrators.context import OrchestrationContext, Task
from orchestrators.step_runner import run_with_retry
from shared import names
from shared.activity_table import ACTIVITIES, POLICIES, Activity
from shared.custom_status import bounded
from shared.operator_events import parse_cancel, parse_failed_decision, wait_event, wait_kind
from shared.run_log import milestone
from shared.saga_models import (
    EventKind,
    Outcome,
    RunStepInput,
    RunStepResult,
    SagaPolicy,
    SagaResult,
    StatusEvent,
    StepRecord,
    StepStatus,
    UndoEntry,
)
from shared.saga_plan import STEPS, compensation_order, deadline_after, next_wake, passed

Gen = Generator[Any, Any, Any]
CallSpec = tuple[Activity, BaseModel] | None


class StepFailed(Exception):
    """A forward step could not succeed; the saga compensates."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"{step}: {message}")
        self.step = step


def as_json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(by_alias=True, mode="json")


def error_text(result: RunStepResult) -> str:
    error = result.error or {}
    return f"{error.get('code', 'Error')}: {error.get('message', '')}"[:500]


class Ledger:
    """Bookkeeping of one run, rebuilt identically on every replay."""

    def __init__(
        self,
        ctx: OrchestrationContext,
        ticket_id: str,
        policy: SagaPolicy,
        skipped: Iterable[str],
        steps: Sequence[str] = STEPS,
    ) -> None:
        self.ctx = ctx
        self.ticket_id = ticket_id
        self.policy = policy
        self.steps = {name: StepRecord(name=name) for name in steps}
        # Pure: the team record a succeeded run leaves, sent with its last milestone (issue 15).
        self.inventory: Callable[[Ledger], dict[str, Any]] | None = None
        for name in skipped:
            self.steps[name].status = "skipped"
        self.undo: list[UndoEntry] = []
        self.hostname: str | None = None
        self._children = 0
        self._waits = 0
        # Live detail for the status model (shared/status_model.py), only in the custom status:
        # the step being retried (attempt, last error, next try), the parallel calls' children
        # (their own custom status says their retries) and the step being undone.
        self.retrying: dict[str, dict[str, Any]] = {}
        self.batch: list[str] = []
        self.undoing: str | None = None
        self._shown: dict[str, Any] = {}

    # --- time and status -------------------------------------------------------------------

    def clock(self) -> dt.datetime:
        return self.ctx.current_utc_datetime

    def deadline(self, hours: float) -> dt.datetime:
        return deadline_after(self.clock(), hours)

    def status(
        self,
        step: str,
        waiting_for: str,
        until: dt.datetime | None,
        event: str | None = None,
        cancellable: bool = False,
        asks: dict[str, Any] | None = None,
    ) -> None:
        custom: dict[str, Any] = {
            "step": step,
            "waitingFor": waiting_for,
            "until": until.isoformat() if until else None,
            "steps": [s.model_dump(by_alias=True) for s in self.steps.values()],
        }
        if self.retrying:
            custom["retrying"] = dict(self.retrying)
        if self.batch:
            custom["children"] = list(self.batch)
        if self.undoing is not None:
            custom["undoing"] = self.undoing
        if self.hostname:
            custom["hostname"] = self.hostname
        if event is not None:
            # The operator API raises answers only to the event the run waits for now (by its
            # kind, e.g. POST .../events/private_ip), and accepts cancel with it.
            custom["operatorEvent"] = event
            custom["operatorWait"] = wait_kind(event)
        if event is not None or cancellable:
            custom["cancellable"] = True  # a cancel event is awaited now
        if asks:
            custom["asks"] = asks  # what the operator decides on (e.g. the approval summary)
        self._shown = {"step": step, "waiting_for": waiting_for, "until": until, "event": event,
                       "cancellable": cancellable, "asks": asks}  # fmt: skip
        self.ctx.set_custom_status(bounded(custom))

    def _reshow(self) -> None:
        """The last status again, with the live detail as it is now (a retry began or ended)."""
        if self._shown:
            self.status(**self._shown)

    def _reporter(self, step: str) -> Any:
        def report(info: dict[str, Any] | None) -> None:
            if info is None:
                self.retrying.pop(step, None)
            else:
                self.retrying[step] = info
            self._reshow()

        return report

    def _begin(self, step: str, status: StepStatus = "running") -> StepRecord:
        record = self.steps[step]
        record.status = status
        record.started = record.started or self.clock().isoformat()
        return record

    # --- activities --------------------------------------------------------------------------

    def call(self, activity: Activity, inp: BaseModel) -> Gen:
        """Run one activity (retried, held or failed like any call); its typed output."""
        (output,) = yield from self.all((activity, inp))
        return output

    def all(self, *calls: CallSpec) -> Gen:
        """Run the calls side by side; their typed outputs in the same positions."""
        outputs: list[Any] = [None] * len(calls)
        todo = [(i, spec) for i, spec in enumerate(calls) if spec is not None]
        for _, (activity, _inp) in todo:
            if self.steps[self._step_of(activity)].status != "succeeded":  # e.g. a later poll
                self._begin(self._step_of(activity))
        while todo:
            first = self._step_of(todo[0][1][0])
            budget = max(POLICIES[a.policy].max_total_s for _, (a, _) in todo)
            self.status(first, ", ".join(a.name for _, (a, _) in todo),
                        self.clock() + dt.timedelta(seconds=budget))  # fmt: skip
            results = yield from self._run([spec for _, spec in todo])
            failed: list[tuple[tuple[int, tuple[Activity, BaseModel]], str]] = []
            unreadable: list[StepFailed] = []
            for (index, spec), result in zip(todo, results, strict=True):
                if not result.ok:
                    record = self.steps[self._step_of(spec[0])]
                    record.attempts += result.attempts
                    record.calls += 1
                    failed.append(((index, spec), error_text(result)))
                    self._record_partial(spec[0], result)
                    continue
                try:
                    outputs[index] = self._record(spec[0], result)
                except StepFailed as broken:  # every other success is still recorded first
                    unreadable.append(broken)
            if unreadable:
                raise unreadable[0]
            if not failed:
                break
            step = self._step_of(failed[0][0][1][0])
            if not (yield from self._hold(step, failed[0][1])):
                for (_, (activity, _)), error in failed[1:]:
                    self.fail(self._step_of(activity), error)
                raise self.fail(step, failed[0][1])
            todo = [spec for spec, _ in failed]
        return outputs

    def _run(
        self, calls: list[tuple[Activity, BaseModel]]
    ) -> Generator[Any, Any, list[RunStepResult]]:
        if len(calls) == 1:
            activity, inp = calls[0]
            step = self._step_of(activity)
            result = yield from run_with_retry(
                self.ctx, activity.name, as_json(inp), POLICIES[activity.policy],
                self._reporter(step),
            )  # fmt: skip
            return [result]
        first = self._children + 1
        tasks = [
            self.sub_orchestration(names.RUN_STEP, RunStepInput(
                activity=activity.name, payload=as_json(inp), policy=activity.policy,
                step=self._step_of(activity)))
            for activity, inp in calls
        ]  # fmt: skip
        self.batch = [f"{self.ctx.instance_id}:{n}" for n in range(first, self._children + 1)]
        self._reshow()
        done = yield self.ctx.task_all(tasks)
        self.batch = []
        return [RunStepResult.model_validate(raw) for raw in done]

    def _record(self, activity: Activity, result: RunStepResult) -> Any:
        """Attempts, created ids and the undo of a call that succeeded; its typed output."""
        step = self.steps[self._step_of(activity)]
        step.attempts += result.attempts
        step.calls += 1
        try:
            output = activity.parse(result.result)
        except ValidationError as exc:
            # A result this code cannot read: the step fails (and is compensated), never crashes.
            summary = (
                f"internal error: unreadable {activity.name} result: {exc.error_count()} errors"
            )
            raise self.fail(step.name, summary) from None
        if activity.undo and activity.made and output is not None:
            made = activity.made(output)
            step.created.extend(made.ids)
            self.undo.append(UndoEntry(step=step.name, activity=activity.undo,
                                       payload=as_json(output), label=made.label))  # fmt: skip
        return output

    def _record_partial(self, activity: Activity, result: RunStepResult) -> None:
        """The undo of what a failed call made half-way (its error's ``partial``), if any.

        Recorded like a success's undo, so compensation removes it; a held call that is retried
        and succeeds later pushes its own entry too, and undo is idempotent (404 is done).
        """
        partial = (result.error or {}).get("partial")
        if not (activity.undo and activity.made and isinstance(partial, dict)):
            return
        try:
            record = activity.parse(partial)
        except ValidationError:
            return  # unreadable: nothing to undo by (the step's error is reported anyway)
        made = activity.made(record)
        step = self.steps[self._step_of(activity)]
        step.created.extend(i for i in made.ids if i not in step.created)
        payload = as_json(record)
        if any(e.activity == activity.undo and e.payload == payload for e in self.undo):
            return  # the same partial work, reported again by a retried (held) call
        self.undo.append(UndoEntry(step=step.name, activity=activity.undo, payload=payload,
                                   label=made.label))  # fmt: skip

    @staticmethod
    def _step_of(activity: Activity) -> str:
        assert activity.step is not None, f"{activity.name} belongs to no step"
        return activity.step

    def wait(self, seconds: float) -> Gen:
        """A durable timer: the run sleeps without holding a worker."""
        yield self.ctx.create_timer(self.clock() + dt.timedelta(seconds=seconds))

    def count(self, step: str, attempts: int) -> None:
        self.steps[step].attempts += attempts

    def sub_orchestration(self, name: str, inp: BaseModel) -> Task:
        """Schedule a child of this run, on this run's version, with a stable instance id."""
        self._children += 1
        child_id = f"{self.ctx.instance_id}:{self._children}"
        version = self.ctx.version or None
        if version is None:
            return self.ctx.call_sub_orchestrator(name, as_json(inp), child_id)
        return self.ctx.call_sub_orchestrator(name, as_json(inp), child_id, version)

    def child(
        self,
        step: str,
        what: str,
        until: dt.datetime,
        name: str,
        inp: BaseModel,
        cancel: Task,
    ) -> Gen:
        """Run a child orchestration for ``step``; its result, or the step fails on cancel."""
        self._begin(step)
        self.status(step, what, until, cancellable=True)
        child = self.sub_orchestration(name, inp)
        if (yield self.ctx.task_any([child, cancel])) == cancel:
            raise self.cancelled(step, cancel)
        return child.result

    # --- closing steps -----------------------------------------------------------------------

    def done(self, *steps: str) -> Gen:
        """Close the steps (those the plan skips stay skipped) and notify each."""
        for name in steps:
            record = self.steps[name]
            if record.status == "skipped":
                continue
            record.status, record.ended = "succeeded", self.clock().isoformat()
            milestone(self.ctx, self.ticket_id, "step done", step=name)
            yield from self.notify("stepDone", step=name, created=list(record.created))

    def fail(self, step: str, message: str) -> StepFailed:
        record = self._begin(step, "failed")
        record.ended, record.error = self.clock().isoformat(), message
        return StepFailed(step, message)

    def _hold(self, step: str, error: str) -> Generator[Any, Any, bool]:
        """Hold a call that cannot succeed for an operator; True when they ask to retry it."""
        if self.policy.failed_step_hold_hours <= 0:
            return False
        self.steps[step].error = error
        answer = yield from self.wait_for_operator(
            step, names.EVENT_FAILED_DECISION,
            f"a decision on the failed {step} step: fix the cause, then retry (or compensate)",
            self.deadline(self.policy.failed_step_hold_hours), step_status="failed",
        )  # fmt: skip
        if answer is None or parse_failed_decision(answer) != "retry":
            return False
        self._begin(step).error = None
        return True

    # --- operators ---------------------------------------------------------------------------

    def notify(self, kind: EventKind, **detail: Any) -> Gen:
        """Publish a status event; a failed publish never fails the onboarding."""
        event = StatusEvent(kind=kind, ticket_id=self.ticket_id, instance_id=self.ctx.instance_id,
                            at=self.clock().isoformat(), **detail)  # fmt: skip
        with contextlib.suppress(Exception):  # notifications are best effort by design
            yield self.ctx.call_activity(ACTIVITIES["publish_event"].name, event.payload())

    def cancel_waiter(self) -> Task:
        """The operator API's terminate with compensation; adds no history until raised."""
        return self.ctx.wait_for_external_event(names.EVENT_CANCEL)

    def cancelled(self, step: str, cancel: Task) -> StepFailed:
        request = parse_cancel(cancel.result)
        return self.fail(step, f"terminated by {request.by}: {request.reason}")

    def wait_for_operator(
        self,
        step: str,
        kind: str,
        what: str,
        deadline: dt.datetime,
        cancel: Task | None = None,
        step_status: StepStatus = "running",
        asks: dict[str, Any] | None = None,
    ) -> Gen:
        """The operator's answer, reminding at intervals; None once the deadline passes.

        Each wait listens under its own event name (``<kind>-<n>``), with one waiter for the
        whole wait (not one per reminder): exactly one answer is consumed, and an answer meant
        for an earlier wait can never answer this one. A ``cancel`` fails the step: the run
        undoes its work.
        """
        self._begin(step, step_status)
        self._waits += 1
        event = wait_event(kind, self._waits)
        answer: Task | None = None
        if cancel is None:
            cancel = self.cancel_waiter()
        while not passed(self.clock(), deadline):
            self.status(step, what, deadline, event, asks=asks)
            milestone(self.ctx, self.ticket_id, "waiting on operator", step=step, event=event)
            yield from self.notify("waitingOnOperator", step=step, waiting_for=what, event=event,
                                   until=deadline.isoformat(), asks=asks)  # fmt: skip
            if answer is None:
                answer = self.ctx.wait_for_external_event(event)
            timer = self.ctx.create_timer(
                next_wake(self.clock(), deadline, self.policy.reminder_hours)
            )
            winner = yield self.ctx.task_any([answer, cancel, timer])
            if winner == cancel:
                timer.cancel()
                raise self.cancelled(step, cancel)
            if winner == answer:
                timer.cancel()
                self._begin(step)
                return answer.result
        return None

    # --- the run as a whole ------------------------------------------------------------------

    def guard(self, forward: Gen, mode: str) -> Generator[Any, Any, dict[str, Any]]:
        """Run the procedure; on failure undo in reverse; report the outcome either way."""
        milestone(self.ctx, self.ticket_id, "onboarding started", mode=mode)
        yield from self.notify("accepted")
        try:
            yield from forward
        except StepFailed as failure:
            return (yield from self._compensate(failure))
        except Exception as exc:  # a bug: still never leave orphans
            running = [s for s in self.steps.values() if s.status == "running"]
            step = running[-1].name if running else STEPS[0]
            internal = self.fail(step, f"internal error: {type(exc).__name__}: {exc}"[:500])
            return (yield from self._compensate(internal))
        self.status("report", "nothing (done)", None)
        milestone(self.ctx, self.ticket_id, "onboarding succeeded")
        inventory = self.inventory(self) if self.inventory is not None else None
        yield from self.notify("succeeded", hostname=self.hostname, outcome="Succeeded",
                               inventory=inventory)  # fmt: skip
        return self._result("Succeeded")

    def _compensate(self, failure: StepFailed) -> Generator[Any, Any, dict[str, Any]]:
        milestone(self.ctx, self.ticket_id, "compensating", step=failure.step)
        yield from self.notify("failed", step=failure.step, error=str(failure))
        leftovers: list[str] = []
        leftover_undo: list[UndoEntry] = []
        for entry in compensation_order(self.undo):
            undo = ACTIVITIES[entry.activity]
            budget = dt.timedelta(seconds=POLICIES[undo.policy].max_total_s)
            self.undoing = entry.step
            self.status(
                "compensate", f"undo {entry.activity} of {entry.label}", self.clock() + budget
            )
            result = yield from run_with_retry(
                self.ctx, undo.name, entry.payload, POLICIES[undo.policy],
                self._reporter(entry.step),
            )  # fmt: skip
            record = self.steps[entry.step]
            if result.ok:
                record.undone.append(entry.label)
                if record.status != "undo-failed":
                    record.status = "undone"
            else:
                leftovers.append(entry.label)
                leftover_undo.append(entry)
                record.status = "undo-failed"
                record.error = f"undo failed: {(result.error or {}).get('message', '')}"
        outcome: Outcome = (
            "CompensationFailed" if leftovers else ("Compensated" if self.undo else "Failed")
        )
        self.undoing = None
        self.status("done", f"nothing ({outcome})", None)
        milestone(self.ctx, self.ticket_id, "onboarding ended", outcome=outcome)
        yield from self.notify("compensationFailed" if leftovers else "compensated",
                               leftovers=leftovers, outcome=outcome)  # fmt: skip
        return self._result(outcome, error=str(failure), leftovers=leftovers,
                            leftover_undo=leftover_undo)  # fmt: skip

    def _result(self, outcome: Outcome, **extra: Any) -> dict[str, Any]:
        return SagaResult(
            outcome=outcome, instance_id=self.ctx.instance_id, ticket_id=self.ticket_id,
            steps=list(self.steps.values()), created=[e.label for e in self.undo],
            hostname=self.hostname, **extra,
        ).model_dump(by_alias=True)  # fmt: skip
