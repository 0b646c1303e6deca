"""Table Storage (data plane): tables and entities per storage account, held in memory.

Rules reproduced (learn.microsoft.com "Understanding the Table service data model",
"Insert Entity", "Update Entity", "Merge Entity", "Delete Entity", "Query Entities",
"Query timeout and pagination"):

* Table names match ``^[A-Za-z][A-Za-z0-9]{2,62}$``, are unique per account ignoring case
  and keep the case they were created with; ``tables`` is reserved.
* Entities are keyed by (PartitionKey, RowKey), strings of at most 1 KiB without ``/ \\ # ?``
  or control characters; queries return them ordered by PartitionKey then RowKey, at most
  1,000 per page, with a continuation naming the next entity.
* At most 252 custom properties, strings and binaries up to 64 KiB, 1 MiB per entity
  (size by the published per-type formula).
* ``Timestamp`` is the server's, taken from the simulator's clock; the ETag is derived from
  it (``W/"datetime'<url-quoted Timestamp>'"``). Writes in the same clock instant get
  timestamps 100 ns apart so every write yields a new ETag, as on Azure.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from simulator import edm, errors, tablefilter
from simulator.backends.base import Backend
from simulator.edm import EdmError, EdmValue

MAX_PAGE = 1000
MAX_CUSTOM_PROPERTIES = 252
MAX_ENTITY_BYTES = 1024 * 1024
MAX_VALUE_BYTES = 64 * 1024
MAX_KEY_BYTES = 1024
MAX_NAME_CHARS = 255
SYSTEM_PROPERTIES = ("PartitionKey", "RowKey", "Timestamp")

_TABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{2,62}$")
_PROPERTY_NAME = re.compile(r"^[^\W\d]\w*$")
_KEY_FORBIDDEN = re.compile(r"[/\\#?\x00-\x1f\x7f-\x9f]")


@dataclass
class TableEntity:
    """One stored entity; ``ticks`` is its Timestamp in 100 ns ticks."""

    partition_key: str
    row_key: str
    props: dict[str, EdmValue]
    ticks: int

    @property
    def timestamp(self) -> str:
        return edm.format_ticks_full(self.ticks)

    @property
    def etag(self) -> str:
        return f"W/\"datetime'{quote(self.timestamp, safe='')}'\""

    def typed(self) -> dict[str, EdmValue]:
        """Every property, system ones included, as the filter sees them."""
        out = {
            "PartitionKey": EdmValue(edm.STRING, self.partition_key),
            "RowKey": EdmValue(edm.STRING, self.row_key),
            "Timestamp": EdmValue(edm.DATETIME, self.ticks),
        }
        out.update(self.props)
        return out


class _Entities(dict[tuple[str, str], TableEntity]):
    """A table's entities by (PartitionKey, RowKey), with the keys kept in order per partition,
    so a query names its partition's keys instead of sorting and filtering the whole table."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[str]] = {}  # partition -> its row keys, sorted

    def __setitem__(self, key: tuple[str, str], entity: TableEntity) -> None:
        if key not in self:
            bisect.insort(self.rows.setdefault(key[0], []), key[1])
        super().__setitem__(key, entity)

    def __delitem__(self, key: tuple[str, str]) -> None:
        super().__delitem__(key)
        rows = self.rows[key[0]]
        del rows[bisect.bisect_left(rows, key[1])]
        if not rows:
            del self.rows[key[0]]

    def ordered(self, partition: str | None, start: tuple[str, str] | None
                ) -> Iterator[tuple[str, str]]:  # fmt: skip
        """Keys in (PartitionKey, RowKey) order from ``start``, within ``partition`` if given."""
        partitions = [partition] if partition is not None else sorted(self.rows)
        for pk in partitions:
            if start is not None and pk < start[0]:
                continue
            rows = self.rows.get(pk, [])
            first = bisect.bisect_left(rows, start[1]) if start and pk == start[0] else 0
            for rk in rows[first:]:
                yield pk, rk


@dataclass
class Table:
    name: str  # as created; lookups ignore case
    entities: _Entities = field(default_factory=_Entities)


@dataclass
class EntityPage:
    entities: list[TableEntity]
    next_keys: tuple[str, str] | None


class TablesBackend(Backend):
    """All storage accounts' tables. Not an ARM provider: it is outside ``backends``."""

    def reset(self) -> None:
        self.accounts: dict[str, dict[str, Table]] = {}
        self._last_ticks = 0

    # --- tables -------------------------------------------------------------------------------

    def _tables(self, account: str) -> dict[str, Table]:
        return self.accounts.setdefault(account, {})

    def table(self, account: str, name: str) -> Table:
        found = self._tables(account).get(name.lower())
        if found is None:
            raise errors.table_not_found()
        return found

    def create_table(self, account: str, name: Any) -> Table:
        if not isinstance(name, str) or not _TABLE_NAME.match(name) or name.lower() == "tables":
            raise errors.table_invalid_name(str(name))
        tables = self._tables(account)
        if name.lower() in tables:
            raise errors.table_already_exists()
        tables[name.lower()] = Table(name)
        return tables[name.lower()]

    def delete_table(self, account: str, name: str) -> None:
        if self._tables(account).pop(name.lower(), None) is None:
            raise errors.table_resource_not_found()

    def query_tables(
        self, account: str, filter_text: str | None, top: int, next_name: str | None
    ) -> tuple[list[Table], str | None]:
        predicate = _compile(filter_text)
        ordered = sorted(self._tables(account).values(), key=lambda t: t.name.lower())
        if next_name:
            ordered = [t for t in ordered if t.name.lower() >= next_name.lower()]
        matching = [t for t in ordered if predicate({"TableName": EdmValue(edm.STRING, t.name)})]
        page, rest = matching[:top], matching[top:]
        return page, rest[0].name if rest else None

    # --- entities -----------------------------------------------------------------------------

    def get_entity(self, account: str, table: str, pk: str, rk: str) -> TableEntity:
        found = self.table(account, table).entities.get((pk, rk))
        if found is None:
            raise errors.table_resource_not_found()
        return found

    def insert(self, account: str, table: str, body: dict[str, Any]) -> TableEntity:
        target = self.table(account, table)
        pk, rk = _body_key(body, "PartitionKey"), _body_key(body, "RowKey")
        props = parse_properties(body)
        if (pk, rk) in target.entities:
            raise errors.entity_already_exists()
        entity = TableEntity(pk, rk, props, 0)
        _check_limits(entity)
        entity.ticks = self._stamp()
        target.entities[(pk, rk)] = entity
        return entity

    def write(
        self,
        account: str,
        table: str,
        pk: str,
        rk: str,
        body: dict[str, Any],
        if_match: str | None,
        merge: bool,
    ) -> TableEntity:
        """Update (If-Match given) or insert-or-update (no If-Match); replace or merge."""
        target = self.table(account, table)
        _check_key(pk, "PartitionKey")
        _check_key(rk, "RowKey")
        props = parse_properties(body)
        current = target.entities.get((pk, rk))
        if if_match is not None:
            if current is None:
                raise errors.table_resource_not_found()
            _check_etag(if_match, current)
        if merge and current is not None:
            props = {**current.props, **props}
        entity = TableEntity(pk, rk, props, 0)
        _check_limits(entity)
        entity.ticks = self._stamp()
        target.entities[(pk, rk)] = entity
        return entity

    def delete_entity(
        self, account: str, table: str, pk: str, rk: str, if_match: str | None
    ) -> None:
        target = self.table(account, table)
        if if_match is None:
            # Delete Entity documents If-Match as required ("*" for unconditional).
            raise errors.table_invalid_input("The If-Match header is required for a delete.")
        current = target.entities.get((pk, rk))
        if current is None:
            raise errors.table_resource_not_found()
        _check_etag(if_match, current)
        del target.entities[(pk, rk)]

    def query(
        self,
        account: str,
        table: str,
        filter_text: str | None,
        top: int,
        start: tuple[str, str] | None,
    ) -> EntityPage:
        target = self.table(account, table)
        predicate = _compile(filter_text)
        page: list[TableEntity] = []
        for key in target.entities.ordered(_only_partition(filter_text), start):
            entity = target.entities[key]
            if not predicate(entity.typed()):
                continue
            if len(page) == top:
                # The continuation names the next match, so a last page is never empty.
                return EntityPage(page, key)
            page.append(entity)
        return EntityPage(page, None)

    # --- time and state -------------------------------------------------------------------------

    def _stamp(self) -> int:
        now = edm.ticks(self.sim.clock.now())
        self._last_ticks = max(now, self._last_ticks + 1)
        return self._last_ticks

    def state(self) -> dict[str, Any]:
        return {
            account: {
                t.name: [entity_json(e, "minimal") for _, e in sorted(t.entities.items())]
                for t in sorted(tables.values(), key=lambda t: t.name.lower())
            }
            for account, tables in sorted(self.accounts.items())
            if tables
        }


def entity_json(
    entity: TableEntity, metadata: str, select: list[str] | None = None
) -> dict[str, Any]:
    """An entity's JSON for ``odata=nometadata|minimalmetadata|fullmetadata``."""
    out: dict[str, Any] = {}
    if metadata != "none":
        out["odata.etag"] = entity.etag
    for name, value in entity.typed().items():
        if select is not None and name not in select:
            continue
        # Azure leaves Timestamp unannotated in minimal metadata (the SDK knows its type).
        if (
            metadata != "none"
            and value.edm in edm.ANNOTATED
            and (name != "Timestamp" or metadata == "full")
        ):
            out[f"{name}@odata.type"] = value.edm
        # Timestamp always carries seven fractional digits; other DateTimes only when needed.
        out[name] = entity.timestamp if name == "Timestamp" else value.to_json()
    return out


def parse_properties(body: dict[str, Any]) -> dict[str, EdmValue]:
    """The custom properties of an entity body, typed by their ``@odata.type`` annotations."""
    types: dict[str, str] = {}
    for name, value in body.items():
        if name.endswith("@odata.type"):
            types[name[: -len("@odata.type")]] = str(value)
    props: dict[str, EdmValue] = {}
    for name, raw in body.items():
        if name.startswith("odata.") or "@" in name or name in SYSTEM_PROPERTIES:
            continue
        if raw is None:
            continue  # the service stores no nulls; a null property is simply absent
        if len(name) > MAX_NAME_CHARS:
            raise errors.property_name_too_long(name)
        if not _PROPERTY_NAME.match(name):
            raise errors.property_name_invalid(name)
        try:
            value = edm.from_json(raw, types.get(name))
        except EdmError as exc:
            raise errors.invalid_value_type(name, str(exc)) from exc
        if value.edm in (edm.STRING, edm.BINARY) and value.size() - 4 > MAX_VALUE_BYTES:
            raise errors.property_value_too_large(name)
        props[name] = value
    return props


def decode_key(raw: str) -> str:
    """A key from the URL: single quotes arrive doubled (``O''Brien``)."""
    return raw.replace("''", "'")


def _body_key(body: dict[str, Any], which: str) -> str:
    value = body.get(which)
    if value is None:
        raise errors.properties_need_value(which)
    if not isinstance(value, str):
        raise errors.invalid_value_type(which, "keys must be strings")
    _check_key(value, which)
    return value


def _check_key(value: str, which: str) -> None:
    if edm.utf16_len(value) * 2 > MAX_KEY_BYTES:
        raise errors.key_value_too_large(which)
    if _KEY_FORBIDDEN.search(value):
        raise errors.table_invalid_input(
            f"The {which} contains a character that is not allowed (/ \\ # ? or a control "
            "character)."
        )


def _check_limits(entity: TableEntity) -> None:
    if len(entity.props) > MAX_CUSTOM_PROPERTIES:
        raise errors.too_many_properties(len(entity.props))
    size = 4 + (edm.utf16_len(entity.partition_key) + edm.utf16_len(entity.row_key)) * 2
    for name, value in entity.props.items():
        size += 8 + edm.utf16_len(name) * 2 + value.size()
    if size > MAX_ENTITY_BYTES:
        raise errors.entity_too_large(size)


def _check_etag(if_match: str, current: TableEntity) -> None:
    if if_match.strip() != "*" and if_match.strip() != current.etag:
        raise errors.update_condition_not_satisfied()


def _compile(filter_text: str | None) -> tablefilter.Predicate:
    if filter_text is None or not filter_text.strip():
        return lambda _entity: True
    try:
        return tablefilter.parse(filter_text)
    except tablefilter.FilterError as exc:
        raise errors.table_invalid_input(f"$filter: {exc}") from exc


_ONE_PARTITION = re.compile(r"^\s*\(?\s*PartitionKey\s+eq\s+'((?:[^']|'')*)'\s*\)?(\s+and\s+.*)?$",
                            re.IGNORECASE | re.DOTALL)  # fmt: skip


def _only_partition(filter_text: str | None) -> str | None:
    """The one partition a filter can match (``PartitionKey eq '...'`` and-ed with the rest),
    or None: any ``or`` or ``not`` may reach past it, so such filters scan every partition."""
    if not filter_text:
        return None
    found = _ONE_PARTITION.match(filter_text)
    if found is None or re.search(r"\b(or|not)\b", filter_text, re.IGNORECASE):
        return None
    return found.group(1).replace("''", "'")
