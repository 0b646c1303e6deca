"""Gateway build durations in the run index's table: read the recent ones, record one.

The waiter (orchestrators/gateway_waiter.py) reads a kind's records once per build to shape its
poll schedule (shared/poll_schedule.py) and records the build when it ends. Both are best
effort: without the index (RUN_INDEX_ENDPOINT unset) or when the table fails, the read answers
no records (the schedule falls back to the adaptive clamp) and the record is skipped; a build
never waits or fails because of its statistics. The record is an upsert under a key fixed by
the orchestrator, so running it again writes the same row.
"""

from __future__ import annotations

import logging

from shared import build_history, run_index
from shared.build_history import BuildDurations, BuildKind, RecordBuildInput, RecordedDuration
from shared.poll_schedule import RECENT_RECORDS
from shared.run_index_store import index_enabled, run_index_table

log = logging.getLogger("onboarding.build_history")


def read_build_durations(kind: BuildKind) -> BuildDurations:
    if not index_enabled():
        return BuildDurations()
    try:
        # The first page (newest first) is all the schedule reads.
        newest = run_index_table().first_page(
            build_history.partition(kind.region, kind.sku), RECENT_RECORDS,
            ["seconds", "uncertainty"],
        )  # fmt: skip
        records = [
            RecordedDuration(seconds=float(str(e["seconds"])),
                             uncertainty=float(str(e.get("uncertainty") or 0.0)))
            for e in newest
        ]  # fmt: skip
        return BuildDurations(records=records[:RECENT_RECORDS])
    except Exception:  # statistics only: the clamp schedule works without them
        log.warning("build durations not read", exc_info=True)
        return BuildDurations()


def record_build_duration(inp: RecordBuildInput) -> None:
    if not index_enabled():
        return
    try:
        finished = run_index.parse_time(inp.finished_at)
        run_index_table().upsert({
            "PartitionKey": build_history.partition(inp.region, inp.sku),
            "RowKey": build_history.row_key(finished, inp.instance_id),
            "seconds": inp.seconds,
            "uncertainty": inp.uncertainty,
            "instanceId": inp.instance_id,
        })  # fmt: skip
    except Exception:
        log.warning("build duration not recorded", exc_info=True,
                    extra={"instanceId": inp.instance_id})  # fmt: skip
