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
    if getattr(context, "is_replaying", False):
        return
    log.info(
        message,
        extra={"ticketId": ticket_id, "instanceId": context.instance_id, **fields},
    )
