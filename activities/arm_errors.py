"""Turns Azure SDK exceptions into classified :class:`StepError` values (arm-behaviour.md §4).

Never passes raw exception text through unfiltered: the message keeps the ARM code and message
(which name the resource and the problem) but no request headers or tokens.
"""

from __future__ import annotations

from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

from shared.step_errors import StepError

# Codes that mean "try again later" whatever their HTTP status.
_TRANSIENT_CODES = {
    "RetryableError",
    "AnotherOperationInProgress",
    "PrincipalNotFound",  # directory replication delay: transient for a bounded time
    "InternalServerError",
    "ServiceUnavailable",
    "GatewayTimeout",
}
_CONFLICT_CODES = {"AnotherOperationInProgress", "Conflict"}


def classify(exc: Exception, action: str) -> StepError:
    """The StepError for an exception raised while doing ``action`` (e.g. 'update subnet X')."""
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return StepError("transient", "ConnectionError", f"{action}: could not reach ARM.")
    if not isinstance(exc, HttpResponseError):
        return StepError("permanent", type(exc).__name__, f"{action}: unexpected failure.")
    status = exc.status_code or 0
    code = (exc.error.code if exc.error else None) or f"Http{status}"
    arm_message = (exc.error.message if exc.error else None) or exc.reason or ""
    message = f"{action}: {code}: {arm_message}".strip()
    retry_after = _retry_after(exc)
    if status == 429 or code == "SubscriptionRequestsThrottled":
        return StepError("throttled", code, message, retry_after or 5.0)
    if code in _CONFLICT_CODES:
        return StepError("conflict", code, message, retry_after)
    if code in _TRANSIENT_CODES or status in (408, 500, 502, 503, 504):
        return StepError("transient", code, message, retry_after)
    if status == 403:
        return StepError(
            "permanent",
            code,
            message + " Grant the app's identity the permission named above at that scope.",
        )
    return StepError("permanent", code, message)


def _retry_after(exc: HttpResponseError) -> float | None:
    headers = getattr(exc.response, "headers", None) or {}
    raw = headers.get("Retry-After")
    try:
        return float(raw) if raw else None
    except ValueError:
        return None
