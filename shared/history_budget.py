"""How many history events an orchestration's yields add, as the Durable host records them.

Pure arithmetic used by orchestrators to keep one execution's history bounded (DESIGN.md §3):
every episode the host runs adds ``OrchestratorStarted`` and ``OrchestratorCompleted``; a
scheduled activity adds ``TaskScheduled`` and its ``TaskCompleted``/``TaskFailed``; a timer
``TimerCreated`` and ``TimerFired``; the execution itself ``ExecutionStarted`` and, at its end,
``ExecutionCompleted`` (continue-as-new included). Each awaited task costs one more episode.
DurableTask.Core's event types: docs/reference durable-host-semantics.md; devhost/history.py.
"""

from __future__ import annotations

from dataclasses import dataclass

EPISODE = 2  # OrchestratorStarted + OrchestratorCompleted
START = 1 + EPISODE  # ExecutionStarted and the first episode
END = 1  # ExecutionCompleted (also written when the execution continues as new)
TASK = 2 + EPISODE  # an awaited activity or timer: scheduled + answered, and its episode

# One execution of a long-running loop (the gateway waiter) stays at or under this many events,
# so a replay reads a short history whatever the build time or the failure rate.
EXECUTION_BUDGET = 100


@dataclass
class HistoryMeter:
    """Counts the events one execution has added so far (replay-safe: pure counting)."""

    budget: int = EXECUTION_BUDGET
    events: int = START

    def add(self, tasks: int = 1) -> None:
        self.events += TASK * tasks

    def fits(self, tasks: int, reserve_tasks: int = 0) -> bool:
        """Room for ``tasks`` more awaited tasks, then ``reserve_tasks`` and the end."""
        return self.events + TASK * (tasks + reserve_tasks) + END <= self.budget


def retry_loop_events(attempts: int) -> int:
    """Events one call's retry loop adds: each attempt, and a timer between attempts."""
    return TASK * attempts + TASK * max(attempts - 1, 0)
