"""The activity contract: every activity's name, typed input, typed output and undo, in one table.

The orchestrator sends ``input.model_dump(by_alias=True)`` and reads the result with
``output.model_validate``; an activity (activities/) validates its input with the same model
and returns the output's JSON form. An undo activity takes the forward activity's output (its
undo record) as input, treats "already gone" as done, and returns nothing. Errors are raised as
:class:`shared.step_errors.StepError` (classified, see shared/arm_error_classes.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from shared import names
from shared.access_models import AssignRoleInput, RoleRecord
from shared.apim_models import (
    BeginGatewayInput,
    CreateWorkspaceInput,
    GatewayRecord,
    GatewayState,
    GatewayStateInput,
    LinkInput,
    LinkRecord,
    WorkspaceRecord,
)
from shared.dns_models import PrivateDnsInput, PrivateDnsRecord, UndoPrivateDnsInput
from shared.network_models import ConfigureSubnetInput, EnsureNsgInput, NsgRecord, SubnetRecord
from shared.preflight import PreflightInput, PreflightResult
from shared.saga_models import StatusEvent


@dataclass(frozen=True)
class Contract:
    name: str
    input: type[BaseModel]
    output: type[BaseModel] | None
    undo: str | None
    does: str


# fmt: off
_ALL = (
    Contract(names.PREFLIGHT, PreflightInput, PreflightResult, None,
             "read-only checks of DESIGN.md §2 step 1; findings name each problem"),
    Contract(names.ENSURE_NSG, EnsureNsgInput, NsgRecord, names.UNDO_NSG,
             "create the NSG or add the mode's missing rules; records what it added"),
    Contract(names.UNDO_NSG, NsgRecord, None, None,
             "delete the NSG if created, else remove only the rules it added"),
    Contract(names.CONFIGURE_SUBNET, ConfigureSubnetInput, SubnetRecord, names.RESTORE_SUBNET,
             "one read-modify-write PUT: delegation + NSG; records the prior state"),
    Contract(names.RESTORE_SUBNET, SubnetRecord, None, None,
             "put the recorded prior delegations and NSG back (no-op when unchanged)"),
    Contract(names.CREATE_WORKSPACE, CreateWorkspaceInput, WorkspaceRecord,
             names.DELETE_WORKSPACE, "PUT service/workspaces/{name}, marked as this run's"),
    Contract(names.DELETE_WORKSPACE, WorkspaceRecord, None, None,
             "delete the workspace if this run created it; 404 is done"),
    Contract(names.BEGIN_GATEWAY, BeginGatewayInput, GatewayRecord, names.DELETE_GATEWAY,
             "start the gateway PUT and return at once (the build is polled)"),
    Contract(names.GET_GATEWAY_STATE, GatewayStateInput, GatewayState, None,
             "read provisioningState, hostname and (if ARM shows one) the private VIP"),
    Contract(names.DELETE_GATEWAY, GatewayRecord, None, None,
             "delete the gateway if this run created it; 404 is done"),
    Contract(names.LINK_WORKSPACE, LinkInput, LinkRecord, names.UNLINK_WORKSPACE,
             "PUT gateways/{gw}/configConnections/{ws}; returns the link's hostname"),
    Contract(names.UNLINK_WORKSPACE, LinkRecord, None, None,
             "delete the config connection if this run created it; 404 is done"),
    Contract(names.ENSURE_PRIVATE_DNS, PrivateDnsInput, PrivateDnsRecord,
             names.UNDO_PRIVATE_DNS, "zone named the gateway hostname, VNet link, @ A record"),
    Contract(names.UNDO_PRIVATE_DNS, UndoPrivateDnsInput, None, None,
             "delete record, link and zone, each only if this run created it"),
    Contract(names.ASSIGN_ROLE, AssignRoleInput, RoleRecord, names.REMOVE_ROLE,
             "role assignment named uuid5(scope, role, principal); Exists is success"),
    Contract(names.REMOVE_ROLE, RoleRecord, None, None,
             "delete the assignment if this run created it; 404 is done"),
    Contract(names.PUBLISH_EVENT, StatusEvent, None, None,
             "publish a milestone on the onboarding-events topic (best effort)"),
)
# fmt: on
CONTRACTS: dict[str, Contract] = {c.name: c for c in _ALL}
