"""Drives orchestrator generators without a host: a fake context and a scripted world.

The fake context hands out task objects; the driver resolves each yielded task against the
script (activity implementations, failures per attempt, operator events at given times) on a
virtual clock, and sends the result back into the generator (or throws the failure into it,
as the SDK does for TaskFailed). Sub-orchestrations run recursively; ``continue_as_new``
restarts the child with its new input. Parallel groups resolve in order, on one clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.operator_events import wait_kind
from shared.step_errors import StepError

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@dataclass
class Task:
    kind: str
    name: str = ""
    payload: Any = None
    fire_at: dt.datetime | None = None
    children: list[Task] = field(default_factory=list)
    instance_id: str | None = None
    result: Any = None
    cancelled: bool = False
    version: str | None = None

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class Call:
    name: str
    payload: Any
    at: dt.datetime
    attempt: int


class World:
    """The script: what activities return, when they fail, when operators answer."""

    def __init__(self) -> None:
        self.now = START
        self.activities: dict[str, Callable[[Any, World], Any]] = {}
        self.failures: dict[str, list[Exception]] = {}
        self.events: list[tuple[str, dt.datetime, Any]] = []
        self.calls: list[Call] = []
        self.timers: list[dt.datetime] = []
        self.statuses: list[Any] = []
        self.groups: list[list[str]] = []
        self.attempts: dict[str, int] = {}

    def fail(self, name: str, *errors: Exception) -> None:
        self.failures.setdefault(name, []).extend(errors)

    def raise_event(self, name: str, after: dt.timedelta, payload: Any) -> None:
        self.events.append((name, START + after, payload))

    def called(self, name: str | None = None) -> list[str]:
        return [c.name for c in self.calls if name is None or c.name == name]

    def run_activity(self, name: str, payload: Any) -> Any:
        self.attempts[name] = self.attempts.get(name, 0) + 1
        self.calls.append(Call(name, payload, self.now, self.attempts[name]))
        queue = self.failures.get(name)
        if queue:
            error = queue.pop(0)
            # The host hands the activity's exception message to the orchestrator as text.
            raise Exception(f"Activity function '{name}' failed: {error} \n details")
        impl = self.activities.get(name)
        return impl(payload, self) if impl else None


class FakeContext:
    def __init__(
        self, world: World, instance_id: str, input_: Any, version: str | None = None
    ) -> None:
        self.world = world
        self.instance_id = instance_id
        self._input = input_
        self.is_replaying = False
        self.version = version
        self.new_input: Any = None

    @property
    def current_utc_datetime(self) -> dt.datetime:
        return self.world.now

    def get_input(self) -> Any:
        return self._input

    def call_activity(self, name: str, input_: Any = None) -> Task:
        return Task("activity", name, input_)

    def call_sub_orchestrator(
        self,
        name: str,
        input_: Any = None,
        instance_id: str | None = None,
        version: str | None = None,
    ) -> Task:
        task = Task("sub", name, input_, instance_id=instance_id)
        task.version = version
        return task

    def create_timer(self, fire_at: dt.datetime) -> Task:
        return Task("timer", fire_at=fire_at)

    def wait_for_external_event(self, name: str) -> Task:
        return Task("event", name)

    def task_all(self, tasks: list[Task]) -> Task:
        return Task("all", children=tasks)

    def task_any(self, tasks: list[Task]) -> Task:
        return Task("any", children=tasks)

    def set_custom_status(self, status: Any) -> None:
        self.world.statuses.append(status)

    def continue_as_new(self, input_: Any) -> None:
        self.new_input = input_


class Driver:
    def __init__(self, world: World, orchestrators: dict[str, Callable[[Any], Any]]) -> None:
        self.world = world
        self.orchestrators = orchestrators

    def run(
        self, name: str, input_: Any, instance_id: str = "onboard-chg1", version: str | None = None
    ) -> Any:
        while True:
            ctx = FakeContext(self.world, instance_id, input_, version)
            result = self._drive(self.orchestrators[name](ctx))
            if ctx.new_input is None:
                return result
            input_ = ctx.new_input

    def _drive(self, gen: Any) -> Any:
        value: Any = None
        error: Exception | None = None
        while True:
            try:
                task = gen.throw(error) if error is not None else gen.send(value)
            except StopIteration as stop:
                return stop.value
            value, error = None, None
            try:
                value = self._resolve(task)
            except Exception as exc:  # thrown back into the generator, as the SDK does
                error = exc

    def _resolve(self, task: Task) -> Any:
        w = self.world
        if task.kind == "activity":
            task.result = w.run_activity(task.name, task.payload)
        elif task.kind == "timer":
            assert task.fire_at is not None
            w.timers.append(task.fire_at)
            w.now = max(w.now, task.fire_at)
        elif task.kind == "sub":
            task.result = self.run(
                task.name, task.payload, task.instance_id or "child", task.version
            )
        elif task.kind == "all":
            w.groups.append([_label(c) for c in task.children])
            return [self._resolve(c) for c in task.children]
        elif task.kind == "any":
            return self._race(task.children)
        elif task.kind == "event":
            return self._race([task]).result
        return task.result

    def _race(self, tasks: list[Task]) -> Task:
        w = self.world

        def ready_at(t: Task) -> dt.datetime:
            if t.kind == "timer":
                assert t.fire_at is not None
                return t.fire_at
            if t.kind == "event":
                times = [at for name, at, _ in w.events if _answers(name, t.name)]
                return max(min(times), w.now) if times else dt.datetime.max.replace(tzinfo=dt.UTC)
            return w.now

        winner = min(tasks, key=ready_at)
        when = ready_at(winner)
        if when.year == dt.MAXYEAR:
            raise AssertionError("the orchestration waits for something that never happens")
        w.now = max(w.now, when)
        if winner.kind == "event":
            index = next(i for i, (n, _, _) in enumerate(w.events) if _answers(n, winner.name))
            winner.result = w.events.pop(index)[2]
        elif winner.kind == "timer":
            w.timers.append(when)
        else:
            self._resolve(winner)
        return winner


def _answers(raised: str, waited: str) -> bool:
    """An event raised by its exact name, or by its kind as the operator API raises it (to the
    wait of that kind open at the time: ``private_ip`` answers ``private_ip-2``)."""
    return raised in (waited, wait_kind(waited))


def _label(task: Task) -> str:
    """A parallel child by what it runs: run_step children by their activity."""
    if isinstance(task.payload, dict) and "activity" in task.payload:
        return str(task.payload["activity"])
    return task.name or task.kind


def step_error(kind: str, code: str, retry_after: float | None = None) -> StepError:
    return StepError(kind, code, f"simulated {code}", retry_after)  # type: ignore[arg-type]
