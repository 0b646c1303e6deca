"""Retry delays the way DurableTask.Core's ``RetryInterceptor`` computes them.

delay(n) = firstRetryInterval * backoffCoefficient ** n, capped at maxRetryInterval, where n is
the 0-based number of the attempt that just failed. The Python SDK only sends the first interval
and the attempt count; the other fields are honoured when present because the host accepts them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any


def retry_delay(options: dict[str, Any], failed_attempt: int) -> timedelta:
    """Delay before the attempt after ``failed_attempt`` (1-based)."""
    first_ms = float(options.get("firstRetryIntervalInMilliseconds", 0))
    coefficient = float(options.get("backoffCoefficient", 1.0) or 1.0)
    delay_ms = first_ms * coefficient ** (failed_attempt - 1)
    max_ms = options.get("maxRetryIntervalInMilliseconds")
    if max_ms:
        delay_ms = min(delay_ms, float(max_ms))
    return timedelta(milliseconds=max(delay_ms, 0.0))


def max_attempts(options: dict[str, Any]) -> int:
    """How many attempts the options allow (at least one)."""
    return max(int(options.get("maxNumberOfAttempts", 1)), 1)
