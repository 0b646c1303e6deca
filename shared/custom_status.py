"""Keeping a run's custom status under the host's size limit (pure, unit-tested alone).

The Durable host fails an orchestration whose custom status serialises to more than 16 KB
(durable-host-semantics.md), counted as the host counts: the JSON as .NET writes it (compact,
non-ASCII characters unescaped) in UTF-16, two bytes per character (extension
``MessagePayloadDataConverter.Serialize(value, 16)``), so about 8,000 characters, not 16 KB of
UTF-8. The saga's status lists every step with the ids it made, which
grows with the request (50 grants make 50 assignment ids). When the status would pass
``LIMIT`` bytes, lists are shortened step by step, each cut saying how much it left out; the
full record stays in the run's output and history.
"""

from __future__ import annotations

import copy
import json
from typing import Any

HOST_LIMIT = 16 * 1024  # UTF-16 bytes
LIMIT = 14 * 1024  # headroom below the host's limit
KEEP_IDS = 3


def size(custom: Any) -> int:
    """The status's size as the host measures it: UTF-16 bytes of its compact JSON."""
    text = json.dumps(custom, separators=(",", ":"), ensure_ascii=False)
    return len(text.encode("utf-16-le"))


def bounded(custom: dict[str, Any], limit: int = LIMIT) -> dict[str, Any]:
    """``custom`` itself when small enough, else a shortened copy no larger than ``limit``."""
    if size(custom) <= limit:
        return custom
    small = copy.deepcopy(custom)
    for step in small.get("steps") or []:
        for field in ("created", "undone"):
            ids = step.get(field) or []
            if len(ids) > KEEP_IDS:
                step[field] = ids[:KEEP_IDS]
                step[f"{field}Omitted"] = len(ids) - KEEP_IDS
        if step.get("error") and len(step["error"]) > 300:
            step["error"] = step["error"][:300] + "..."
    if size(small) <= limit:
        return small
    grants = ((small.get("asks") or {}).get("approval") or {}).get("grants")
    if grants and len(grants) > KEEP_IDS:
        small["asks"]["approval"]["grants"] = grants[:KEEP_IDS]
    if size(small) <= limit:
        return small
    small.pop("steps", None)
    small["stepsOmitted"] = True  # too large to show: read the run's history
    if size(small) <= limit:
        return small
    # What the status model needs while the run goes on (shared/status_model.py) is kept.
    keep = ("step", "waitingFor", "until", "operatorEvent", "operatorWait", "cancellable",
            "retrying", "children", "undoing", "hostname")  # fmt: skip
    return {k: small[k] for k in keep if k in small} | {"truncated": True}
