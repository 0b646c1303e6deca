"""Fake activity implementations for orchestrator tests: outputs shaped like the real ones."""

from __future__ import annotations

import datetime as dt
from typing import Any

from orchestrators.gateway_waiter import wait_for_gateway
from orchestrators.saga import onboarding
from orchestrators.step_runner import run_step_body
from shared import activity_table as acts
from shared import names
from tests.unit.orchestration_driver import Driver, World

SUB = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"
RG = f"/subscriptions/{SUB}/resourceGroups"
SERVICE = f"{RG}/rg-apim/providers/Microsoft.ApiManagement/service/apim-contoso"
SUBNET = f"{RG}/rg-network/providers/Microsoft.Network/virtualNetworks/vnet-apim/subnets/snet-gw-a"
SHARED_GW = f"{RG}/rg-apim/providers/Microsoft.ApiManagement/gateways/gw-shared"
ALICE = "a11ce000-0000-4000-8000-000000000001"
BUILD = dt.timedelta(hours=3)


def request(mode: str = "injection", shared: bool = False) -> dict[str, Any]:
    gateway: dict[str, Any] = {"name": "gw-payments", "capacity": 1, "network": {"mode": mode}}
    if mode != "none":
        gateway["network"]["subnetId"] = SUBNET
    if shared:
        gateway = {"existingGatewayId": SHARED_GW, "network": {"mode": mode}}
    body: dict[str, Any] = {
        "ticketId": "CHG1",
        "team": "payments",
        "requestedBy": "alice@contoso.example",
        "apimServiceId": SERVICE,
        "workspace": {"name": "ws-payments", "displayName": "Payments"},
        "gateway": gateway,
        "access": [
            {"principalId": ALICE, "principalType": "User", "scope": "service",
             "role": "API Management Service Workspace API Developer"},
            {"principalId": ALICE, "principalType": "User", "scope": "workspace",
             "role": "API Management Workspace Contributor"},
            {"principalId": ALICE, "principalType": "User", "scope": "gateway", "role": "Reader"},
        ],
    }  # fmt: skip
    if mode == "injection" and not shared:
        body["dns"] = {"resourceGroupId": f"{RG}/rg-dns"}
    return body


def fake_world(vip: str | None = "10.20.1.4", build_state: str = "Succeeded") -> World:
    w = World()
    started: dict[str, dt.datetime] = {}

    def begin(p: dict[str, Any], world: World) -> dict[str, Any]:
        started[p["gatewayId"]] = world.now
        return {"gatewayId": p["gatewayId"], "created": True}

    def state(p: dict[str, Any], world: World) -> dict[str, Any]:
        gateway_id = p["gatewayId"]
        done = world.now - started.get(gateway_id, world.now) >= BUILD
        return {
            "gatewayId": gateway_id,
            "provisioningState": build_state if done else "Activating",
            "hostname": "gw-payments-abc.gateway.westeurope-01.azure-api.net",
            "privateIp": vip if done else None,
        }

    def preflight(p: dict[str, Any], _: World) -> dict[str, Any]:
        facts: dict[str, Any] = {"mode": p["mode"], "serviceExists": True,
                                 "serviceRegion": "West Europe"}  # fmt: skip
        if p.get("subnetId"):
            facts["subnet"] = {"subscription": SUB, "region": "westeurope",
                               "prefixes": ["10.20.1.0/24"], "delegations": [], "users": []}  # fmt: skip
        return {"passed": True, "findings": [], "facts": facts}

    w.activities = {
        acts.PREFLIGHT.name: preflight,
        acts.CREATE_WORKSPACE.name: lambda p, _: {"workspaceId": f"{p['serviceId']}/workspaces/{p['name']}",
                                              "created": True},
        acts.ENSURE_NSG.name: lambda p, _: {"nsgId": f"{RG}/rg-network/providers/Microsoft.Network/networkSecurityGroups/{p['nsgName']}",
                                        "created": True, "addedRules": []},
        acts.CONFIGURE_SUBNET.name: lambda p, _: {"subnetId": p["subnetId"], "changed": True,
                                              "priorDelegations": [], "priorNsgId": None},
        acts.BEGIN_GATEWAY.name: begin,
        acts.GET_GATEWAY_STATE.name: state,
        acts.LINK_WORKSPACE.name: lambda p, _: {"linkId": f"{p['gatewayId']}/configConnections/ws-payments",
                                            "created": True, "state": "Updating"},
        acts.GET_LINK_STATE.name: lambda p, _: {"linkId": p["linkId"], "provisioningState": "Succeeded",
                                            "hostname": "gw-payments-abc.gateway.westeurope-01.azure-api.net"},
        acts.ASSIGN_ROLE.name: lambda p, _: {"assignmentId": f"{p['scope']}/providers/Microsoft.Authorization/roleAssignments/{p['roleName'][:8]}",
                                         "created": True},
        acts.ENSURE_PRIVATE_DNS.name: lambda p, _: {"zoneId": f"{p['dnsResourceGroupId']}/providers/Microsoft.Network/privateDnsZones/{p['zoneName']}",
                                                "vnetId": p["vnetId"], "zoneCreated": True, "linkCreated": True, "recordCreated": True},
    }  # fmt: skip
    return w


def driver(world: World) -> Driver:
    return Driver(
        world,
        {
            names.SAGA: onboarding,
            names.RUN_STEP: run_step_body,
            names.GATEWAY_WAITER: wait_for_gateway,
        },
    )


def run(world: World, body: dict[str, Any], **policy: Any) -> dict[str, Any]:
    return driver(world).run(names.SAGA, {"request": body, "policy": policy})
