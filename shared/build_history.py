"""Recorded gateway build durations: typed activity inputs/outputs and the table layout.

The records live in the run index's table (shared/run_index.py), one partition per region and
SKU, ``build-<region>-<sku>``, RowKey ``<inverted completion ticks>-<instance id>``: a partition
reads newest first, and the record of one run is written under one key however often the
activity runs (the completion time comes from the orchestrator, not the clock).
"""

from __future__ import annotations

import datetime as dt
import re

from shared import run_index
from shared.poll_schedule import BuildRecord
from shared.wire_model import WireModel

BUILD_PREFIX = "build-"
_KEY_UNSAFE = re.compile(r"[^a-z0-9-]")  # Table keys refuse / \ # ? and control characters


class BuildKind(WireModel):
    """Which builds are alike: the region and the SKU name of the gateway."""

    region: str
    sku: str


class RecordedDuration(WireModel):
    seconds: float
    uncertainty: float = 0.0

    def record(self) -> BuildRecord:
        return BuildRecord(self.seconds, self.uncertainty)


class BuildDurations(WireModel):
    """The recent records of a kind, newest first (empty: nothing known, or the index is off)."""

    records: list[RecordedDuration] = []


class RecordBuildInput(WireModel):
    region: str
    sku: str
    seconds: float
    uncertainty: float
    finished_at: str  # when the waiter noticed it (orchestration time: one key per run)
    instance_id: str


def partition(region: str, sku: str) -> str:
    """``build-<region>-<sku>``, lower case, unsafe characters replaced."""
    return BUILD_PREFIX + _KEY_UNSAFE.sub("_", f"{region}-{sku}".lower().replace(" ", ""))


def row_key(finished_at: dt.datetime, instance_id: str) -> str:
    return run_index.row_key(finished_at, instance_id)
