"""Classified step errors: how an activity tells the orchestrator whether to retry.

An activity raises :class:`StepError`; Durable Functions carries only the exception's message
text to the orchestrator (a TaskFailed reason), so the error serialises itself into that text
behind a fixed marker and :func:`parse_step_error` reads it back. Classes (DESIGN.md §3):
``transient`` (retry with backoff), ``throttled`` (retry after ``retry_after`` seconds),
``conflict`` (another operation holds the resource: retry later), ``permanent`` (fail the step).

``partial`` is the undo record of what the failed call had already made (a DNS zone before its
link failed; an NSG whose create poll failed): the ledger pushes it as an undo entry when the
call cannot succeed, so work done half-way is compensated like finished work (issue 18).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Literal

ErrorClass = Literal["transient", "throttled", "conflict", "permanent"]
MARKER = "STEP_ERROR "
RETRYABLE: frozenset[str] = frozenset({"transient", "throttled", "conflict"})


@dataclass
class StepError(Exception):
    """A failure of one step, with its class, the ARM code and a message a person can act on."""

    kind: ErrorClass
    code: str
    message: str
    retry_after: float | None = None
    partial: dict[str, Any] | None = None

    def __str__(self) -> str:
        data = asdict(self)
        if data["partial"] is None:
            del data["partial"]  # the text of an error without partial work stays as it was
        return MARKER + json.dumps(data, sort_keys=True)

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


def parse_step_error(text: str | None) -> StepError | None:
    """The StepError inside a failure reason, or None when the failure was something else."""
    if not text or MARKER not in text:
        return None
    raw = text[text.index(MARKER) + len(MARKER) :].strip()
    try:
        data = json.JSONDecoder().raw_decode(raw)[0]
        return StepError(
            kind=data["kind"],
            code=str(data["code"]),
            message=str(data["message"]),
            retry_after=data.get("retry_after"),
            partial=data.get("partial") if isinstance(data.get("partial"), dict) else None,
        )
    except (ValueError, KeyError, TypeError):
        return None
