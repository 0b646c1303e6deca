"""What both entry points share: parse a payload, derive the run, shape answers (pure)."""

from __future__ import annotations

import json
from typing import Any

from shared.guardrails import Violation
from shared.request import FieldError, OnboardingRequest, RequestInvalid, parse_request
from shared.saga_models import Requester, SagaInput, SagaPolicy

MAX_BODY_BYTES = 64 * 1024
TERMINAL = {"Completed", "Failed", "Terminated", "Canceled"}


class RequestTooLarge(RequestInvalid):
    """The body is over MAX_BODY_BYTES (HTTP answers 413; Service Bus rejects it as invalid)."""


def decode(body: bytes) -> OnboardingRequest:
    """The request in ``body``; RequestInvalid names every problem (never raw exception text)."""
    if len(body) > MAX_BODY_BYTES:
        raise RequestTooLarge(
            [FieldError(field="$", message=f"the request is larger than {MAX_BODY_BYTES} bytes")]
        )
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:
        # ValueError covers bad JSON and bad encodings but also an integer literal over Python's
        # digit limit; RecursionError is JSON nested deeper than the parser's stack.
        message = (
            "nested too deeply"
            if isinstance(exc, RecursionError)
            else f"not valid JSON (line {getattr(exc, 'lineno', 1)})"
        )
        raise RequestInvalid([FieldError(field="$", message=message)]) from None
    return parse_request(payload)


def saga_input(
    request: OnboardingRequest, policy: SagaPolicy, requested_by: Requester | None = None
) -> dict[str, Any]:
    return SagaInput(
        request=request.model_dump(by_alias=True, mode="json"),
        policy=policy,
        requested_by=requested_by,
    ).model_dump(by_alias=True, mode="json")


def problem(
    errors: list[FieldError],
    status: int = 400,
    title: str = "The onboarding request is invalid",
    detail: str | None = None,
) -> dict[str, Any]:
    """RFC 9457 problem details with one entry per bad field."""
    return {
        "type": "https://github.com/apim-workspace-onboarding/docs/request-contract.md",
        "title": title,
        "status": status,
        "detail": detail or f"{len(errors)} field(s) need fixing; see 'errors'.",
        "errors": [e.model_dump() for e in errors],
    }


def policy_problem(violations: list[Violation]) -> dict[str, Any]:
    """The 403 problem details for a well-formed request outside this deployment's policy."""
    return {
        "type": "https://github.com/apim-workspace-onboarding/docs/security.md#guardrails",
        "title": "The onboarding request is outside this deployment's policy",
        "status": 403,
        "detail": f"{len(violations)} policy rule(s) refuse this request; see 'violations'. "
        "Change the named fields, or ask the platform team to change the policy settings.",
        "violations": [v.model_dump() for v in violations],
    }


def run_view(status: Any) -> dict[str, Any]:
    """The public form of a run's Durable status: state, current step, per-step records, output."""
    custom = status.custom_status if isinstance(status.custom_status, dict) else {}
    output = status.output if isinstance(status.output, dict) else None
    runtime = getattr(status.runtime_status, "value", status.runtime_status)
    steps = (output or {}).get("steps") or custom.get("steps") or []
    return {
        "id": status.instance_id,
        "runtimeStatus": runtime,
        "currentStep": custom.get("step"),
        "waitingFor": custom.get("waitingFor"),
        "until": custom.get("until"),
        "createdTime": _iso(status.created_time),
        "lastUpdatedTime": _iso(status.last_updated_time),
        "steps": steps,
        "output": output,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else value
