"""`make demo` until the app lands: a scripted onboarding against the ARM simulator.

Starts the simulator in-process on a virtual clock and walks the manual procedure the product
automates (subnet check, NSG, delegation, workspace, gateway build, link, private DNS, roles)
with the real azure-mgmt SDK clients, showing progress, then prints the resulting resources
and the ARM calls it took. Exits 0 on success and leaves no process behind.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
import uuid
from collections import Counter
from typing import Any

from azure.core.credentials import AccessToken
from azure.core.rest import HttpRequest
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.apimanagement.models import (
    ApiManagementGatewayConfigConnectionResource,
    ApiManagementGatewayResource,
    ApiManagementGatewaySkuProperties,
    BackendConfiguration,
    BackendSubnetConfiguration,
    WorkspaceContract,
)
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network.models import NetworkSecurityGroup, Subnet
from azure.mgmt.privatedns import PrivateDnsManagementClient
from azure.mgmt.privatedns.models import PrivateZone, RecordSet, VirtualNetworkLink

from simulator import Simulator

SUB = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"
APIM_RG, NET_RG, DNS_RG = "rg-apim", "rg-network", "rg-dns"
SERVICE, VNET, SUBNET = "apim-contoso", "vnet-apim", "snet-gw-a"
WORKSPACE, GATEWAY = "ws-payments", "gw-payments"
ALICE = "a11ce000-0000-4000-8000-000000000001"
HOSTING_ENVIRONMENTS = "Microsoft.Web/hostingEnvironments"
ROLE_NAMESPACE = uuid.UUID("3b8f1c52-6f0e-4c1d-9a57-0d5a1e6c2b10")


class _Token:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("simulator-token", int(time.time()) + 3600)


def _step(text: str) -> None:
    print(f"  - {text}", flush=True)


def main() -> int:
    with tempfile.TemporaryDirectory() as state_dir, Simulator(state_dir, clock="virtual") as sim:
        print(f"ARM simulator at {sim.url} (virtual clock)")
        kw: dict[str, Any] = {
            "base_url": sim.url,
            "connection_verify": str(sim.ca),
            "polling_interval": 0,
        }
        net = NetworkManagementClient(_Token(), SUB, **kw)
        apim = ApiManagementClient(_Token(), SUB, **kw)
        dns = PrivateDnsManagementClient(_Token(), SUB, **kw)
        authz = AuthorizationManagementClient(_Token(), SUB, **kw)

        seeded = {r["id"].lower() for r in sim.simulation.state()["resources"]}
        print("Onboarding workspace 'ws-payments' (VNet injection) by hand, step by step:")
        subnet = net.subnets.get(NET_RG, VNET, SUBNET)
        _step(f"subnet {SUBNET} is {subnet.address_prefix}, not delegated, not in use")
        prefix = str(subnet.address_prefix)
        rules = [
            {
                "name": name,
                "properties": {
                    "protocol": "Tcp",
                    "access": "Allow",
                    "direction": direction,
                    "priority": priority,
                    "sourceAddressPrefix": source,
                    "sourcePortRange": "*",
                    "destinationAddressPrefix": target,
                    "destinationPortRanges": ports,
                },
            }
            for name, direction, priority, source, target, ports in (
                ("allow-lb", "Inbound", 100, "AzureLoadBalancer", prefix, ["80"]),
                ("allow-vnet", "Inbound", 110, "VirtualNetwork", prefix, ["80", "443"]),
                ("allow-storage", "Outbound", 100, "VirtualNetwork", "Storage", ["443"]),
                ("allow-keyvault", "Outbound", 110, "VirtualNetwork", "AzureKeyVault", ["443"]),
            )
        ]
        nsg = net.network_security_groups.begin_create_or_update(
            NET_RG,
            "nsg-gw-payments",
            NetworkSecurityGroup(
                {"location": "westeurope", "properties": {"securityRules": rules}}
            ),
        ).result()
        _step(f"NSG {nsg.name} with {len(nsg.security_rules or [])} rules")
        subnet_id = str(subnet.id)
        vnet_id = subnet_id.split("/subnets/")[0]
        body = Subnet(
            {
                "properties": {
                    "addressPrefix": prefix,
                    "networkSecurityGroup": {"id": nsg.id},
                    "delegations": [
                        {"name": "ase", "properties": {"serviceName": HOSTING_ENVIRONMENTS}}
                    ],
                }
            }
        )
        subnet = net.subnets.begin_create_or_update(NET_RG, VNET, SUBNET, body).result()
        _step(f"subnet delegated to {HOSTING_ENVIRONMENTS}, NSG attached")

        ws = apim.workspace.create_or_update(
            APIM_RG,
            SERVICE,
            WORKSPACE,
            WorkspaceContract(display_name="Payments", description="Payments team APIs"),
        )
        _step(f"workspace {ws.name} created")
        poller = apim.api_gateway.begin_create_or_update(
            APIM_RG,
            GATEWAY,
            ApiManagementGatewayResource(
                location="West Europe",
                sku=ApiManagementGatewaySkuProperties(name="WorkspaceGatewayPremium", capacity=1),
                virtual_network_type="Internal",
                backend=BackendConfiguration(subnet=BackendSubnetConfiguration(id=subnet_id)),
            ),
        )
        _step("gateway build started; waiting on the simulator's virtual clock")
        elapsed = 0
        while True:
            gw = apim.api_gateway.get(APIM_RG, GATEWAY)
            print(f"    build: {elapsed // 60}h{elapsed % 60:02d}m  {gw.provisioning_state}")
            if gw.provisioning_state in ("Succeeded", "Failed"):
                break
            sim.simulation.clock.advance(dt.timedelta(minutes=30))
            elapsed += 30
        print()
        gw = poller.result()
        link = apim.api_gateway_config_connection.begin_create_or_update(
            APIM_RG,
            GATEWAY,
            WORKSPACE,
            ApiManagementGatewayConfigConnectionResource(source_id=ws.id),
        ).result()
        _step(f"workspace linked to the gateway ({link.name})")
        raw = apim._send_request(HttpRequest("GET", f"{gw.id}?api-version=2024-05-01")).json()
        hostname = raw["properties"]["frontend"]["defaultHostname"]
        vip = raw["properties"]["privateIPAddresses"][0]
        _step(f"gateway {hostname} answers on private VIP {vip}")
        dns.private_zones.begin_create_or_update(
            DNS_RG, hostname, PrivateZone({"location": "global"})
        ).result()
        dns.virtual_network_links.begin_create_or_update(
            DNS_RG,
            hostname,
            "link-vnet-apim",
            VirtualNetworkLink(
                {
                    "location": "global",
                    "properties": {"virtualNetwork": {"id": vnet_id}, "registrationEnabled": False},
                }
            ),
        ).result()
        dns.record_sets.create_or_update(
            DNS_RG,
            hostname,
            "A",
            "@",
            RecordSet({"properties": {"ttl": 3600, "aRecords": [{"ipv4Address": vip}]}}),
        )
        _step(f"private DNS zone {hostname} linked to the VNet, @ A {vip}")
        workspace_id, gateway_id = str(ws.id), str(gw.id)
        service_id = workspace_id.split("/workspaces/")[0]
        grants = (
            ("service", service_id, "API Management Service Workspace API Developer"),
            ("workspace", workspace_id, "API Management Workspace Contributor"),
            ("gateway", gateway_id, "Reader"),
        )
        for label, scope, role in grants:
            found = authz.role_definitions.list(scope, filter=f"roleName eq '{role}'")
            definition_id = str(next(iter(found)).id)
            name = str(uuid.uuid5(ROLE_NAMESPACE, f"{scope}|{definition_id}|{ALICE}".lower()))
            authz.role_assignments.create(
                scope,
                name,
                {
                    "properties": {
                        "roleDefinitionId": definition_id,
                        "principalId": ALICE,
                        "principalType": "User",
                    }
                },
            )
            _step(f"Alice is '{role}' at {label} scope")

        state = sim.simulation.state()
        print("\nResources now in the simulator (created by this demo):")
        for r in state["resources"]:
            if r["id"].lower() not in seeded:
                print(f"  {r['type']:<55} {r['name']}")
        verbs = Counter(r["method"] for r in sim.simulation.request_log)
        by_verb = ", ".join(f"{n} {verb}" for verb, n in sorted(verbs.items()))
        print(f"\nARM calls: {sum(verbs.values())} ({by_verb})")
        print(f"Simulated time now {state['clock']['now']}; the build took {elapsed // 60}h")
    print("Demo finished: the simulator is stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
