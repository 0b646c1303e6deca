"""Replay-safe structured logging for orchestrators: nothing is logged while replaying.

Every record carries the ticket id and the instance id (as ``extra`` fields) so Application
Insights can follow one ticket across functions. Messages hold ids and states, never payloads
that could contain secrets.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("onboarding.orchestrator")


def milestone(context: Any, ticket_id: str, message: str, **fields: Any) -> None:
    """Log one milestone with ``ticketId``, ``instanceId`` and ``step`` (``run`` when the
    milestone concerns the whole run), which reach Application Insights as custom dimensions
    (shared/telemetry.py; the alerts and the workbook in infra/ query them)."""
    if getattr(context, "is_replaying", False):
        return
    fields.setdefault("step", "run")
    log.info(
        message,
        extra={"ticketId": ticket_id, "instanceId": context.instance_id, **fields},
    )
