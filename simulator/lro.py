"""Long-running operations: the registry behind Azure-AsyncOperation and Location URLs.

An operation ends when the simulator clock reaches its ``ready_at`` or after it has answered
``polls_needed`` "in progress" polls, whichever comes first; polls never shorten a gateway
build (its ``polls_needed`` is unbounded). Ending applies the backend's end state through
``complete``. Status bodies follow the ARM async contract: ``{"status": ...}`` plus ``error``
when the operation failed.
"""

from __future__ import annotations

import datetime as dt
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


@dataclass
class Operations:
    """All operations of one simulator, keyed by id."""

    clock: Clock
    _ops: dict[str, Operation] = field(default_factory=dict)

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
        return op

    def get(self, op_id: str) -> Operation | None:
        return self._ops.get(op_id.lower())

    def finish(self, op: Operation) -> None:
        if op.done:
            return
        op.ended = self.clock.now()
        op.complete(op)

    def tick(self) -> None:
        """End every operation whose time has come."""
        now = self.clock.now()
        for op in list(self._ops.values()):
            if not op.done and now >= op.ready_at:
                self.finish(op)

    def poll(self, op: Operation) -> Operation:
        if not op.done and op.polls >= op.polls_needed:
            self.finish(op)
        if not op.done:
            op.polls += 1
        return op

    def pending(self) -> list[Operation]:
        return [op for op in self._ops.values() if not op.done]

    def clear(self) -> None:
        self._ops.clear()
