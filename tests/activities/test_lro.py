"""activities/lro.status_only: an async write ends on its operation's status, with no GET after.

Against the simulator: the NSG, subnet, DNS zone and VNet-link writes of the activities make
no read of the written resource after their operation's poll (azure-core's default adds one).
With a fake transport: an operation that ends Failed still raises the SDK's HttpResponseError
carrying the operation's error, as the default polling does, so arm_action classifies it as
before.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline.transport import RequestsTransport
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network.models import NetworkSecurityGroup
from requests.adapters import HTTPAdapter
from urllib3.response import HTTPResponse

from activities.dns import ensure_private_dns
from activities.lro import status_only
from activities.network import configure_subnet, ensure_nsg
from shared.arm_ids import ArmId
from shared.dns_models import PrivateDnsInput
from shared.network_models import ConfigureSubnetInput, EnsureNsgInput
from tests.simulator.conftest import SUB, StaticToken, subnet_id

SUBNET = subnet_id("snet-gw-a")
DNS_GROUP = f"/subscriptions/{SUB}/resourceGroups/rg-dns"


def _reads_after_write(sim: Any, resource_path: str) -> list[str]:
    """Methods of the requests on ``resource_path`` itself after its (first) PUT."""
    rows = [r for r in sim.requests() if r["path"].split("?")[0].lower() == resource_path.lower()]
    methods = [r["method"] for r in rows]
    return methods[methods.index("PUT") + 1 :] if "PUT" in methods else []


def test_network_writes_end_on_the_operation_without_reading_the_resource(sim, factory):
    sim.call("DELETE", "/_sim/requests")
    nsg = ensure_nsg(
        EnsureNsgInput(subnet_id=SUBNET, nsg_name="nsg-lro", mode="injection"), factory
    )
    configure_subnet(
        ConfigureSubnetInput(
            subnet_id=SUBNET, delegation="Microsoft.Web/hostingEnvironments", nsg_id=nsg.nsg_id
        ),
        factory,
    )
    assert nsg.created and sim.resource(nsg.nsg_id) is not None
    assert _reads_after_write(sim, nsg.nsg_id) == []
    assert _reads_after_write(sim, SUBNET) == []
    subnet = sim.resource(SUBNET)
    assert subnet["properties"]["networkSecurityGroup"]["id"].lower() == nsg.nsg_id.lower()
    statuses = [r for r in sim.requests() if "/operations/" in r["path"]]
    assert len(statuses) >= 2  # each write still waited for its operation


def test_dns_writes_end_on_the_operation_without_reading_the_resource(sim, factory):
    zone = "gw-lro.gateway.westeurope-01.azure-api.net"
    vnet_id = str(ArmId.parse(SUBNET).parent)
    sim.call("DELETE", "/_sim/requests")
    record = ensure_private_dns(
        PrivateDnsInput(dns_resource_group_id=DNS_GROUP, zone_name=zone, vnet_id=vnet_id,
                        private_ip="10.20.1.9", instance_id="run-lro"),
        factory,
    )  # fmt: skip
    zone_id = f"{DNS_GROUP}/providers/Microsoft.Network/privateDnsZones/{zone}"
    assert record.zone_id == zone_id and record.zone_created and record.link_created
    assert sim.resource(zone_id) is not None
    assert _reads_after_write(sim, zone_id) == []
    assert _reads_after_write(sim, f"{zone_id}/virtualNetworkLinks/link-vnet-apim") == []


class _Answers(HTTPAdapter):
    """A requests adapter answering from a script: the PUT, then the operation's statuses."""

    def __init__(self, answers: list[tuple[int, dict[str, str], dict[str, Any]]]) -> None:
        super().__init__()
        self.answers: Iterator[tuple[int, dict[str, str], dict[str, Any]]] = iter(answers)
        self.sent: list[tuple[str, str]] = []

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self.sent.append((str(request.method), str(request.url).split("?")[0]))
        status, headers, body = next(self.answers)
        raw = HTTPResponse(
            body=io.BytesIO(json.dumps(body).encode()), status=status, preload_content=False,
            headers={"Content-Type": "application/json", **headers},
        )  # fmt: skip
        return self.build_response(request, raw)


OP = "https://arm.test/subscriptions/s/providers/Microsoft.Network/locations/x/operations/1"


def _client(answers: _Answers) -> NetworkManagementClient:
    session = requests.Session()
    session.mount("https://", answers)
    return NetworkManagementClient(
        StaticToken(), SUB, base_url="https://arm.test",
        transport=RequestsTransport(session=session, session_owner=False),
        retry_total=0, polling_interval=0,
    )  # fmt: skip


def test_a_failed_operation_raises_as_the_default_polling_does():
    error = {"code": "InternalServerError", "message": "It broke."}
    put = (201, {"Azure-AsyncOperation": OP}, {"properties": {"provisioningState": "Updating"}})
    failed = (200, {}, {"status": "Failed", "error": error})
    for default in (True, False):
        transport = _Answers([put, failed])
        net = _client(transport)
        method: Any = True if default else status_only(net.network_security_groups)
        with pytest.raises(HttpResponseError) as raised:
            net.network_security_groups.begin_create_or_update(
                "rg", "nsg", NetworkSecurityGroup(location="westeurope"), polling=method
            ).result()
        assert raised.value.error is not None and raised.value.error.code == "InternalServerError"


def test_a_succeeded_operation_is_the_last_request():
    put = (201, {"Azure-AsyncOperation": OP}, {"properties": {"provisioningState": "Updating"}})
    running = (200, {}, {"status": "InProgress"})
    done = (200, {}, {"status": "Succeeded"})
    transport = _Answers([put, running, done])
    net = _client(transport)
    net.network_security_groups.begin_create_or_update(
        "rg", "nsg", NetworkSecurityGroup(location="westeurope"),
        polling=status_only(net.network_security_groups),
    ).result()  # fmt: skip
    assert [m for m, _ in transport.sent] == ["PUT", "GET", "GET"]
    assert all(url == OP for _, url in transport.sent[1:])
