"""Transport failures (connection refused, read timeout) are transient, in every activity.

The clients are the real azure-mgmt ones, built by the app's ClientFactory, pointed at a port
nothing listens on (a real ``ECONNREFUSED``, azure-core's ``ServiceRequestError``) or at one that
accepts the connection and never answers (azure-core's ``ServiceResponseTimeoutError``). The
orchestrator retries only what an activity classifies as retryable (orchestrators/step_runner.py
``as_step_error``), so an unclassified SDK exception would compensate the run.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from azure.core.exceptions import (
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

from activities import apim, dns, network, preflight
from activities.arm_action import arm_action, undo_action
from shared.apim_models import (
    BeginGatewayInput,
    CreateWorkspaceInput,
    GatewayRecord,
    LinkInput,
    LinkRecord,
    LinkStateInput,
    WorkspaceRecord,
)
from shared.azure_clients import ArmSettings, ClientFactory, StaticTokenCredential
from shared.dns_models import PrivateDnsInput, PrivateDnsRecord
from shared.network_models import ConfigureSubnetInput, EnsureNsgInput, NsgRecord, SubnetRecord
from shared.preflight import PreflightInput
from shared.step_errors import StepError, parse_step_error
from tests.simulator.conftest import APIM_ID, SUB, VNET_ID, subnet_id

SUBNET = subnet_id("snet-gw-a")
GATEWAY = (
    f"/subscriptions/{SUB}/resourceGroups/rg-apim/providers/Microsoft.ApiManagement/gateways/gw-x"
)
WORKSPACE = f"{APIM_ID}/workspaces/ws-x"
LINK = f"{GATEWAY}/configConnections/ws-x"
NSG = f"/subscriptions/{SUB}/resourceGroups/rg-network/providers/Microsoft.Network/networkSecurityGroups/nsg-x"
DNS_RG = f"/subscriptions/{SUB}/resourceGroups/rg-dns"
ZONE = (
    f"{DNS_RG}/providers/Microsoft.Network/privateDnsZones/gw-x.gateway.westeurope-01.azure-api.net"
)

Call = Callable[[ClientFactory], Any]

# Every activity of activities/{apim,dns,network,preflight}.py, forward steps and undos.
CALLS: dict[str, Call] = {
    "ensure_nsg": lambda f: network.ensure_nsg(
        EnsureNsgInput(subnet_id=SUBNET, nsg_name="nsg-x", mode="injection"), f
    ),
    "undo_nsg": lambda f: network.undo_nsg(NsgRecord(nsg_id=NSG, created=True), f),
    "configure_subnet": lambda f: network.configure_subnet(
        ConfigureSubnetInput(subnet_id=SUBNET, delegation="Microsoft.Web/hostingEnvironments"), f
    ),
    "restore_subnet": lambda f: network.restore_subnet(
        SubnetRecord(subnet_id=SUBNET, changed=True), f
    ),
    "create_workspace": lambda f: apim.create_workspace(
        CreateWorkspaceInput(service_id=APIM_ID, name="ws-x", display_name="X", instance_id="i"), f
    ),
    "delete_workspace": lambda f: apim.delete_workspace(
        WorkspaceRecord(workspace_id=WORKSPACE, created=True), f
    ),
    "begin_gateway": lambda f: apim.begin_gateway(
        BeginGatewayInput(
            gateway_id=GATEWAY,
            location="westeurope",
            capacity=1,
            network_type="None",
            instance_id="i",
            ticket_id="T-1",
        ),
        f,
    ),
    "get_gateway_state": lambda f: apim.get_gateway_state(GATEWAY, f),
    "delete_gateway": lambda f: apim.delete_gateway(
        GatewayRecord(gateway_id=GATEWAY, created=True), f
    ),
    "link_workspace": lambda f: apim.link_workspace(
        LinkInput(gateway_id=GATEWAY, workspace_id=WORKSPACE), f
    ),
    "get_link_state": lambda f: apim.get_link_state(LinkStateInput(link_id=LINK), f),
    "unlink_workspace": lambda f: apim.unlink_workspace(LinkRecord(link_id=LINK, created=True), f),
    "ensure_private_dns": lambda f: dns.ensure_private_dns(
        PrivateDnsInput(
            dns_resource_group_id=DNS_RG,
            zone_name="gw-x.example",
            vnet_id=VNET_ID,
            private_ip="10.20.1.4",
            instance_id="i",
        ),
        f,
    ),
    "undo_private_dns": lambda f: dns.undo_private_dns(
        PrivateDnsRecord(
            zone_id=ZONE, vnet_id=VNET_ID, zone_created=True, link_created=True, record_created=True
        ),
        f,
    ),
    "run_preflight": lambda f: preflight.run_preflight(
        PreflightInput(
            apim_service_id=APIM_ID,
            mode="injection",
            subnet_id=SUBNET,
            workspace_name="ws-x",
            gateway_id=GATEWAY,
            instance_id="i",
        ),
        f,
    ),
}


@dataclass(frozen=True)
class _TimeoutSettings(ArmSettings):
    """The app's settings plus short socket timeouts, so a silent server fails fast."""

    def client_kwargs(self) -> dict[str, Any]:
        return {**super().client_kwargs(), "connection_timeout": 0.5, "read_timeout": 0.5}


def _factory(port: int, settings: type[ArmSettings] = ArmSettings) -> ClientFactory:
    return ClientFactory(
        settings(endpoint=f"https://127.0.0.1:{port}", credential="static", retry_total=0,
                 polling_interval=0),
        StaticTokenCredential(),
    )  # fmt: skip


@pytest.fixture
def refused() -> ClientFactory:
    """Clients aimed at a port that was just free: the kernel refuses the connection."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return _factory(port)


@pytest.fixture
def silent() -> Iterator[ClientFactory]:
    """Clients aimed at a socket that accepts connections (backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield _factory(sock.getsockname()[1], _TimeoutSettings)


def _raised(call: Call, factory: ClientFactory) -> BaseException:
    try:
        call(factory)
    except Exception as exc:
        return exc
    raise AssertionError("the activity reached a closed port and raised nothing")


def _assert_transient(exc: BaseException) -> None:
    assert isinstance(exc, StepError), f"unclassified {type(exc).__name__}: {exc}"
    # What the orchestrator reads back from the activity's failure text.
    seen = parse_step_error(f"Activity function failed: {exc}")
    assert seen is not None
    assert (seen.kind, seen.code) == ("transient", "ConnectionError")


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_refused_connection_is_transient(name, refused):
    _assert_transient(_raised(CALLS[name], refused))


@pytest.mark.parametrize("name", ["ensure_nsg", "undo_nsg", "create_workspace", "run_preflight"])
def test_a_read_timeout_is_transient(name, silent):
    _assert_transient(_raised(CALLS[name], silent))


# --- the context managers alone ---------------------------------------------------------------


def _http_error(status: int, code: str, cls: type[HttpResponseError] = HttpResponseError) -> Any:
    class _Response:
        status_code = status
        reason = "reason"
        headers: dict[str, str] = {}

        def text(self) -> str:
            return f'{{"error": {{"code": "{code}", "message": "m"}}}}'

    return cls(response=_Response())


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (ServiceRequestError("refused"), "transient"),
        (ServiceResponseError("reset"), "transient"),
        (_http_error(503, "ServiceUnavailable"), "transient"),
        (_http_error(404, "ResourceNotFound", ResourceNotFoundError), "permanent"),
        (_http_error(403, "AuthorizationFailed"), "permanent"),
    ],
)
def test_arm_action_classifies_every_azure_core_error(exc, kind):
    with pytest.raises(StepError) as err, arm_action("do x"):
        raise exc
    assert err.value.kind == kind
    assert err.value.message.startswith("do x")


def test_undo_action_takes_not_found_as_done_and_classifies_the_rest():
    with undo_action("undo x"):
        raise _http_error(404, "ResourceNotFound", ResourceNotFoundError)
    with pytest.raises(StepError) as err, undo_action("undo x"):
        raise ServiceRequestError("refused")
    assert err.value.kind == "transient"


def test_step_errors_and_other_exceptions_pass_through_unchanged():
    mine = StepError("permanent", "WorkspaceExists", "taken")
    with pytest.raises(StepError) as err, arm_action("do x"):
        raise mine
    assert err.value is mine
    with pytest.raises(KeyError), undo_action("undo x"):
        raise KeyError("k")
