"""Retry and polling schedules as pure functions (DESIGN.md §3, §2 step 5).

The pinned Durable SDK's RetryOptions has no backoff coefficient and no way to skip permanent
errors, so the orchestrator retries itself on durable timers using :func:`next_delay`.
Jitter is derived from the run and attempt (never from ``random``) so replay is deterministic.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from shared.step_errors import StepError


@dataclass(frozen=True)
class RetryPolicy:
    first_delay_s: float = 15.0
    factor: float = 2.0
    max_delay_s: float = 600.0
    # 10 attempts fit the hour: 15+30+...+480 s, then 600 s thrice, x1.2 jitter at most = 3294 s.
    # Sized so a 20 % per-call fault rate fails no step by chance (docs/operators.md).
    max_attempts: int = 10
    max_total_s: float = 3600.0


DEFAULT = RetryPolicy()
# Directory replication usually settles in minutes; give it half an hour, then give up.
PRINCIPAL_REPLICATION = RetryPolicy(first_delay_s=30.0, max_attempts=8, max_total_s=1800.0)
# Undo waits out slow deletes (a gateway frees its subnet only once it is gone).
UNDO = RetryPolicy(first_delay_s=30.0, max_attempts=12, max_total_s=7200.0)


def jitter(seed: str, attempt: int) -> float:
    """A factor in [0.8, 1.2) that depends only on the seed and the attempt."""
    digest = hashlib.sha256(f"{seed}:{attempt}".encode()).digest()
    return 0.8 + 0.4 * (int.from_bytes(digest[:4], "big") / 2**32)


def next_delay(
    policy: RetryPolicy, attempt: int, error: StepError, seed: str, elapsed_s: float
) -> float | None:
    """Seconds to wait before attempt ``attempt + 1``, or None to give up."""
    if not error.retryable or attempt >= policy.max_attempts:
        return None
    delay = min(policy.first_delay_s * policy.factor ** (attempt - 1), policy.max_delay_s)
    delay *= jitter(seed, attempt)
    if error.retry_after:
        delay = max(delay, error.retry_after)
    if elapsed_s + delay > policy.max_total_s:
        return None
    return round(delay, 3)


# Gateway build polling (the waiter, DESIGN.md §2 step 5). Completion is noticed at most
# POLL_MAX_S late, and within POLL_FRACTION of the elapsed build time once the build is older
# than POLL_FLOOR_S / POLL_FRACTION (50 min): a workspace gateway takes an hour or more, so
# early polls stay sparse (every 5 min) and the budget goes where builds actually finish.
# Over a 3-hour build that is 27 polls (the SDK's own poller would make 360).
POLL_FLOOR_S = 300.0
POLL_MAX_S = 600.0
POLL_FRACTION = 0.1


def next_poll_interval(elapsed_s: float) -> float:
    """Seconds from a poll at ``elapsed_s`` (since the build started) to the next poll."""
    return max(POLL_FLOOR_S, min(POLL_MAX_S, POLL_FRACTION * elapsed_s))


def poll_offsets(duration_s: float) -> list[float]:
    """The elapsed times at which the waiter polls a build that takes ``duration_s``.

    The first poll is at 0 (an adopted build may already be done); the last one is the first
    at or after ``duration_s``, i.e. the poll that notices completion.
    """
    offsets = [0.0]
    while offsets[-1] < duration_s:
        offsets.append(offsets[-1] + next_poll_interval(offsets[-1]))
    return offsets


# A config connection's own provisioning (seconds to minutes once its gateway is built): polled
# after these delays, about half an hour in all, then the link step fails.
LINK_POLL_DELAYS_S = (15.0, 30.0, 60.0, 120.0, 240.0, 300.0, 300.0, 300.0, 300.0, 300.0)
