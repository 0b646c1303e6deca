"""Team records in the run index's table (issue 15): one entity per team and workspace.

Layout beside the run rows (shared/run_index.py): PartitionKey ``team``, RowKey
:func:`shared.team_record.team_key` (a hash of team, APIM service and workspace), properties
``team``, ``workspace``, ``apimServiceId``, ``status``, ``updatedAt`` (for listing and
filters) and ``record``, the whole :class:`TeamRecord` as JSON (a Table string holds 32K
characters: about 60 grants; docs/teams.md).

Writers change a record with :meth:`TeamStore.change`, a read-modify-write guarded by the
entity's ETag (If-Match), retried when another writer got there first, so two runs of one team
ending together never lose each other's change. Synchronous: async callers use
``asyncio.to_thread``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared import run_index
from shared.run_index_store import run_index_table
from shared.team_record import TeamRecord, team_key

TEAM_PARTITION = "team"
MAX_RECORD_CHARS = 32_000  # a Table string property holds 32K UTF-16 characters
_ATTEMPTS = 8


class RecordTooLarge(ValueError):
    """The record's JSON does not fit one Table property."""


class TeamStore:
    def __init__(self, table: TableClient) -> None:
        self.table = table

    def get(self, key: str) -> tuple[TeamRecord, str] | None:
        try:
            entity = self.table.get_entity(TEAM_PARTITION, key)
        except ResourceNotFoundError:
            return None
        return _record(entity), str(entity.metadata.get("etag") or "")

    def find(self, team: str, apim_service_id: str, workspace: str) -> TeamRecord | None:
        found = self.get(team_key(team, apim_service_id, workspace))
        return found[0] if found else None

    def list(self, team: str | None = None) -> list[TeamRecord]:
        """Every record (of ``team`` when given), ordered by team and workspace."""
        query = f"PartitionKey eq {run_index.quote(TEAM_PARTITION)}"
        if team is not None:
            query += f" and team eq {run_index.quote(team)}"
        records = [_record(e) for e in self.table.query_entities(query, results_per_page=1000)]
        return sorted(records, key=lambda r: (r.team, r.workspace_name, r.apim_service_id))

    def change(
        self, key: str, change: Callable[[TeamRecord | None], TeamRecord | None]
    ) -> TeamRecord | None:
        """Apply ``change`` to the stored record (None: none yet) and store its answer.

        ``change`` returning its argument (or None) writes nothing. A concurrent writer makes
        the write fail its If-Match; the change is then applied again to the newer record.
        """
        for _ in range(_ATTEMPTS):
            found = self.get(key)
            current, etag = found if found else (None, None)
            new = change(current)
            if new is None or new is current:
                return current
            entity = _entity(key, new)
            try:
                if etag is None:
                    self.table.create_entity(entity)
                else:
                    unchanged = MatchConditions.IfNotModified
                    self.table.update_entity(
                        entity, UpdateMode.REPLACE, etag=etag, match_condition=unchanged
                    )
            except ResourceExistsError:
                continue  # created meanwhile: apply the change to that one
            except HttpResponseError as exc:
                if exc.status_code == 412:
                    continue  # changed meanwhile
                raise
            return new
        raise RuntimeError(f"team record {key} kept changing under {_ATTEMPTS} writes; try again")


def _entity(key: str, record: TeamRecord) -> dict[str, Any]:
    text = record.model_dump_json(by_alias=True)
    if len(text) > MAX_RECORD_CHARS:
        raise RecordTooLarge(
            f"the record of team {record.team!r} is {len(text)} characters; a Table property "
            f"holds {MAX_RECORD_CHARS}"
        )
    return {
        "PartitionKey": TEAM_PARTITION,
        "RowKey": key,
        "team": record.team,
        "workspace": record.workspace_name,
        "apimServiceId": record.apim_service_id,
        "status": record.status,
        "updatedAt": record.updated_at or "",
        "record": text,
    }


def _record(entity: Any) -> TeamRecord:
    return TeamRecord.model_validate(json.loads(str(entity["record"])))


def team_store() -> TeamStore:
    """The process-wide store (the run index's table); IndexUnavailable when it is off."""
    index = run_index_table()
    index._ensure_table()  # made on first use, as the run index's own writes do
    return TeamStore(index.table)
