"""The publish_event activity's second effect: the milestone's change to the run's index row.

One activity for both (the notification and the row), so the saga's history does not grow.
The row write is a merge keyed by the instance id (shared/run_index.py), so a retried or
replayed milestone writes the same values again. A failed write is logged and never fails the
notification: the operator API repairs rows from Durable's status when it lists them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from shared import run_index
from shared.run_index_store import index_enabled, run_index_table

log = logging.getLogger("onboarding.run_index")


def index_milestone(event: Mapping[str, Any]) -> None:
    instance_id = event.get("instanceId")
    if not isinstance(instance_id, str) or not instance_id or not index_enabled():
        return
    try:
        fields = run_index.fields_from_event(event)
        at = event.get("at") if event.get("kind") == "accepted" else None
        run_index_table().update(
            instance_id, fields, created_at=at if isinstance(at, str) else None
        )
    except Exception:  # the index is a view; the run and its notification go on without it
        log.warning(
            "run index not updated",
            extra={"instanceId": instance_id, "kind": event.get("kind")},
            exc_info=True,
        )
