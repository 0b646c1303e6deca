"""Microsoft.Network activities: the gateway subnet's NSG and delegation, each with its undo.

Every forward step is idempotent (running it twice changes nothing the second time) and
records what was there before; every undo restores that record and treats "already gone" as
done. Subnet and NSG writes take seconds, so they are awaited here (DESIGN.md §3), bounded by
the client's short retry and polling settings.
"""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.network.models import NetworkSecurityGroup, SecurityRule, Subnet

from activities.arm_action import arm_action, undo_action
from shared.arm_ids import SUBNET, ArmId
from shared.azure_clients import ClientFactory, clients
from shared.network_models import ConfigureSubnetInput, EnsureNsgInput, NsgRecord, SubnetRecord
from shared.nsg_rules import missing_rules, required_rules
from shared.step_errors import StepError


def ensure_nsg(inp: EnsureNsgInput, factory: ClientFactory | None = None) -> NsgRecord:
    """Create the NSG with the mode's rules, or add the rules an existing one lacks."""
    ref = ArmId.parse(inp.subnet_id, SUBNET)
    net = (factory or clients()).network(ref.subscription)
    nsg_id = str(ref.nsg(inp.nsg_name))
    with arm_action(f"ensure NSG {inp.nsg_name}"):
        subnet = net.subnets.get(ref.resource_group, ref.parent.name, ref.name)
        vnet = net.virtual_networks.get(ref.resource_group, ref.parent.name)
        prefix = subnet.address_prefix or (subnet.address_prefixes or [""])[0]
        wanted = required_rules(inp.mode, str(prefix))
        try:
            existing = net.network_security_groups.get(ref.resource_group, inp.nsg_name)
        except ResourceNotFoundError:
            body = {
                "location": vnet.location,
                "tags": inp.tags,
                "properties": {"securityRules": [r.to_arm() for r in wanted]},
            }
            net.network_security_groups.begin_create_or_update(
                ref.resource_group, inp.nsg_name, NetworkSecurityGroup(body)
            ).result()
            return NsgRecord(nsg_id=nsg_id, created=True, added_rules=[r.name for r in wanted])
        present = [_rule_dict(r) for r in existing.security_rules or []]
        added = []
        for rule in missing_rules(wanted, present):
            net.security_rules.begin_create_or_update(
                ref.resource_group, inp.nsg_name, rule.name, SecurityRule(rule.to_arm())
            ).result()
            added.append(rule.name)
        return NsgRecord(nsg_id=nsg_id, created=False, added_rules=added)


def undo_nsg(record: NsgRecord, factory: ClientFactory | None = None) -> None:
    """Delete the NSG if this run created it, else remove only the rules this run added."""
    nsg_id = ArmId.parse(record.nsg_id)
    rg, name = nsg_id.resource_group, nsg_id.name
    net = (factory or clients()).network(nsg_id.subscription)
    with undo_action(f"undo NSG {name}"):
        if record.created:
            net.network_security_groups.begin_delete(rg, name).result()
            return
        for rule in record.added_rules:
            net.security_rules.begin_delete(rg, name, rule).result()


def configure_subnet(
    inp: ConfigureSubnetInput, factory: ClientFactory | None = None
) -> SubnetRecord:
    """Delegate the subnet and attach the NSG in one read-modify-write PUT; record prior state."""
    ref = ArmId.parse(inp.subnet_id, SUBNET)
    net = (factory or clients()).network(ref.subscription)
    with arm_action(f"configure subnet {ref.name}"):
        current = net.subnets.get(ref.resource_group, ref.parent.name, ref.name)
        body = _subnet_dict(current)
        props = body.setdefault("properties", {})
        prior_delegations = [
            d.get("properties", {}).get("serviceName", "") for d in props.get("delegations") or []
        ]
        prior_nsg = (props.get("networkSecurityGroup") or {}).get("id")
        record = SubnetRecord(
            subnet_id=str(ref),
            changed=False,
            prior_delegations=prior_delegations,
            prior_nsg_id=prior_nsg,
        )
        wanted_nsg = inp.nsg_id if inp.nsg_id is not None else prior_nsg
        if [d.lower() for d in prior_delegations] == [inp.delegation.lower()] and (
            (wanted_nsg or "").lower() == (prior_nsg or "").lower()
        ):
            return record  # already as wanted: a re-run changes nothing
        props["delegations"] = [
            {"name": "apim-workspace-gateway", "properties": {"serviceName": inp.delegation}}
        ]
        if wanted_nsg:
            props["networkSecurityGroup"] = {"id": wanted_nsg}
        net.subnets.begin_create_or_update(
            ref.resource_group, ref.parent.name, ref.name, Subnet(body)
        ).result()
        record.changed = True
        return record


def restore_subnet(record: SubnetRecord, factory: ClientFactory | None = None) -> None:
    """Put the subnet's delegations and NSG back as they were before the step."""
    if not record.changed:
        return
    ref = ArmId.parse(record.subnet_id, SUBNET)
    net = (factory or clients()).network(ref.subscription)
    try:
        with undo_action(f"restore subnet {ref.name}"):
            current = net.subnets.get(ref.resource_group, ref.parent.name, ref.name)
            body = _subnet_dict(current)
            props = body.setdefault("properties", {})
            props["delegations"] = [
                {"name": f"delegation{i}", "properties": {"serviceName": s}}
                for i, s in enumerate(record.prior_delegations)
            ]
            if record.prior_nsg_id:
                props["networkSecurityGroup"] = {"id": record.prior_nsg_id}
            else:
                props.pop("networkSecurityGroup", None)
            net.subnets.begin_create_or_update(
                ref.resource_group, ref.parent.name, ref.name, Subnet(body)
            ).result()
    except StepError as error:
        if error.code == "SubnetDelegationsCannotChangeWhenSubnetUsedByResource":
            # During undo the user is normally our gateway, whose delete is still running:
            # wait for it rather than leave the subnet delegated.
            error.kind, error.retry_after = "conflict", 60.0
        raise


_SUBNET_WRITABLE = (
    "addressPrefix",
    "addressPrefixes",
    "networkSecurityGroup",
    "routeTable",
    "natGateway",
    "serviceEndpoints",
    "serviceEndpointPolicies",
    "delegations",
    "privateEndpointNetworkPolicies",
    "privateLinkServiceNetworkPolicies",
    "defaultOutboundAccess",
)


def _subnet_dict(subnet: Any) -> dict[str, Any]:
    """The writable part of a subnet in wire form: PUT replaces the whole subnet (§3.3)."""
    raw = subnet.as_dict() if hasattr(subnet, "as_dict") else dict(subnet)
    props = raw.get("properties", raw)
    return {"properties": {k: props[k] for k in _SUBNET_WRITABLE if props.get(k) is not None}}


def _rule_dict(rule: Any) -> dict[str, Any]:
    raw = rule.as_dict() if hasattr(rule, "as_dict") else dict(rule)
    return {"name": raw.get("name"), "properties": raw.get("properties", raw)}
