"""The gateway build's poll schedule, from the durations recorded for its region and SKU.

Pure functions (DESIGN.md §2 step 5). Every finished build's duration is recorded by region
and SKU (activities/build_history.py, in the run index's table) with how precisely the polls
bracketed it. A new build's waiter reads the recent records once and polls:

* sparse before the expected window (which starts a little before the shortest recorded
  build): at the start, halfway, then at the window's start;
* dense inside it and until the longest recorded build: every ``NOTICE_FRACTION`` of the
  elapsed time, so completion is noticed within 2 % of the build's time;
* with fewer than ``MIN_RECORDS`` records, or past the window: the adaptive clamp of
  shared/retry.py (10 % of the elapsed time, between 5 and 10 minutes).

Over builds jittered ±10 % around 1, 3 or 12 hours this is ~10 polls on average (15 or 16 at
worst, when a build is shorter than every record), completion noticed under 2 % of the build
late (the SDK's poller at a 600 s interval makes ~19 over 3 hours and notices 5 minutes late on
average); docs/performance.md has the figures ``make bench`` measured. The price: a build that
fails before the window is noticed at the next sparse poll (at worst half the window's start
late), not within 10 minutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.retry import next_poll_interval

MIN_RECORDS = 3
RECENT_RECORDS = 20  # the newest records of a region and SKU that shape the window
# Just under 2 %: a poll at t, the next at t * (1 + f), notices a build that ended just
# after t at most f * t late, and t is before the build's end.
NOTICE_FRACTION = 0.0198
DENSE_FLOOR_S = 30.0
WINDOW_MARGIN = 0.0  # extra fraction before the shortest record (the spread term suffices)
SPARSE_POLLS = 1  # polls between the first one and the window's start
# A record is kept only if the polls bracketed the build this tightly (half-width / duration).
MAX_RECORD_UNCERTAINTY = 0.1


@dataclass(frozen=True)
class BuildRecord:
    """One finished build: its duration (midpoint of the bracketing polls) and half-width."""

    seconds: float
    uncertainty: float = 0.0


def expected_window(records: Sequence[BuildRecord]) -> tuple[float, float] | None:
    """(start, end) in seconds since the build started, or None when too little is known."""
    recent = list(records)[:RECENT_RECORDS]
    if len(recent) < MIN_RECORDS:
        return None
    low = min(r.seconds - r.uncertainty for r in recent)
    high = max(r.seconds + r.uncertainty for r in recent)
    # The next build falls below the shortest of n records with chance 1/(n+1), by about the
    # records' spread / n: the window opens twice that much earlier (and ends as much later).
    spread = 2 * (high - low) / len(recent)
    return max(low * (1 - WINDOW_MARGIN) - spread, 0.0), high * (1 + WINDOW_MARGIN) + spread


def next_poll_delay(elapsed_s: float, records: Sequence[BuildRecord]) -> float:
    """Seconds from a poll at ``elapsed_s`` (since the build started) to the next poll."""
    window = expected_window(records)
    if window is None:
        return next_poll_interval(elapsed_s)
    start, end = window
    if elapsed_s < start:
        # Sparse: evenly spaced up to the window, at least the clamp's floor apart.
        step = start / (SPARSE_POLLS + 1)
        next_at = min((int(elapsed_s // step) + 1) * step, start) if step > 0 else start
        return max(next_at - elapsed_s, min(next_poll_interval(0.0), start - elapsed_s), 1.0)
    if elapsed_s <= end:
        return max(NOTICE_FRACTION * elapsed_s, DENSE_FLOOR_S)
    return next_poll_interval(elapsed_s)


def poll_offsets(duration_s: float, records: Sequence[BuildRecord]) -> list[float]:
    """The elapsed times of the polls of a build that takes ``duration_s`` (first at 0)."""
    offsets = [0.0]
    while offsets[-1] < duration_s:
        offsets.append(offsets[-1] + next_poll_delay(offsets[-1], records))
    return offsets


def record_of(previous_poll_s: float | None, noticed_s: float) -> BuildRecord | None:
    """What to record for a build seen unfinished at ``previous_poll_s``, done at ``noticed_s``.

    None when the polls bracket it too loosely to teach anything (an adopted build found done at
    the first poll, a build that ended during a sparse stretch).
    """
    if previous_poll_s is None or noticed_s <= 0:
        return None
    half = (noticed_s - previous_poll_s) / 2
    middle = previous_poll_s + half
    if middle <= 0 or half / middle > MAX_RECORD_UNCERTAINTY:
        return None
    return BuildRecord(seconds=round(middle, 1), uncertainty=round(half, 1))
