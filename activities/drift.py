"""Reads of the drift check (issue 15, item 4): what ARM holds now for a team's record.

Read only, one activity per team (observe_team); the comparison is shared/drift.py's. The drift
record (record_drift) is stored beside the team records and announced with a ``drift`` event
per team on the events topic.
"""

from __future__ import annotations

import logging
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from activities import notifications
from activities.arm_action import arm_action
from activities.dns import APEX
from activities.network import _rule_dict
from shared.arm_ids import ArmId
from shared.azure_clients import ClientFactory, clients
from shared.drift import (
    ListTeamsInput,
    Observation,
    ObservedGrant,
    ObserveInput,
    TeamDrift,
    TeamRecords,
)
from shared.run_index_store import index_enabled
from shared.step_errors import StepError
from shared.team_store import team_store

log = logging.getLogger("onboarding.drift")


def observe_team(inp: ObserveInput, factory: ClientFactory | None = None) -> Observation:
    record = inp.record
    make = factory or clients()
    seen = Observation()
    with arm_action(f"read what team {record.team} holds"):
        if record.workspace is not None:
            ws = ArmId.parse(record.workspace.record.workspace_id)
            api = make.apim(ws.subscription)
            seen.workspace_exists = _exists(lambda: api.workspace.get(
                ws.resource_group, ws.parent.name, ws.name))  # fmt: skip
            if seen.workspace_exists:
                authz = make.authorization(ws.subscription)
                # atScope() lists the assignments at the scope and above it (inherited): only
                # those made on the workspace itself are the team's to compare.
                own = str(ws).lower() + "/providers/microsoft.authorization/roleassignments/"
                seen.workspace_grants = [
                    ObservedGrant(assignment_id=str(a.id), principal_id=a.principal_id,
                                  role_definition_id=a.role_definition_id)
                    for a in authz.role_assignments.list_for_scope(str(ws), filter="atScope()")
                    if str(a.id).lower().startswith(own)
                ]  # fmt: skip
        if record.link is not None:
            link = ArmId.parse(record.link.record.link_id)
            api = make.apim(link.subscription)
            seen.link_exists = _exists(lambda: api.api_gateway_config_connection.get(
                link.resource_group, link.parent.name, link.name))  # fmt: skip
        if record.gateway is not None:
            gw = ArmId.parse(record.gateway.record.gateway_id)
            api = make.apim(gw.subscription)
            seen.gateway_exists = _exists(lambda: api.api_gateway.get(gw.resource_group, gw.name))
        for grant in record.grants:
            ref = ArmId.parse(grant.record.assignment_id)
            authz = make.authorization(ref.subscription)
            if _exists(lambda a=authz, r=ref: a.role_assignments.get(str(r.parent), r.name)):
                seen.grants_present.append(grant.record.assignment_id)
        _network(record, make, seen)
        _dns(record, make, seen)
    return seen


def _network(record: Any, make: ClientFactory, seen: Observation) -> None:
    net = record.network
    if net is None:
        return
    if net.nsg is not None:
        nsg = ArmId.parse(net.nsg.nsg_id)
        client = make.network(nsg.subscription)
        try:
            found = client.network_security_groups.get(nsg.resource_group, nsg.name)
            # The rules in their ARM wire form, as nsg_rules compares them.
            seen.nsg_rules = [_rule_dict(r) for r in found.security_rules or []]
        except ResourceNotFoundError:
            seen.nsg_rules = None
    if net.subnet_id:
        sub = ArmId.parse(net.subnet_id)
        client = make.network(sub.subscription)
        try:
            subnet = client.subnets.get(sub.resource_group, sub.parent.name, sub.name)
        except ResourceNotFoundError:
            return
        seen.subnet_prefixes = [str(p) for p in dict.fromkeys(
            [*(subnet.address_prefixes or []), subnet.address_prefix]) if p]  # fmt: skip
        seen.subnet_delegations = [str(d.service_name) for d in subnet.delegations or []]
        group = subnet.network_security_group
        seen.subnet_nsg_id = str(group.id) if group is not None and group.id else None


def _dns(record: Any, make: ClientFactory, seen: Observation) -> None:
    if record.dns is None:
        return
    zone = ArmId.parse(record.dns.record.zone_id)
    client = make.private_dns(zone.subscription)
    try:
        found = client.record_sets.get(zone.resource_group, zone.name, "A", APEX)
    except ResourceNotFoundError:
        seen.dns_ips = None
        return
    seen.dns_ips = [str(a.ipv4_address) for a in found.a_records or []]


def _exists(read: Any) -> bool:
    try:
        read()
    except ResourceNotFoundError:
        return False
    return True


DRIFT_PARTITION = "drift"


def record_drift(drift: TeamDrift) -> None:
    """Store the team's latest drift check and announce it (one ``drift`` event per team)."""
    from shared.team_record import team_key

    if index_enabled():
        try:
            key = team_key(drift.team, drift.apim_service_id, drift.workspace)
            team_store().table.upsert_entity({
                "PartitionKey": DRIFT_PARTITION, "RowKey": key, "team": drift.team,
                "workspace": drift.workspace, "checkedAt": drift.checked_at,
                "findings": len(drift.findings),
                "drift": drift.model_dump_json(by_alias=True),
            })  # fmt: skip
        except Exception as exc:
            why = f"store the drift of team {drift.team}: {type(exc).__name__}"
            raise StepError("transient", "TeamRecordUnavailable", why) from None
    event = {"kind": "drift", "instanceId": drift.run, "step": drift.team, "at": drift.checked_at,
             **drift.model_dump(by_alias=True, mode="json")}  # fmt: skip
    try:
        notifications.publish_event(event)
    except Exception:  # the stored finding is the source of truth; the event is a courtesy
        log.warning("drift event not published", extra={"team": drift.team}, exc_info=True)


def list_teams(inp: ListTeamsInput) -> TeamRecords:
    """The active team records (of one team when named) a drift check compares."""
    try:
        records = team_store().list(inp.team)
    except Exception as exc:
        why = f"list the team records: {type(exc).__name__}"
        raise StepError("transient", "TeamRecordUnavailable", why) from None
    return TeamRecords(records=[r for r in records if r.status == "active"])
