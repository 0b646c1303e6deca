"""Team records (issue 15): written by the runs that change what a team owns, read by later runs.

* An onboarding's record rides on its ``succeeded`` milestone (``inventory``): the publish
  activity writes it (:func:`record_onboarding`), so the saga's yields stay as they were. The
  write is idempotent per run (a record that lists the run is kept as it is), so a re-run of the
  activity after a lost result changes nothing.
* Change of access, offboarding and repair read the record (:func:`read_team`) and write what
  they did (:func:`update_team`) as activities of their own, with the default retry schedule.

The record store is the run index's table (shared/team_store.py); without ``RUN_INDEX_ENDPOINT``
there are no records (the onboarding still succeeds; change of access and offboarding refuse).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from shared.run_index_store import index_enabled
from shared.step_errors import StepError
from shared.team_models import (
    HandedOver,
    HandOverInput,
    ReadTeamInput,
    TeamLookup,
    UpdateTeamInput,
)
from shared.team_record import (
    TeamRecord,
    apply_access_change,
    mark_offboarded,
    merge_onboarding,
    take_over,
    team_key,
)
from shared.team_store import team_store

log = logging.getLogger("onboarding.teams")


def record_onboarding(event: Mapping[str, Any]) -> None:
    """Store the team record a succeeded onboarding's last milestone carries (best effort:
    logged when it fails; the run index repairs nothing here, see docs/teams.md)."""
    raw = event.get("inventory")
    if not isinstance(raw, dict) or not index_enabled():
        return
    try:
        new = TeamRecord.model_validate(raw)
        key = team_key(new.team, new.apim_service_id, new.workspace_name)
        team_store().change(key, lambda current: merge_onboarding(current, new))
    except Exception:
        log.warning("team record not written", extra={"instanceId": event.get("instanceId")},
                    exc_info=True)  # fmt: skip


def read_team(inp: ReadTeamInput) -> TeamLookup:
    """The team's record as stored now (``found`` False when there is none)."""
    try:
        found = team_store().get(team_key(inp.team, inp.apim_service_id, inp.workspace))
    except Exception as exc:
        why = f"read the record of team {inp.team}: {type(exc).__name__}"
        raise StepError("transient", "TeamRecordUnavailable", why) from None
    return TeamLookup(found=found is not None, record=found[0] if found else None)


def update_team(inp: UpdateTeamInput) -> TeamLookup:
    """Apply a finished run's change to the record (idempotent per run: see team_record)."""
    key = team_key(inp.team, inp.apim_service_id, inp.workspace)

    def change(current: TeamRecord | None) -> TeamRecord | None:
        if current is None:
            return None  # nothing to change: the team has no record (refused at intake)
        if inp.left is not None:
            return mark_offboarded(current, inp.run, inp.left, inp.offboarded)
        return apply_access_change(current, inp.added, inp.removed, inp.run)

    try:
        stored = team_store().change(key, change)
    except Exception as exc:
        why = f"update the record of team {inp.team}: {type(exc).__name__}"
        raise StepError("transient", "TeamRecordUnavailable", why) from None
    return TeamLookup(found=stored is not None, record=stored)


def hand_over_gateway(inp: HandOverInput) -> HandedOver:
    """Give the gateway (and its network and DNS) to the first active team record, by workspace
    id, that still links it; idempotent per run (a record that lists the run keeps it)."""
    wanted = sorted(w.lower() for w in inp.to_workspaces)
    try:
        store = team_store()
        records = [r for r in store.list() if r.status == "active" and r.workspace_id
                   and r.workspace_id.lower() in wanted]  # fmt: skip
        if not records:
            return HandedOver()
        heir = min(records, key=lambda r: wanted.index(str(r.workspace_id).lower()))
        key = team_key(heir.team, heir.apim_service_id, heir.workspace_name)
        store.change(key, lambda current: None if current is None else take_over(
            current, inp.gateway, inp.network, inp.dns, inp.run))  # fmt: skip
    except Exception as exc:
        why = f"hand the gateway over: {type(exc).__name__}"
        raise StepError("transient", "TeamRecordUnavailable", why) from None
    return HandedOver(team=heir.team, workspace=heir.workspace_name)
