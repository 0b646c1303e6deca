"""Reads an offboarding needs (issue 15, item 3): what a workspace holds, who uses a gateway.

Read only; the removals are the onboarding's own undo activities (delete only what the team's
run made, 404 is done), run forward by the offboarding (orchestrators/team_runs.py).
"""

from __future__ import annotations

from azure.core.exceptions import ResourceNotFoundError

from activities.arm_action import arm_action
from shared.apim_models import GatewayStateInput
from shared.arm_ids import ArmId
from shared.azure_clients import ClientFactory, clients
from shared.team_models import GatewayPresence, OffboardFacts, OffboardPreflightInput


def offboard_preflight(
    inp: OffboardPreflightInput, factory: ClientFactory | None = None
) -> OffboardFacts:
    facts = OffboardFacts(workspace_exists=False)
    if inp.workspace_id:
        ws = ArmId.parse(inp.workspace_id)
        api = (factory or clients()).apim(ws.subscription)
        rg, service = ws.resource_group, ws.parent.name
        with arm_action(f"read what workspace {ws.name} holds"):
            try:
                api.workspace.get(rg, service, ws.name)
                facts.workspace_exists = True
                apis = api.workspace_api.list_by_service(rg, service, ws.name)
                products = api.workspace_product.list_by_service(rg, service, ws.name)
                facts.apis = sorted(str(a.name) for a in apis)
                facts.products = sorted(str(p.name) for p in products)
            except ResourceNotFoundError:
                facts.workspace_exists = False
    if inp.gateway_id:
        gw = ArmId.parse(inp.gateway_id)
        api = (factory or clients()).apim(gw.subscription)
        own = (inp.link_id or "").lower()
        with arm_action(f"read who links gateway {gw.name}"):
            try:
                api.api_gateway.get(gw.resource_group, gw.name)
                facts.gateway_exists = True
                links = api.api_gateway_config_connection.list_by_gateway(
                    gw.resource_group, gw.name
                )
                facts.other_links = sorted(str(link.source_id) for link in links
                                           if str(link.id or "").lower() != own)  # fmt: skip
            except ResourceNotFoundError:
                facts.gateway_exists = False
    return facts


def gateway_presence(
    inp: GatewayStateInput, factory: ClientFactory | None = None
) -> GatewayPresence:
    """Whether the gateway is still there (a delete ends when it is gone)."""
    gw = ArmId.parse(inp.gateway_id)
    api = (factory or clients()).apim(gw.subscription)
    with arm_action(f"read gateway {gw.name}"):
        try:
            found = api.api_gateway.get(gw.resource_group, gw.name)
        except ResourceNotFoundError:
            return GatewayPresence(gateway_id=inp.gateway_id, exists=False)
    return GatewayPresence(gateway_id=inp.gateway_id, exists=True,
                           state=str(found.provisioning_state or "Unknown"))  # fmt: skip
