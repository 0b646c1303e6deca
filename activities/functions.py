"""Registers one Durable activity per row of the activity table (shared/activity_table.py).

Each registered function turns its JSON payload into the row's typed input, calls the provider
module's implementation and returns the row's output in JSON form. The function's name is the
activity's name, so every registration is distinct. Logs carry the activity, ticket and
instance ids, never tokens.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import azure.durable_functions as df

from activities import (
    access_change,
    apim,
    authorization,
    build_history,
    dns,
    drift,
    gateway_signal,
    network,
    notifications,
    offboard,
    preflight,
    teams,
)
from activities.run_index import index_milestone
from shared import activity_table as acts
from shared import telemetry
from shared.activity_table import ACTIVITIES, Activity

bp = df.Blueprint()
log = logging.getLogger("onboarding.activities")


def _publish(event: Any) -> None:
    payload = event.payload()
    # A succeeded onboarding's team record (issue 15) is stored, never published.
    teams.record_onboarding(payload)
    payload.pop("inventory", None)
    index_milestone(payload)
    notifications.publish_event(payload)


# What each row runs, given its typed input.
IMPLEMENTATIONS: dict[str, Callable[[Any], Any]] = {
    acts.PREFLIGHT.name: preflight.run_preflight,
    acts.ENSURE_NSG.name: network.ensure_nsg,
    acts.UNDO_NSG.name: network.undo_nsg,
    acts.CONFIGURE_SUBNET.name: network.configure_subnet,
    acts.RESTORE_SUBNET.name: network.restore_subnet,
    acts.CREATE_WORKSPACE.name: apim.create_workspace,
    acts.DELETE_WORKSPACE.name: apim.delete_workspace,
    acts.BEGIN_GATEWAY.name: apim.begin_gateway,
    acts.GET_GATEWAY_STATE.name: lambda inp: apim.get_gateway_state(
        inp.gateway_id, read_links=not inp.hostname_from_link
    ),
    acts.DELETE_GATEWAY.name: apim.delete_gateway,
    acts.LINK_WORKSPACE.name: apim.link_workspace,
    acts.UNLINK_WORKSPACE.name: apim.unlink_workspace,
    acts.GET_LINK_STATE.name: apim.get_link_state,
    acts.ENSURE_PRIVATE_DNS.name: dns.ensure_private_dns,
    acts.UNDO_PRIVATE_DNS.name: dns.undo_private_dns,
    acts.ASSIGN_ROLE.name: authorization.assign_role,
    acts.REMOVE_ROLE.name: authorization.remove_role,
    acts.READ_BUILD_DURATIONS.name: build_history.read_build_durations,
    acts.RECORD_BUILD_DURATION.name: build_history.record_build_duration,
    acts.PUBLISH_EVENT.name: _publish,
    acts.READ_TEAM.name: teams.read_team,
    acts.UPDATE_TEAM.name: teams.update_team,
    acts.RELEASE_GRANT.name: access_change.release_grant,
    acts.RESTORE_GRANT.name: access_change.restore_grant,
    acts.OFFBOARD_PREFLIGHT.name: offboard.offboard_preflight,
    acts.GATEWAY_PRESENCE.name: offboard.gateway_presence,
    acts.LIST_TEAMS.name: drift.list_teams,
    acts.OBSERVE_TEAM.name: drift.observe_team,
    acts.RECORD_DRIFT.name: drift.record_drift,
    acts.HAND_OVER_GATEWAY.name: teams.hand_over_gateway,
    acts.WATCH_GATEWAY.name: gateway_signal.watch_gateway,
}


def invoke(row: Activity, payload: Any) -> Any:
    """Validate the payload as the row's input, run it, return the output's JSON form."""
    data = json.loads(payload) if isinstance(payload, str | bytes) else payload
    ticket_id, instance_id = telemetry.run_ids(data)
    # Every record and span of the call carries the run's ticketId, instanceId and step.
    with telemetry.run_scope(f"activity {row.name}", ticket_id, instance_id, row.step or row.name):
        log.info("activity %s", row.name, extra={"activity": row.name})
        result = IMPLEMENTATIONS[row.name](row.input.model_validate(data))
    return result.model_dump(by_alias=True) if hasattr(result, "model_dump") else result


def _register(row: Activity) -> None:
    def activity(payload: Any) -> Any:
        return invoke(row, payload)

    # The Functions indexer names a function after the Python function: one name per row.
    activity.__name__ = activity.__qualname__ = row.name
    bp.activity_trigger(input_name="payload", activity=row.name)(activity)


for _row in ACTIVITIES.values():
    _register(_row)
