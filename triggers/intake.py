"""What both entry points share: parse a payload, derive the run, shape answers (pure)."""

from __future__ import annotations

import json
from typing import Any

from shared.request import FieldError, OnboardingRequest, RequestInvalid, parse_request
from shared.saga_models import SagaInput, SagaPolicy

MAX_BODY_BYTES = 64 * 1024
TERMINAL = {"Completed", "Failed", "Terminated", "Canceled"}


def decode(body: bytes) -> OnboardingRequest:
    """The request in ``body``; RequestInvalid names every problem (never raw exception text)."""
    if len(body) > MAX_BODY_BYTES:
        raise RequestInvalid(
            [FieldError(field="$", message=f"the request is larger than {MAX_BODY_BYTES} bytes")]
        )
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RequestInvalid(
            [FieldError(field="$", message=f"not valid JSON (line {getattr(exc, 'lineno', 1)})")]
        ) from None
    return parse_request(payload)


def saga_input(request: OnboardingRequest, policy: SagaPolicy) -> dict[str, Any]:
    return SagaInput(
        request=request.model_dump(by_alias=True, mode="json"), policy=policy
    ).model_dump(by_alias=True, mode="json")


def problem(errors: list[FieldError], status: int = 400) -> dict[str, Any]:
    """RFC 9457 problem details with one entry per bad field."""
    return {
        "type": "https://github.com/apim-workspace-onboarding/docs/request-contract.md",
        "title": "The onboarding request is invalid",
        "status": status,
        "detail": f"{len(errors)} field(s) need fixing; see 'errors'.",
        "errors": [e.model_dump() for e in errors],
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
