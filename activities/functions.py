"""Registers every activity with Durable Functions under its name from shared/names.py.

Each wrapper turns the JSON payload into the typed input, calls the provider module and returns
the typed output's JSON form. Logs carry the activity, ticket and instance ids, never tokens.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import azure.durable_functions as df

from activities import apim, authorization, dns, network, notifications
from activities import preflight as preflight_checks
from activities.run_index import index_milestone
from shared import names
from shared.access_models import AssignRoleInput, RoleRecord
from shared.apim_models import (
    BeginGatewayInput,
    CreateWorkspaceInput,
    GatewayRecord,
    LinkInput,
    LinkRecord,
    WorkspaceRecord,
)
from shared.dns_models import PrivateDnsInput, PrivateDnsRecord
from shared.network_models import ConfigureSubnetInput, EnsureNsgInput, NsgRecord, SubnetRecord
from shared.preflight import PreflightInput

bp = df.Blueprint()
log = logging.getLogger("onboarding.activities")


def _load(payload: Any) -> Any:
    return json.loads(payload) if isinstance(payload, str | bytes) else payload


def _out(value: Any) -> Any:
    return value.model_dump(by_alias=True) if hasattr(value, "model_dump") else value


def _run(name: str, payload: Any, call: Callable[[Any], Any]) -> Any:
    data = _load(payload)
    ids = data if isinstance(data, dict) else {}
    log.info(
        "activity %s",
        name,
        extra={
            "activity": name,
            "instanceId": ids.get("instanceId"),
            "ticketId": ids.get("ticketId"),
        },
    )
    return _out(call(data))


@bp.activity_trigger(input_name="payload", activity=names.PREFLIGHT)
def preflight(payload: Any) -> Any:
    return _run(
        names.PREFLIGHT,
        payload,
        lambda d: preflight_checks.run_preflight(PreflightInput.model_validate(d)),
    )


@bp.activity_trigger(input_name="payload", activity=names.ENSURE_NSG)
def ensure_nsg(payload: Any) -> Any:
    return _run(
        names.ENSURE_NSG, payload, lambda d: network.ensure_nsg(EnsureNsgInput.model_validate(d))
    )


@bp.activity_trigger(input_name="payload", activity=names.UNDO_NSG)
def undo_nsg(payload: Any) -> Any:
    return _run(names.UNDO_NSG, payload, lambda d: network.undo_nsg(NsgRecord.model_validate(d)))


@bp.activity_trigger(input_name="payload", activity=names.CONFIGURE_SUBNET)
def configure_subnet(payload: Any) -> Any:
    return _run(
        names.CONFIGURE_SUBNET,
        payload,
        lambda d: network.configure_subnet(ConfigureSubnetInput.model_validate(d)),
    )


@bp.activity_trigger(input_name="payload", activity=names.RESTORE_SUBNET)
def restore_subnet(payload: Any) -> Any:
    return _run(
        names.RESTORE_SUBNET,
        payload,
        lambda d: network.restore_subnet(SubnetRecord.model_validate(d)),
    )


@bp.activity_trigger(input_name="payload", activity=names.CREATE_WORKSPACE)
def create_workspace(payload: Any) -> Any:
    return _run(
        names.CREATE_WORKSPACE,
        payload,
        lambda d: apim.create_workspace(CreateWorkspaceInput.model_validate(d)),
    )


@bp.activity_trigger(input_name="payload", activity=names.DELETE_WORKSPACE)
def delete_workspace(payload: Any) -> Any:
    return _run(
        names.DELETE_WORKSPACE,
        payload,
        lambda d: apim.delete_workspace(WorkspaceRecord.model_validate(d)),
    )


@bp.activity_trigger(input_name="payload", activity=names.BEGIN_GATEWAY)
def begin_gateway(payload: Any) -> Any:
    return _run(
        names.BEGIN_GATEWAY,
        payload,
        lambda d: apim.begin_gateway(BeginGatewayInput.model_validate(d)),
    )


@bp.activity_trigger(input_name="payload", activity=names.GET_GATEWAY_STATE)
def get_gateway_state(payload: Any) -> Any:
    return _run(
        names.GET_GATEWAY_STATE, payload, lambda d: apim.get_gateway_state(str(d["gatewayId"]))
    )


@bp.activity_trigger(input_name="payload", activity=names.DELETE_GATEWAY)
def delete_gateway(payload: Any) -> Any:
    return _run(
        names.DELETE_GATEWAY,
        payload,
        lambda d: apim.delete_gateway(GatewayRecord.model_validate(d)),
    )


@bp.activity_trigger(input_name="payload", activity=names.LINK_WORKSPACE)
def link_workspace(payload: Any) -> Any:
    return _run(
        names.LINK_WORKSPACE, payload, lambda d: apim.link_workspace(LinkInput.model_validate(d))
    )


@bp.activity_trigger(input_name="payload", activity=names.UNLINK_WORKSPACE)
def unlink_workspace(payload: Any) -> Any:
    return _run(
        names.UNLINK_WORKSPACE,
        payload,
        lambda d: apim.unlink_workspace(LinkRecord.model_validate(d)),
    )


@bp.activity_trigger(input_name="payload", activity=names.ENSURE_PRIVATE_DNS)
def ensure_private_dns(payload: Any) -> Any:
    return _run(
        names.ENSURE_PRIVATE_DNS,
        payload,
        lambda d: dns.ensure_private_dns(PrivateDnsInput.model_validate(d)),
    )


@bp.activity_trigger(input_name="payload", activity=names.UNDO_PRIVATE_DNS)
def undo_private_dns(payload: Any) -> Any:
    return _run(
        names.UNDO_PRIVATE_DNS,
        payload,
        lambda d: dns.undo_private_dns(PrivateDnsRecord.model_validate(d["record"]), d["vnetId"]),
    )


@bp.activity_trigger(input_name="payload", activity=names.ASSIGN_ROLE)
def assign_role(payload: Any) -> Any:
    return _run(
        names.ASSIGN_ROLE,
        payload,
        lambda d: authorization.assign_role(AssignRoleInput.model_validate(d)),
    )


@bp.activity_trigger(input_name="payload", activity=names.REMOVE_ROLE)
def remove_role(payload: Any) -> Any:
    return _run(
        names.REMOVE_ROLE,
        payload,
        lambda d: authorization.remove_role(RoleRecord.model_validate(d)),
    )


@bp.activity_trigger(input_name="payload", activity=names.PUBLISH_EVENT)
def publish_event(payload: Any) -> Any:
    data = _load(payload)
    if isinstance(data, dict):
        index_milestone(data)
    return _run(names.PUBLISH_EVENT, data, notifications.publish_event)
