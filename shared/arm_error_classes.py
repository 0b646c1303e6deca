"""ARM error code + HTTP status -> error class (arm-behaviour.md §4), as a pure function.

Activities catch the SDK's exception, take its status, ``error.code``, message and
``Retry-After``, and raise what :func:`classify_arm` returns. Codes in :data:`ALREADY_DONE`
are not errors at all: the activity treats them as success (a role assignment that exists).
"""

from __future__ import annotations

import re

from shared.step_errors import StepError

ALREADY_DONE = frozenset({"RoleAssignmentExists"})
# Directory replication: transient, but only for the bounded time of the "principal" retry
# policy (shared/retry.py PRINCIPAL_REPLICATION).
REPLICATION = frozenset({"PrincipalNotFound"})
CONFLICT = frozenset({"AnotherOperationInProgress", "Conflict", "OperationNotAllowed"})
TRANSIENT = frozenset(
    {"RetryableError", "RetryableErrorDueToAnotherOperation", "ReferencedResourceNotProvisioned",
     "InternalServerError", "ServiceUnavailable", "GatewayTimeout", "RequestTimeout"}
)  # fmt: skip
THROTTLED = frozenset({"SubscriptionRequestsThrottled", "TooManyRequests"})
TRANSIENT_STATUS = frozenset({408, 500, 502, 503, 504})
DEFAULT_THROTTLE_S = 5.0

# ARM's wording: "perform action 'a' over scope 's'" (AuthorizationFailed) and, for a linked
# failure, "perform action(s) 'a' on the linked scope(s) 's' (respectively)" (current, e.g.
# Azure/mpf and ServiceNetworking reports) or "action 'a' on the linked scope(s) 's'" (older).
_ACTION = re.compile(
    r"perform action(?:\(s\))? '([^']+)' (?:over|on) (?:the linked )?scope(?:\(s\))? ?'([^']+)'"
)
_NAMESPACE = re.compile(r"namespace '([^']+)'")


def means_done(code: str | None) -> bool:
    """The call failed only because what it wanted is already there."""
    return code in ALREADY_DONE


def classify_arm(
    status: int | None,
    code: str | None,
    message: str,
    action: str,
    retry_after: float | None = None,
) -> StepError:
    """The classified error for an ARM failure while doing ``action`` ('update subnet X')."""
    status = status or 0
    code = code or f"Http{status}"
    text = f"{action}: {code}: {message}".strip()
    if status == 429 or code in THROTTLED:
        return StepError("throttled", code, text, retry_after or DEFAULT_THROTTLE_S)
    if code in CONFLICT:
        return StepError("conflict", code, text, retry_after)
    if code in TRANSIENT or code in REPLICATION or status in TRANSIENT_STATUS:
        return StepError("transient", code, text, retry_after)
    if status == 403 or code in ("AuthorizationFailed", "LinkedAuthorizationFailed"):
        return StepError("permanent", code, f"{action}: {missing_permission(code, message)}")
    if code == "MissingSubscriptionRegistration":
        found = _NAMESPACE.search(message)
        namespace = found.group(1) if found else "the resource provider"
        return StepError(
            "permanent", code, f"{action}: register {namespace} in the subscription, then retry"
        )
    return StepError("permanent", code, text)


def missing_permission(code: str, message: str) -> str:
    """A sentence naming the permission the app's identity lacks, and where."""
    found = _ACTION.findall(message)
    if not found:
        return f"{code}: the app's identity lacks a permission: {message}".strip()
    action, scope = found[-1]  # for a linked failure, the last one is the missing one
    return (
        f"{code}: the app's identity lacks '{action}' on '{scope}'; grant a role that includes "
        "it at that scope"
    )
