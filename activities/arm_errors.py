"""Turns Azure SDK exceptions into classified :class:`StepError` values.

The classification itself is the pure catalogue in shared/arm_error_classes.py; this module only
reads the SDK exception (status, ARM code and message, Retry-After) and never passes request
headers or tokens on.
"""

from __future__ import annotations

from azure.core.exceptions import (
    HttpResponseError,
    IncompleteReadError,
    ServiceRequestError,
    ServiceResponseError,
)

from shared.arm_error_classes import classify_arm
from shared.step_errors import StepError


def classify(exc: Exception, action: str) -> StepError:
    """The StepError for an exception raised while doing ``action`` (e.g. 'update subnet X')."""
    # A connection refused, reset or timed out, or dropped in the middle of the body.
    if isinstance(exc, ServiceRequestError | ServiceResponseError | IncompleteReadError):
        return StepError("transient", "ConnectionError", f"{action}: could not reach ARM.")
    if not isinstance(exc, HttpResponseError):
        return StepError("permanent", type(exc).__name__, f"{action}: unexpected failure.")
    code = exc.error.code if exc.error else None
    message = (exc.error.message if exc.error else None) or exc.reason or ""
    return classify_arm(exc.status_code, code, message, action, _retry_after(exc))


def _retry_after(exc: HttpResponseError) -> float | None:
    headers = getattr(exc.response, "headers", None) or {}
    raw = headers.get("Retry-After")
    try:
        return float(raw) if raw else None
    except ValueError:
        return None
