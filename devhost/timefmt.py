"""Timestamp formats used on the wire (history, status payloads, query filters).

The real host writes history timestamps with 7 fractional digits and ``Z`` (.NET round-trip
format) and status times without fractions. The fixed-width 7-digit form also sorts
lexicographically, so SQLite can compare stored times as plain strings.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$")


def to_history(moment: datetime) -> str:
    """Format as the host's history timestamp: ``2024-05-01T10:00:00.1234560Z``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


def to_status(moment: datetime) -> str:
    """Format as the status payload's ``createdTime``: ``2024-05-01T10:00:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str) -> datetime:
    """Parse an ISO-8601 timestamp with up to 7 fractional digits; naive means UTC."""
    match = _ISO.match(text.strip())
    if not match:
        raise ValueError(f"not an ISO-8601 timestamp: {text!r}")
    date, clock, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    base = datetime.fromisoformat(f"{date}T{clock}").replace(microsecond=micro, tzinfo=UTC)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        base -= sign * offset
    return base


def normalise(text: str) -> str:
    """Re-format any accepted timestamp as the sortable history form."""
    return to_history(parse(text))
