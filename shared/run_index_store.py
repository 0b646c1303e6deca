"""The run index's table: settings, the client, and the reads and writes the app makes.

``RUN_INDEX_ENDPOINT`` is the Table service URL (Azure: the app's storage account,
``https://<account>.table.core.windows.net``; locally the simulator's
``https://127.0.0.1:<port>/devstoreaccount1``), ``RUN_INDEX_TABLE`` the table (default
``onboardingruns``). The credential follows ARM's settings (shared/azure_clients.py):
``ARM_CREDENTIAL=static`` is the local fixed token, otherwise DefaultAzureCredential with the
app's managed identity; ``ARM_CA_BUNDLE`` trusts the simulator's CA. Without
``RUN_INDEX_ENDPOINT`` the index is off: writers skip it and the operator API says so.

Every call is synchronous; async callers run them with ``asyncio.to_thread``.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared import run_index
from shared.azure_clients import ArmSettings, ClientFactory, SettingsError, on_reset

ENDPOINT_SETTING = "RUN_INDEX_ENDPOINT"
TABLE_SETTING = "RUN_INDEX_TABLE"
_MAX_SERVER_PAGES = 20  # a filtered scan of one request stops here and hands back a token


class IndexUnavailable(RuntimeError):
    """The index is not configured (RUN_INDEX_ENDPOINT unset)."""


@dataclass(frozen=True)
class IndexSettings:
    endpoint: str
    table: str = run_index.DEFAULT_TABLE

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IndexSettings | None:
        env = os.environ if env is None else env
        endpoint = (env.get(ENDPOINT_SETTING) or "").strip().rstrip("/")
        if not endpoint:
            return None
        if not endpoint.startswith("https://"):
            raise SettingsError(
                f"{ENDPOINT_SETTING} must be an https:// Table service URL (got '{endpoint}'); "
                "bearer tokens are never sent over plain HTTP."
            )
        return cls(endpoint, (env.get(TABLE_SETTING) or "").strip() or run_index.DEFAULT_TABLE)


@dataclass
class Page:
    items: list[dict[str, Any]]
    continuation: dict[str, str] | None


class RunIndex:
    """One table of run rows and id pointers (layout: shared/run_index.py)."""

    def __init__(self, table: TableClient) -> None:
        self.table = table
        self._created = False
        self._lock = threading.Lock()

    def _ensure_table(self) -> None:
        # Created on first use: the app's identity has Table Data Contributor, no ARM rights.
        if self._created:
            return
        with self._lock:
            if not self._created:
                with contextlib.suppress(ResourceExistsError):
                    self.table.create_table()
                self._created = True

    # -- side partitions (build durations, gateway watchers): one row kind each -------------
    def upsert(self, entity: Mapping[str, Any]) -> None:
        """Write a side partition's row whole (re-writing it is harmless)."""
        self._ensure_table()
        self.table.upsert_entity(dict(entity), UpdateMode.REPLACE)

    def first_page(self, partition: str, size: int, select: list[str]) -> list[dict[str, Any]]:
        """The first ``size`` rows of a side partition, in key order."""
        self._ensure_table()
        found = self.table.query_entities(
            f"PartitionKey eq {run_index.quote(partition)}", results_per_page=size, select=select
        )
        return [dict(e) for e in next(iter(found.by_page()), iter(()))]

    # -- writes ---------------------------------------------------------------------------
    def put_run(self, row: Mapping[str, Any]) -> str:
        """Write a run's row and its id pointer (merge: re-writing is harmless).

        The pointer is inserted first and the first writer's key wins: the start path and the
        first milestone may both write a new run's row, with creation times that differ by
        milliseconds; without this they would make two rows for one run.
        """
        self._ensure_table()
        created = run_index.parse_time(str(row["createdAt"]))
        key = run_index.row_key(created, str(row["id"]))
        entity = {k: v for k, v in row.items() if v is not None}
        try:
            self.table.create_entity(
                {"PartitionKey": run_index.POINTER_PARTITION, "RowKey": row["id"], "row": key}
            )
        except ResourceExistsError:
            existing = self._key(str(row["id"]))
            if existing and existing != key:
                key = existing
                entity.pop("createdAt", None)  # the row keeps the time its key was made from
        self.table.upsert_entity(
            {"PartitionKey": run_index.RUN_PARTITION, "RowKey": key, **entity}, UpdateMode.MERGE
        )
        return key

    def update(self, instance_id: str, fields: Mapping[str, Any],
               created_at: str | None = None) -> bool:  # fmt: skip
        """Merge ``fields`` into the run's row; False when the run has no row.

        None clears a property (Table merges cannot delete one, so it is stored as empty and
        read back as None). Without a row, ``created_at`` (the first milestone's time) starts
        one, so a run whose first write was lost still appears.
        """
        self._ensure_table()
        key = self._key(instance_id)
        if key is None:
            if created_at is None:
                return False
            row = {"id": instance_id, "createdAt": created_at, "updatedAt": created_at}
            key = self.put_run(row)
        entity = {k: ("" if v is None else v) for k, v in fields.items()}
        self.table.upsert_entity(
            {"PartitionKey": run_index.RUN_PARTITION, "RowKey": key, **entity}, UpdateMode.MERGE
        )
        return True

    def delete(self, instance_id: str) -> None:
        self._ensure_table()
        key = self._key(instance_id)
        if key is not None:
            self._delete(run_index.RUN_PARTITION, key)
        self._delete(run_index.POINTER_PARTITION, instance_id)

    def _delete(self, partition: str, key: str) -> None:
        with contextlib.suppress(ResourceNotFoundError):
            self.table.delete_entity(partition, key)  # unconditional: If-Match: *

    # -- grant reliance (layout: shared/run_index.py) --------------------------------------
    def rely(self, assignment_name: str, instance_id: str, assignment_id: str) -> None:
        """Record that run ``instance_id`` relies on the assignment (idempotent)."""
        self._ensure_table()
        self.table.upsert_entity(
            {
                "PartitionKey": run_index.reliance_partition(assignment_name),
                "RowKey": instance_id,
                "assignmentId": assignment_id,
            },
            UpdateMode.MERGE,
        )

    def release(self, assignment_name: str, instance_id: str) -> None:
        """Forget that run ``instance_id`` relies on the assignment (absent is fine)."""
        self._ensure_table()
        self._delete(run_index.reliance_partition(assignment_name), instance_id)

    def reliers(self, assignment_name: str) -> list[str]:
        """The instance ids of every run that relies on the assignment, in key order."""
        self._ensure_table()
        partition = run_index.quote(run_index.reliance_partition(assignment_name))
        found = self.table.query_entities(f"PartitionKey eq {partition}", select=["RowKey"])
        return [str(e["RowKey"]) for e in found]

    # -- reads ----------------------------------------------------------------------------
    def _key(self, instance_id: str) -> str | None:
        try:
            pointer = self.table.get_entity(run_index.POINTER_PARTITION, instance_id)
        except ResourceNotFoundError:
            return None
        return str(pointer.get("row") or "") or None

    def get(self, instance_id: str) -> dict[str, Any] | None:
        self._ensure_table()
        key = self._key(instance_id)
        if key is None:
            return None
        try:
            return _row(self.table.get_entity(run_index.RUN_PARTITION, key))
        except ResourceNotFoundError:
            return None

    def page(self, query: run_index.ListQuery) -> Page:
        """Up to ``query.top`` rows, newest first, and where the next page starts.

        A filter on non-key properties is a scan: Table Storage may answer a server page with
        fewer rows than asked (even none) and a continuation, so server pages are read until the
        page is full, the rows end, or _MAX_SERVER_PAGES were read (then the page is short but
        the token still resumes exactly after the last row looked at).
        """
        self._ensure_table()
        items: list[dict[str, Any]] = []
        token = query.continuation
        for _ in range(_MAX_SERVER_PAGES):
            want = query.top - len(items)
            paged = self.table.query_entities(query.odata(), results_per_page=want)
            # The Tables SDK's entity continuation is a dict, though ItemPaged is typed for str.
            pages = paged.by_page(continuation_token=token)  # type: ignore[arg-type]
            items.extend(_row(e) for e in next(pages, []))
            token = pages.continuation_token  # type: ignore[attr-defined]
            if not token or len(items) >= query.top:
                break
        return Page(items, token or None)

    def scan(self, query: run_index.ListQuery, select: list[str] | None = None
             ) -> Iterator[dict[str, Any]]:  # fmt: skip
        """Every row ``query`` matches, newest first (counts, purge by age)."""
        self._ensure_table()
        for entity in self.table.query_entities(
            query.odata(), results_per_page=1000, select=select
        ):
            yield _row(entity)


def _row(entity: Mapping[str, Any]) -> dict[str, Any]:
    # Cleared properties are stored as "" (see update); the API shows them as null.
    return {k: (None if v == "" else v) for k, v in entity.items()}


_index: RunIndex | None = None
_index_settings: tuple[IndexSettings, ArmSettings] | None = None
_index_lock = threading.Lock()


def run_index_table(env: Mapping[str, str] | None = None) -> RunIndex:
    """The process-wide index; IndexUnavailable when RUN_INDEX_ENDPOINT is unset."""
    global _index, _index_settings
    settings = IndexSettings.from_env(env)
    if settings is None:
        raise IndexUnavailable(f"{ENDPOINT_SETTING} is not set: the run index is off")
    arm = ArmSettings.from_env(env)
    with _index_lock:
        if _index is None or _index_settings != (settings, arm):
            kwargs: dict[str, Any] = {"retry_total": min(arm.retry_total, 3)}
            if arm.ca_bundle:
                kwargs["connection_verify"] = arm.ca_bundle
            client = TableClient(
                endpoint=settings.endpoint,
                table_name=settings.table,
                credential=ClientFactory(arm).credential,
                **kwargs,
            )
            _index, _index_settings = RunIndex(client), (settings, arm)
        return _index


def index_enabled(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return bool((env.get(ENDPOINT_SETTING) or "").strip())


def _reset() -> None:
    global _index, _index_settings
    with _index_lock:
        _index, _index_settings = None, None


on_reset(_reset)
