"""The poll schedule from recorded build durations (shared/poll_schedule.py), pure.

Builds jittered ±10 % around 1 h, 3 h and 12 h, with the records earlier builds of the same
kind left: about 10 polls on average (at most 15 for 3 h), completion noticed within 2 % of the build, fewer polls than the
SDK poller at a 600 s interval; with no records, the adaptive clamp. Figures here are polls
and virtual seconds, never wall-clock time.
"""

from __future__ import annotations

import random

import pytest

from shared import retry
from shared.poll_schedule import (
    MIN_RECORDS,
    NOTICE_FRACTION,
    BuildRecord,
    expected_window,
    next_poll_delay,
    poll_offsets,
    record_of,
)

HOUR = 3600.0


def learned(mean_s: float, rng: random.Random, builds: int = 30) -> list[BuildRecord]:
    """The records ``builds`` earlier builds leave, newest first, each polled as scheduled."""
    records: list[BuildRecord] = []
    for _ in range(builds):
        duration = mean_s * rng.uniform(0.9, 1.1)
        offsets = poll_offsets(duration, records)
        record = record_of(offsets[-2], offsets[-1])
        if record is not None:
            records.insert(0, record)
    return records


@pytest.mark.parametrize("hours", [1, 3, 12])
def test_jittered_builds_are_noticed_within_2_percent_in_few_polls(hours: int) -> None:
    rng = random.Random(hours)
    records = learned(hours * HOUR, rng)
    assert len(records) >= MIN_RECORDS
    polls = []
    for _ in range(200):
        duration = hours * HOUR * rng.uniform(0.9, 1.1)
        offsets = poll_offsets(duration, records)
        polls.append(len(offsets))
        assert offsets[-1] - duration < 0.02 * duration
    assert sum(polls) / len(polls) <= 12
    # A build shorter than every record starts the dense polls later: one poll more at worst.
    assert max(polls) <= (15 if hours == 3 else 16)


def test_fewer_polls_than_the_tuned_sdk_poller_over_three_hours() -> None:
    rng = random.Random(3)
    records = learned(3 * HOUR, rng)
    durations = [3 * HOUR * rng.uniform(0.9, 1.1) for _ in range(200)]
    ours = sum(len(poll_offsets(d, records)) for d in durations) / len(durations)
    # azure-core's poller at polling_interval=600: a GET at 0 and every 600 s until done.
    sdk = sum(1 + -(-d // 600) for d in durations) / len(durations)
    assert ours < sdk
    assert ours <= 15


def test_the_schedule_uses_the_records_sparse_before_the_window_dense_inside() -> None:
    records = [BuildRecord(10_000), BuildRecord(10_400), BuildRecord(10_800)]
    start, end = expected_window(records)  # type: ignore[misc]
    assert start < 10_000 < 10_800 < end
    assert next_poll_delay(0, records) == pytest.approx(start / 2)
    assert next_poll_delay(start / 2, records) == pytest.approx(start / 2)
    assert next_poll_delay(10_200, records) == pytest.approx(NOTICE_FRACTION * 10_200)
    # Past the longest recorded build: the adaptive clamp again.
    assert next_poll_delay(20_000, records) == retry.next_poll_interval(20_000)


def test_too_few_records_fall_back_to_the_adaptive_clamp() -> None:
    for known in ([], [BuildRecord(10_800)], [BuildRecord(10_800)] * (MIN_RECORDS - 1)):
        assert expected_window(known) is None
        for elapsed in (0.0, 600.0, 3_000.0, 9_000.0):
            assert next_poll_delay(elapsed, known) == retry.next_poll_interval(elapsed)


def test_a_build_is_recorded_only_when_the_polls_bracket_it_tightly() -> None:
    assert record_of(None, 600) is None  # found done at the first poll: an adopted build
    assert record_of(3_000, 10_800) is None  # ended during a sparse stretch
    record = record_of(10_600, 10_800)
    assert record == BuildRecord(seconds=10_700, uncertainty=100)
