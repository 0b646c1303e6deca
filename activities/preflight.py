"""Preflight activity: reads what the onboarding will touch and judges it, changing nothing.

Facts are gathered here (ARM reads only); the verdicts come from the pure rules in
shared/preflight.py. Used both at the start of a run and by the dry run.
"""

from __future__ import annotations

import json
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from activities.apim import INSTANCE_TAG, OWNER_MARK
from activities.arm_action import arm_action
from shared.arm_ids import SUBNET, ArmId
from shared.azure_clients import ClientFactory, clients
from shared.preflight import (
    PreflightFacts,
    PreflightInput,
    PreflightResult,
    SharedGatewayFacts,
    SubnetFacts,
    SubnetPrior,
    evaluate,
    passed,
)

# The largest subnet body preflight hands to the subnet step (a bigger one is read again there).
SUBNET_READ_MAX_CHARS = 8000
_SUBNET_USERS = (
    "ipConfigurations",
    "serviceAssociationLinks",
    "resourceNavigationLinks",
    "privateEndpoints",
    "ipConfigurationProfiles",
    "applicationGatewayIPConfigurations",
)


def run_preflight(inp: PreflightInput, factory: ClientFactory | None = None) -> PreflightResult:
    f = factory or clients()
    service_id = ArmId.parse(inp.apim_service_id)
    sub, rg, service = service_id.subscription, service_id.resource_group, service_id.name
    api = f.apim(sub)
    with arm_action("preflight"):
        try:
            svc = api.api_management_service.get(rg, service)
        except ResourceNotFoundError:
            facts = PreflightFacts(mode=inp.mode, service_exists=False)
            return PreflightResult(passed=False, findings=evaluate(facts), facts=facts)
        facts = PreflightFacts(
            mode=inp.mode,
            service_exists=True,
            service_tier=str(svc.sku.name),
            service_region=str(svc.location),
            service_subscription=sub,
        )
        subnet_read = None
        if inp.mode != "none" and inp.subnet_id and not inp.existing_gateway_id:
            subnet_read = _subnet_facts(f, inp.subnet_id, facts)
        facts.workspace_owner = _workspace_owner(api, rg, service, inp)
        if inp.existing_gateway_id:
            facts.shared_gateway = _shared_gateway(f, inp.existing_gateway_id)
        elif inp.gateway_id:
            facts.gateway_owner = _gateway_owner(f, inp.gateway_id, inp.instance_id)
    findings = evaluate(facts)
    return PreflightResult(
        passed=passed(findings), findings=findings, facts=facts, subnet_read=subnet_read
    )


def _subnet_facts(f: ClientFactory, subnet_id: str, facts: PreflightFacts) -> dict[str, Any] | None:
    """Fill ``facts.subnet``; the subnet's raw JSON as read, when small enough to hand on."""
    try:
        ref = ArmId.parse(subnet_id, SUBNET)
    except ValueError as exc:
        facts.subnet_error = str(exc)
        return None
    net = f.network(ref.subscription)
    missing = f"Subnet {subnet_id} was not found; check subnetId."
    raw: dict[str, Any] = {}

    def keep_raw(pipeline_response: Any, deserialized: Any, _headers: Any) -> Any:
        raw.update(pipeline_response.http_response.json())
        return deserialized

    try:
        vnet = net.virtual_networks.get(ref.resource_group, ref.parent.name, cls=keep_raw)
    except ResourceNotFoundError:
        facts.subnet_error = missing
        return None
    # A VNet's GET carries each subnet in full (properties, delegations, users, its ETag), so the
    # subnet is not read again (learn.microsoft.com/rest/api/virtualnetwork/virtual-networks/get)
    subnet = next((s for s in vnet.subnets or [] if str(s.name).lower() == ref.name.lower()), None)
    if subnet is None:
        facts.subnet_error = missing
        return None
    read = next(
        (s for s in (raw.get("properties") or {}).get("subnets") or []
         if str(s.get("name", "")).lower() == ref.name.lower()),
        None,
    )  # fmt: skip
    props: dict[str, Any] = subnet.as_dict().get("properties", {})
    prefixes = props.get("addressPrefixes") or (
        [props["addressPrefix"]] if props.get("addressPrefix") else []
    )
    users = [
        str((item.get("properties") or {}).get("link") or item.get("id"))
        for name in _SUBNET_USERS
        for item in props.get(name) or []
    ]
    delegations = [d["properties"]["serviceName"] for d in props.get("delegations") or []]
    facts.subnet = SubnetFacts(
        subscription=ref.subscription,
        region=str(vnet.location),
        prefixes=list(prefixes),
        delegations=delegations,
        users=users,
        prior=SubnetPrior(
            delegations=delegations,
            nsg_id=(props.get("networkSecurityGroup") or {}).get("id"),
        ),
    )
    provider = f.resources(ref.subscription).providers.get("Microsoft.Web")
    facts.web_provider_state = str(provider.registration_state)
    # Handed to the subnet step when small (a gateway subnet has no users; one that has fails
    # preflight anyway): it travels in the run's history.
    return read if read and len(json.dumps(read)) <= SUBNET_READ_MAX_CHARS else None


def _workspace_owner(api: Any, rg: str, service: str, inp: PreflightInput) -> Any:
    try:
        ws = api.workspace.get(rg, service, inp.workspace_name)
    except ResourceNotFoundError:
        return "free"
    mark = OWNER_MARK.format(instance=inp.instance_id)
    return "ours" if mark in (ws.description or "") else "foreign"


def _gateway_owner(f: ClientFactory, gateway_id: str, instance_id: str) -> Any:
    gateway = ArmId.parse(gateway_id)
    api = f.apim(gateway.subscription)
    try:
        gw = api.api_gateway.get(gateway.resource_group, gateway.name)
    except ResourceNotFoundError:
        return "free"
    return "ours" if (gw.tags or {}).get(INSTANCE_TAG) == instance_id else "foreign"


def _shared_gateway(f: ClientFactory, gateway_id: str) -> SharedGatewayFacts:
    gateway = ArmId.parse(gateway_id)
    api = f.apim(gateway.subscription)
    rg, name = gateway.resource_group, gateway.name
    try:
        gw = api.api_gateway.get(rg, name)
    except ResourceNotFoundError:
        return SharedGatewayFacts(exists=False)
    links = list(api.api_gateway_config_connection.list_by_gateway(rg, name))
    # The gateway as read above: reading it again (get_gateway_state) doubled both requests.
    state = str(gw.provisioning_state or "Unknown")
    return SharedGatewayFacts(
        exists=True,
        region=str(gw.location),
        subscription=gateway.subscription,
        created_at=str(gw.created_at_utc.isoformat() if gw.created_at_utc else ""),
        linked_workspaces=len(links),
        provisioning_state=state,
    )
