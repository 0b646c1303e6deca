"""Long-running operations: the registry behind Azure-AsyncOperation and Location URLs.

An operation ends when the simulator clock reaches its ``ready_at`` or after it has answered
``polls_needed`` "in progress" polls, whichever comes first; polls never shorten a gateway
build (its ``polls_needed`` is unbounded). Ending applies the backend's end state through
``complete``. Status bodies follow the ARM async contract: ``{"status": ...}`` plus ``error``
when the operation failed.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from simulator.clock import Clock, iso

Outcome = Literal["Succeeded", "Failed", "Canceled"]
NEVER_BY_POLLS = math.inf


@dataclass
class Operation:
    """One running or finished ARM operation."""

    op_id: str
    resource_id: str
    action: Literal["put", "delete"]
    started: dt.datetime
    ready_at: dt.datetime
    polls_needed: float
    complete: Callable[[Operation], object]
    result: Callable[[], dict[str, Any] | None] = lambda: None
    outcome: Outcome = "Succeeded"
    error: dict[str, Any] | None = None
    polls: int = 0
    ended: dt.datetime | None = None
    region: str = ""

    @property
    def done(self) -> bool:
        return self.ended is not None

    def status_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.op_id,
            "name": self.op_id,
            "status": self.outcome if self.done else "InProgress",
            "startTime": iso(self.started),
        }
        if self.ended is not None:
            body["endTime"] = iso(self.ended)
            if self.outcome != "Succeeded" and self.error:
                body["error"] = self.error
        return body


def _ancestors(resource_id: str) -> list[str]:
    """The lower-cased resource id and each of its parent paths (``/a/b/c``, ``/a/b``, ``/a``)."""
    parts = resource_id.lower().rstrip("/").split("/")
    return ["/".join(parts[:n]) for n in range(len(parts), 1, -1)]


@dataclass
class Operations:
    """All operations of one simulator, keyed by id.

    Running ones are also in a deadline heap (``tick`` pops only those whose time has come)
    and indexed under every ancestor path of their resource (``pending_under``), so no request
    scans every operation the simulator ever started.
    """

    clock: Clock
    _ops: dict[str, Operation] = field(default_factory=dict)
    _deadlines: list[tuple[dt.datetime, int, str]] = field(default_factory=list)
    _under: dict[str, dict[str, Operation]] = field(default_factory=dict)
    _order: itertools.count[int] = field(default_factory=itertools.count)

    def start(
        self,
        resource_id: str,
        action: Literal["put", "delete"],
        complete: Callable[[Operation], object],
        *,
        duration: dt.timedelta = dt.timedelta(0),
        polls_needed: float = 0,
        result: Callable[[], dict[str, Any] | None] = lambda: None,
        outcome: Outcome = "Succeeded",
        error: dict[str, Any] | None = None,
        region: str = "",
    ) -> Operation:
        now = self.clock.now()
        op = Operation(
            op_id=str(uuid.uuid4()),
            resource_id=resource_id,
            action=action,
            started=now,
            ready_at=now + duration,
            polls_needed=polls_needed,
            complete=complete,
            result=result,
            outcome=outcome,
            error=error,
            region=region,
        )
        self._ops[op.op_id] = op
        heapq.heappush(self._deadlines, (op.ready_at, next(self._order), op.op_id))
        for path in _ancestors(resource_id):
            self._under.setdefault(path, {})[op.op_id] = op
        return op

    def get(self, op_id: str) -> Operation | None:
        return self._ops.get(op_id.lower())

    def finish(self, op: Operation) -> None:
        if op.done:
            return
        op.ended = self.clock.now()
        for path in _ancestors(op.resource_id):
            running = self._under.get(path)
            if running is not None:
                running.pop(op.op_id, None)
                if not running:
                    del self._under[path]
        op.complete(op)

    def tick(self) -> None:
        """End every operation whose time has come (earliest first)."""
        now = self.clock.now()
        while self._deadlines and self._deadlines[0][0] <= now:
            _, _, op_id = heapq.heappop(self._deadlines)
            op = self._ops.get(op_id)
            # An entry left by reschedule() may be earlier than the operation's time now.
            if op is not None and not op.done and op.ready_at <= now:
                self.finish(op)

    def next_deadline(self) -> dt.datetime | None:
        """When the earliest running operation ends (None: none runs)."""
        while self._deadlines:
            ready_at, _, op_id = self._deadlines[0]
            op = self._ops.get(op_id)
            if op is not None and not op.done and op.ready_at == ready_at:
                return ready_at
            heapq.heappop(self._deadlines)  # stale: ended by polls, or rescheduled
        return None

    def reschedule(self, op: Operation, ready_at: dt.datetime) -> None:
        """Move a running operation's end (a fault rule changed a gateway's build time)."""
        op.ready_at = ready_at
        heapq.heappush(self._deadlines, (ready_at, next(self._order), op.op_id))

    def poll(self, op: Operation) -> Operation:
        if not op.done and op.polls >= op.polls_needed:
            self.finish(op)
        if not op.done:
            op.polls += 1
        return op

    def pending(self) -> list[Operation]:
        return [op for op in self._ops.values() if not op.done]

    def pending_under(self, resource_id: str) -> list[Operation]:
        """Running operations on ``resource_id`` or anything below it."""
        return list(self._under.get(resource_id.lower().rstrip("/"), {}).values())

    def clear(self) -> None:
        self._ops.clear()
        self._deadlines.clear()
        self._under.clear()
