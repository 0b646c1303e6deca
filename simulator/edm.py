"""Typed Table Storage property values (the OData EDM types) and their JSON wire forms.

Table Storage knows eight property types (learn.microsoft.com "Understanding the Table
service data model", "Payload format for Table service operations"): Edm.String, Int32,
Int64, Double, Boolean, DateTime, Guid and Binary. A value is held as ``EdmValue`` with a
Python value that compares the way the service compares it: DateTime as 100 ns ticks
(Azure keeps seven fractional digits), Guid as lower-case text, Binary as bytes.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
import re
import uuid
from dataclasses import dataclass
from typing import Any

STRING = "Edm.String"
INT32 = "Edm.Int32"
INT64 = "Edm.Int64"
DOUBLE = "Edm.Double"
BOOLEAN = "Edm.Boolean"
DATETIME = "Edm.DateTime"
GUID = "Edm.Guid"
BINARY = "Edm.Binary"
TYPES = {STRING, INT32, INT64, DOUBLE, BOOLEAN, DATETIME, GUID, BINARY}
NUMERIC = {INT32, INT64, DOUBLE}

# In minimal metadata the service annotates only the types JSON cannot carry on its own;
# Double is annotated too so NaN/Infinity (sent as strings) and 5.0 keep their type.
ANNOTATED = {INT64, DATETIME, GUID, BINARY, DOUBLE}

_EPOCH = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?"
    r"(Z|[+-]\d{2}:\d{2})?$"
)


class EdmError(ValueError):
    """A value that does not fit its declared type (the caller picks the error code)."""


@dataclass(frozen=True)
class EdmValue:
    """One typed property value."""

    edm: str
    value: Any

    def to_json(self) -> Any:
        """The JSON value as the service writes it (Int64 as a string, DateTime as ISO)."""
        if self.edm == INT64:
            return str(self.value)
        if self.edm == DATETIME:
            return format_ticks(self.value)
        if self.edm == BINARY:
            return base64.b64encode(self.value).decode()
        if self.edm == DOUBLE and math.isnan(self.value):
            return "NaN"
        if self.edm == DOUBLE and math.isinf(self.value):
            return "Infinity" if self.value > 0 else "-Infinity"
        return self.value

    def size(self) -> int:
        """Stored size in bytes, by the published per-type formula (strings are UTF-16)."""
        if self.edm == STRING:
            return 4 + utf16_len(self.value) * 2
        if self.edm == BINARY:
            return 4 + len(self.value)
        return {INT32: 4, INT64: 8, DOUBLE: 8, BOOLEAN: 1, DATETIME: 8, GUID: 16}[self.edm]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def ticks(when: dt.datetime) -> int:
    """100 ns ticks since 0001-01-01, the resolution Azure stores DateTime with."""
    delta = when.astimezone(dt.UTC) - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def format_ticks(value: int) -> str:
    """ISO 8601 UTC; seven fractional digits only when there is a fraction (as Azure does)."""
    seconds, rest = divmod(value, 10_000_000)
    when = _EPOCH + dt.timedelta(seconds=seconds)
    base = when.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{rest:07d}Z" if rest else f"{base}Z"


def format_ticks_full(value: int) -> str:
    """Always seven fractional digits: the form of Timestamp and of ETags."""
    seconds, rest = divmod(value, 10_000_000)
    when = _EPOCH + dt.timedelta(seconds=seconds)
    return f"{when.strftime('%Y-%m-%dT%H:%M:%S')}.{rest:07d}Z"


def parse_datetime(text: str) -> int:
    m = _DATETIME.match(text.strip())
    if not m:
        raise EdmError(f"'{text}' is not an ISO 8601 date and time")
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    try:
        when = dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=dt.UTC
        )
    except ValueError as exc:
        raise EdmError(f"'{text}' is not a valid date: {exc}") from exc
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        when -= sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return ticks(when) + int((fraction or "").ljust(7, "0") or 0)


def parse_guid(text: str) -> str:
    try:
        return str(uuid.UUID(str(text)))
    except ValueError as exc:
        raise EdmError(f"'{text}' is not a GUID") from exc


def _int(raw: Any, low: int, high: int, edm: str) -> int:
    if isinstance(raw, bool):
        raise EdmError(f"a boolean is not an {edm}")
    if isinstance(raw, str) and re.fullmatch(r"[+-]?\d+", raw.strip()):
        raw = int(raw)
    if not isinstance(raw, int):
        raise EdmError(f"'{raw}' is not an {edm}")
    if not low <= raw <= high:
        raise EdmError(f"{raw} is out of the {edm} range")
    return raw


def from_json(raw: Any, edm: str | None) -> EdmValue:
    """The typed value of one JSON property (``edm`` from its ``@odata.type``, if any)."""
    if edm is None:
        # Untyped JSON: the service infers String, Int32, Double or Boolean from the token.
        if isinstance(raw, bool):
            return EdmValue(BOOLEAN, raw)
        if isinstance(raw, int):
            return EdmValue(INT32, _int(raw, -(2**31), 2**31 - 1, INT32))
        if isinstance(raw, float):
            return EdmValue(DOUBLE, raw)
        if isinstance(raw, str):
            return EdmValue(STRING, raw)
        raise EdmError(f"a JSON {type(raw).__name__} is not a property value")
    if edm not in TYPES:
        raise EdmError(f"'{edm}' is not a Table Storage type")
    if edm == STRING:
        if not isinstance(raw, str):
            raise EdmError(f"'{raw}' is not an Edm.String")
        return EdmValue(STRING, raw)
    if edm == INT32:
        return EdmValue(INT32, _int(raw, -(2**31), 2**31 - 1, INT32))
    if edm == INT64:
        return EdmValue(INT64, _int(raw, -(2**63), 2**63 - 1, INT64))
    if edm == DOUBLE:
        special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
        if isinstance(raw, str) and raw in special:
            return EdmValue(DOUBLE, special[raw])
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise EdmError(f"'{raw}' is not an Edm.Double")
        return EdmValue(DOUBLE, float(raw))
    if edm == BOOLEAN:
        if not isinstance(raw, bool):
            raise EdmError(f"'{raw}' is not an Edm.Boolean")
        return EdmValue(BOOLEAN, raw)
    if edm == DATETIME:
        if not isinstance(raw, str):
            raise EdmError(f"'{raw}' is not an Edm.DateTime")
        return EdmValue(DATETIME, parse_datetime(raw))
    if edm == GUID:
        return EdmValue(GUID, parse_guid(raw))
    if not isinstance(raw, str):
        raise EdmError(f"'{raw}' is not an Edm.Binary (base64)")
    try:
        return EdmValue(BINARY, base64.b64decode(raw, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise EdmError(f"'{raw[:40]}' is not base64") from exc
