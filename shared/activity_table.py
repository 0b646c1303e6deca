"""Every activity of the saga in one table: name, step, typed input and output, undo, retry, made.

One row per activity. The orchestrator sends ``row.input`` as JSON and reads the answer with
``row.parse``; activities/functions.py registers one Durable activity per row (its
implementation validates ``row.input`` and returns ``row.output``'s JSON form). A forward row
with an ``undo`` names the activity that reverses it; that undo's input is exactly this row's
output (the undo record), so compensation replays recorded outputs and nothing else. ``made``
says, from the output, which resource ids the step record lists as created or changed and which
label stands for the undo in leftovers. Errors are raised as :class:`shared.step_errors.StepError`
(classified, see shared/arm_error_classes.py); ``policy`` names the orchestrator-side retry
schedule (shared/retry.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from shared.access_models import AssignRoleInput, RoleRecord
from shared.apim_models import (
    BeginGatewayInput,
    CreateWorkspaceInput,
    GatewayRecord,
    GatewayState,
    GatewayStateInput,
    LinkInput,
    LinkRecord,
    LinkState,
    LinkStateInput,
    WorkspaceRecord,
)
from shared.build_history import BuildDurations, BuildKind, RecordBuildInput
from shared.dns_models import PrivateDnsInput, PrivateDnsRecord
from shared.drift import ListTeamsInput, Observation, ObserveInput, TeamDrift, TeamRecords
from shared.gateway_signal import WatchGatewayInput, Watching
from shared.network_models import ConfigureSubnetInput, EnsureNsgInput, NsgRecord, SubnetRecord
from shared.preflight import PreflightInput, PreflightResult
from shared.retry import DEFAULT, PRINCIPAL_REPLICATION, UNDO, RetryPolicy
from shared.saga_models import StatusEvent
from shared.team_models import (
    GatewayPresence,
    HandedOver,
    HandOverInput,
    OffboardFacts,
    OffboardPreflightInput,
    ReadTeamInput,
    ReleaseGrantInput,
    ReleaseRecord,
    TeamLookup,
    UpdateTeamInput,
)

PolicyName = Literal["default", "principal", "undo"]
POLICIES: dict[PolicyName, RetryPolicy] = {
    "default": DEFAULT,
    "principal": PRINCIPAL_REPLICATION,
    "undo": UNDO,
}


@dataclass(frozen=True)
class Made:
    """What a forward call made: ids for its step record, a label for its undo and leftovers."""

    ids: tuple[str, ...]
    label: str


@dataclass(frozen=True)
class Activity:
    """One row of the table."""

    name: str
    step: str | None  # the saga step it is recorded under (None: not part of a step)
    input: type[BaseModel]
    output: type[BaseModel] | None
    does: str
    undo: str | None = None
    policy: PolicyName = "default"
    made: Callable[[Any], Made] | None = None

    def parse(self, raw: Any) -> Any:
        """The typed output of a completed call (None for rows without output)."""
        return None if self.output is None else self.output.model_validate(raw)


def _made(ids: str | None, label: str) -> Made:
    return Made((ids,) if ids else (), label)


# fmt: off
PREFLIGHT = Activity(
    "preflight", "preflight", PreflightInput, PreflightResult,
    "read-only checks of DESIGN.md §2 step 1; findings name each problem")
ENSURE_NSG = Activity(
    "ensure_nsg", "network", EnsureNsgInput, NsgRecord,
    "create the NSG or add the mode's missing rules; records what it added",
    undo="undo_nsg", made=lambda o: _made(o.nsg_id if o.created else None, o.nsg_id))
UNDO_NSG = Activity(
    "undo_nsg", "network", NsgRecord, None,
    "delete the NSG if created, else remove only the rules it added", policy="undo")
CONFIGURE_SUBNET = Activity(
    "configure_subnet", "network", ConfigureSubnetInput, SubnetRecord,
    "one read-modify-write PUT: delegation + NSG; records the prior state",
    undo="restore_subnet", made=lambda o: _made(o.subnet_id if o.changed else None, o.subnet_id))
RESTORE_SUBNET = Activity(
    "restore_subnet", "network", SubnetRecord, None,
    "put the recorded prior delegations and NSG back (no-op when unchanged)", policy="undo")
CREATE_WORKSPACE = Activity(
    "create_workspace", "workspace", CreateWorkspaceInput, WorkspaceRecord,
    "PUT service/workspaces/{name}, marked as this run's",
    undo="delete_workspace", made=lambda o: _made(o.workspace_id, o.workspace_id))
DELETE_WORKSPACE = Activity(
    "delete_workspace", "workspace", WorkspaceRecord, None,
    "delete the workspace if this run created it; 404 is done", policy="undo")
BEGIN_GATEWAY = Activity(
    "begin_gateway", "gateway", BeginGatewayInput, GatewayRecord,
    "start the gateway PUT and return at once (the build is polled)",
    undo="delete_gateway",
    made=lambda o: _made(o.gateway_id if o.created else None, o.gateway_id))
GET_GATEWAY_STATE = Activity(
    "get_gateway_state", "wait", GatewayStateInput, GatewayState,
    "read provisioningState, hostname and (if ARM shows one) the private VIP")
DELETE_GATEWAY = Activity(
    "delete_gateway", "gateway", GatewayRecord, None,
    "delete the gateway if this run created it; 404 is done", policy="undo")
LINK_WORKSPACE = Activity(
    "link_workspace", "gateway", LinkInput, LinkRecord,
    "start the config connection PUT and return at once (or say it must wait for the build)",
    undo="unlink_workspace",
    made=lambda o: _made(None if o.deferred else o.link_id, o.link_id))
GET_LINK_STATE = Activity(
    "get_link_state", "gateway", LinkStateInput, LinkState,
    "read the config connection's provisioningState and hostname")
UNLINK_WORKSPACE = Activity(
    "unlink_workspace", "gateway", LinkRecord, None,
    "delete the config connection if this run created it; 404 is done", policy="undo")
ENSURE_PRIVATE_DNS = Activity(
    "ensure_private_dns", "dns", PrivateDnsInput, PrivateDnsRecord,
    "zone named the gateway hostname, VNet link, @ A record",
    undo="undo_private_dns", made=lambda o: _made(o.zone_id if o.zone_created else None, o.zone_id))
UNDO_PRIVATE_DNS = Activity(
    "undo_private_dns", "dns", PrivateDnsRecord, None,
    "delete record, link and zone, each only if this run created it", policy="undo")
ASSIGN_ROLE = Activity(
    "assign_role", "access", AssignRoleInput, RoleRecord,
    "read first; if absent create it marked [onboarding:<instance>] without principalType, then "
    "verify the principal's type; record reliance in the run index; Exists is success, not ours",
    undo="remove_role", policy="principal",
    made=lambda o: _made(o.assignment_id if o.created else None, o.assignment_id))
REMOVE_ROLE = Activity(
    "remove_role", "access", RoleRecord, None,
    "release this run's reliance; delete only if this run's mark is on it and no other run "
    "relies on it (else hand the mark over); 404 is done", policy="undo")
READ_BUILD_DURATIONS = Activity(
    "read_build_durations", "wait", BuildKind, BuildDurations,
    "the recent recorded build durations of a region and SKU (run index table; best effort)")
WATCH_GATEWAY = Activity(
    "watch_gateway", "wait", WatchGatewayInput, Watching,
    "register a waiter for its gateway's push signal (run index table; best effort)")
RECORD_BUILD_DURATION = Activity(
    "record_build_duration", "wait", RecordBuildInput, None,
    "record a finished build's duration by region and SKU (run index table; best effort)")
PUBLISH_EVENT = Activity(
    "publish_event", None, StatusEvent, None,
    "publish a milestone on the onboarding-events topic (best effort)")
# After onboarding (issue 15): team records, change of access
READ_TEAM = Activity(
    "read_team", "preflight", ReadTeamInput, TeamLookup,
    "read the team's record (shared/team_store.py)")
UPDATE_TEAM = Activity(
    "update_team", "record", UpdateTeamInput, TeamLookup,
    "apply what the run changed to the team's record (idempotent per run)")
RELEASE_GRANT = Activity(
    "release_grant", "access", ReleaseGrantInput, ReleaseRecord,
    "stop the team relying on a grant; delete it only if its run's mark is on it and no other "
    "run relies on it; records what it removed",
    undo="restore_grant",
    made=lambda o: _made(o.record.assignment_id if o.deleted else None, o.record.assignment_id))
RESTORE_GRANT = Activity(
    "restore_grant", "access", ReleaseRecord, None,
    "put the reliance row and (if it was deleted) the same assignment back", policy="undo")
OFFBOARD_PREFLIGHT = Activity(
    "offboard_preflight", "preflight", OffboardPreflightInput, OffboardFacts,
    "read what the workspace holds (APIs, products) and which other workspaces use the gateway")
GATEWAY_PRESENCE = Activity(
    "gateway_presence", "gateway", GatewayStateInput, GatewayPresence,
    "whether the gateway is still there (an offboarding waits for its delete)")
LIST_TEAMS = Activity(
    "list_team_records", "preflight", ListTeamsInput, TeamRecords,
    "the active team records a drift check compares")
OBSERVE_TEAM = Activity(
    "observe_team", "observe", ObserveInput, Observation,
    "read what ARM holds now for every part of a team's record (read only)")
HAND_OVER_GATEWAY = Activity(
    "hand_over_gateway", "record", HandOverInput, HandedOver,
    "give a kept gateway (with its network and DNS) to the record of a team that still links it")
RECORD_DRIFT = Activity(
    "record_drift", "record", TeamDrift, None,
    "store a team's latest drift findings and publish a drift event for it")
# fmt: on

ACTIVITIES: dict[str, Activity] = {
    row.name: row
    for row in (
        PREFLIGHT, ENSURE_NSG, UNDO_NSG, CONFIGURE_SUBNET, RESTORE_SUBNET, CREATE_WORKSPACE,
        DELETE_WORKSPACE, BEGIN_GATEWAY, GET_GATEWAY_STATE, DELETE_GATEWAY, LINK_WORKSPACE,
        UNLINK_WORKSPACE, GET_LINK_STATE, ENSURE_PRIVATE_DNS, UNDO_PRIVATE_DNS, ASSIGN_ROLE,
        REMOVE_ROLE, READ_BUILD_DURATIONS, RECORD_BUILD_DURATION, PUBLISH_EVENT,
        READ_TEAM, UPDATE_TEAM, RELEASE_GRANT, RESTORE_GRANT, OFFBOARD_PREFLIGHT,
        GATEWAY_PRESENCE, LIST_TEAMS, OBSERVE_TEAM, RECORD_DRIFT, HAND_OVER_GATEWAY,
        WATCH_GATEWAY,
    )
}  # fmt: skip
UNDO_OF: dict[str, str] = {row.name: row.undo for row in ACTIVITIES.values() if row.undo}
