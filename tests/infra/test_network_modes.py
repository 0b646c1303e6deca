"""vnetEnabled: the locked-down network mode (docs/deploy.md section 7).

With it: a VNet with the Function App integrated and its outbound through a NAT gateway, private
endpoints for storage (blob, queue, table) and the Service Bus namespace (Premium), public access
off on both, and the Durable Task Scheduler reachable from the NAT address only. Without it:
nothing of that is deployed. checkov scans both modes (test_checkov.py).
"""

from __future__ import annotations

import json
from typing import Any

from tests.infra import bicep_model as bm


def _main_params(module: str) -> dict[str, Any]:
    params: dict[str, Any] = bm.body(bm.main()["modules"][module])["params"]
    return params


def _text(value: Any) -> str:
    return json.dumps(value)


def test_one_parameter_selects_the_mode_and_azd_sets_it() -> None:
    main = bm.main()
    assert bm.param_default(main, "vnetEnabled") is False
    mapped = json.loads((bm.INFRA / "main.parameters.json").read_text(encoding="utf-8"))
    assert mapped["parameters"]["vnetEnabled"]["value"] == "${VNET_ENABLED=false}"
    assert bm.condition_of(main["modules"]["network"]) == "vnetEnabled"


def test_the_app_subnet_is_delegated_to_flex_and_leaves_through_the_nat_gateway() -> None:
    vnet = bm.body(bm.module("network.bicep")["resources"]["vnet"])
    app, endpoints = vnet["properties"]["subnets"]
    assert app["name"] == "app"
    delegations = app["properties"]["delegations"]
    assert [d["properties"]["serviceName"] for d in delegations] == ["Microsoft.App/environments"]
    assert "natGateway" in _text(app["properties"]["natGateway"])
    for subnet in (app, endpoints):
        assert "networkSecurityGroup" in subnet["properties"], subnet["name"]
        assert subnet["properties"]["defaultOutboundAccess"] is False
    assert "appSubnetId" in _text(_main_params("functionApp")["virtualNetworkSubnetId"])


def test_storage_and_service_bus_get_private_endpoints_in_their_dns_zones() -> None:
    main = bm.main()
    endpoints = bm.variable(main, "privateEndpoints")
    assert [e["groupId"] for e in endpoints] == ["blob", "queue", "table", "namespace"]
    zones = bm.variable(bm.module("network.bicep"), "zoneNames")
    expected = ["privatelink.blob.", "privatelink.queue.", "privatelink.table.",
                "privatelink.servicebus.windows.net"]  # fmt: skip
    assert [z.split("$")[0] for z in zones] == expected
    loop = bm.loop_of(main["modules"]["endpoints"])
    assert loop is not None and "vnetEnabled" in _text(loop)
    params = bm.body(main["modules"]["endpoints"])["params"]
    assert "zoneIds" in _text(params["privateDnsZoneId"])
    assert "privateEndpointSubnetId" in _text(params["subnetId"])


def test_public_access_is_off_when_locked_down() -> None:
    storage, bus = _main_params("storage"), _main_params("serviceBus")
    assert '"true_value": "Deny"' in _text(storage["networkDefaultAction"])
    assert '"true_value": "Disabled"' in _text(storage["publicNetworkAccess"])
    assert "deployerIpRanges" in _text(storage["publicNetworkAccess"])
    assert '"true_value": "Premium"' in _text(bus["skuName"])
    assert '"true_value": "Disabled"' in _text(bus["publicNetworkAccess"])


def test_the_scheduler_admits_only_the_nat_address_when_locked_down() -> None:
    allow = _main_params("scheduler")["ipAllowlist"]["operator"]["operands"]
    assert allow["condition"] == "vnetEnabled"
    assert "egressIp" in _text(allow["true_value"]) and "/32" in _text(allow["true_value"])
    assert "0.0.0.0/0" not in _text(allow["true_value"])


def test_the_public_mode_deploys_no_network_resources() -> None:
    main = bm.main()
    for name in ("network", "endpoints"):
        decl = main["modules"][name]
        assert bm.condition_of(decl) == "vnetEnabled" or "vnetEnabled" in _text(bm.loop_of(decl))
