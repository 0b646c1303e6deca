"""The list refreshes active rows from Durable (issue 14): the live step, and how a run ended.

triggers/operator_api.py ``_repair`` with a Durable client and an index stand-in: a row that
still names the step before the build gets the live step and what the run works on; a row of
a run that failed without its last milestone gets its outcome, its error and its time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from triggers.operator_api import _repair


@dataclass
class Status:
    instance_id: str
    runtime_status: str
    custom_status: Any = None
    output: Any = None
    last_updated_time: Any = None


@dataclass
class Client:
    statuses: dict[str, Status]

    async def get_status(self, instance_id: str, **_flags: bool) -> Status | None:
        return self.statuses.get(instance_id)


@dataclass
class Index:
    writes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def update(self, instance_id: str, fields: dict[str, Any]) -> bool:
        self.writes.append((instance_id, dict(fields)))
        return True


def test_active_rows_get_the_live_step_and_a_silently_failed_run_its_end() -> None:
    ended = dt.datetime(2026, 1, 1, 11, tzinfo=dt.UTC)
    client = Client({
        "building": Status("building", "Running", {"step": "wait", "waitingFor": "gateway build",
                                                   "until": "2026-01-01T14:00:00+00:00"}),
        "crashed": Status("crashed", "Failed", {"step": "access"}, "boom in the orchestrator",
                          ended),
        "quiet": Status("quiet", "Running", {"step": "access", "waitingFor": "assign_role"}),
    })  # fmt: skip
    rows = [
        {"id": "building", "status": "Running", "outcome": "Running", "step": "access"},
        {"id": "crashed", "status": "Running", "outcome": "Running", "step": "access"},
        {"id": "quiet", "status": "Running", "outcome": "Running", "step": "access",
         "doing": "assign_role"},
        {"id": "done", "status": "Completed", "outcome": "Succeeded", "step": "report"},
    ]  # fmt: skip
    index = Index()
    repaired = asyncio.run(_repair(client, index, rows))  # type: ignore[arg-type]

    by_id = {r["id"]: r for r in repaired}
    assert by_id["building"]["step"] == "wait" and by_id["building"]["doing"] == "gateway build"
    crashed = dict(index.writes)["crashed"]
    assert crashed["outcome"] == "Failed" and crashed["status"] == "Failed"
    assert crashed["error"] == "boom in the orchestrator"
    assert crashed["updatedAt"] == "2026-01-01T11:00:00+00:00"
    assert {i for i, _ in index.writes} == {"building", "crashed"}  # nothing changed for the rest
