"""Names with control characters in ARM URLs (issue 19 item 8).

A gateway named ``gw-nl\\n`` used to reach the APIM backend, whose LRO answer wrote the name raw
into ``Azure-AsyncOperation``/``Location``: the header block broke, the client waited its full
read timeout and the virtual clock froze meanwhile. Azure's front end refuses a URL whose
escapes decode to a control character (U+0000-U+001F, U+007F-U+009F) with 400 before any
resource provider sees it (HTTP.sys, Microsoft KB 820129, ``AllowRestrictedChars`` off by
default); the simulator does the same, and never writes a control character into a header.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from urllib.parse import quote

import pytest
from azure.core.exceptions import HttpResponseError

from simulator.wire import Response
from tests.simulator.conftest import APIM_RG, NET_RG, SUB, subnet_id
from tests.simulator.test_apim_gateways import _gateway

GATEWAYS = (
    f"/subscriptions/{SUB}/resourceGroups/{APIM_RG}/providers/Microsoft.ApiManagement/gateways"
)


def _raw(sim, method: str, path: str, body: bytes = b"{}") -> tuple[int, bytes, float]:
    """One request over a raw TLS socket with a short timeout: (status, head, seconds)."""
    ctx = ssl.create_default_context(cafile=str(sim.sim.ca))
    host, port = "127.0.0.1", sim.sim.port
    started = time.monotonic()
    with (
        socket.create_connection((host, port), timeout=5) as plain,
        ctx.wrap_socket(plain, server_hostname=host) as tls,
    ):
        tls.sendall(
            f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer x\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + body
        )
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = tls.recv(65536)
            if not chunk:
                break
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0]
    return int(head.split(b" ", 2)[1]), head, time.monotonic() - started


SERVICE = f"/subscriptions/{SUB}/resourceGroups/{APIM_RG}/providers/Microsoft.ApiManagement/service/apim-contoso"
NSGS = f"/subscriptions/{SUB}/resourceGroups/{NET_RG}/providers/Microsoft.Network/networkSecurityGroups"
KINDS = {
    "gateway": (GATEWAYS, "2024-05-01", {"location": "westeurope"}),
    "workspace": (f"{SERVICE}/workspaces", "2024-05-01", {"properties": {"displayName": "x"}}),
    "nsg": (NSGS, "2024-05-01", {"location": "westeurope"}),
}


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("char", ["\n", "\r", "\x00", "\x1b", "\x7f", "\x85"])
def test_a_name_with_a_control_character_is_refused_at_once(sim, kind, char):
    parent, version, body = KINDS[kind]
    path = f"{parent}/{quote('x-nl' + char, safe='')}?api-version={version}"
    status, head, seconds = _raw(sim, "PUT", path, json.dumps(body).encode())
    assert status == 400 and seconds < 2
    assert all(b"\n" not in line and b"\r" not in line for line in head.split(b"\r\n"))
    assert not [r for r in sim.state()["resources"] if "x-nl" in r["id"]]


def test_the_sdk_gets_a_400_not_a_hang(apim, sim):
    started = time.monotonic()
    with pytest.raises(HttpResponseError) as refused:
        apim.api_gateway.begin_create_or_update(
            APIM_RG, "gw-nl\n", _gateway("Internal", subnet_id("snet-gw-a"))
        )
    assert refused.value.status_code == 400 and time.monotonic() - started < 5


def test_no_header_value_ever_carries_a_line_break(sim):
    """Defence in depth: whatever a backend puts in a header is written as one line."""
    from simulator.server import header_value

    assert header_value("https://x/a\r\nSet-Cookie: y") == "https://x/a%0D%0ASet-Cookie: y"
    assert header_value("plain") == "plain"
    assert Response(200, {}, {"Location": "a\nb"}).headers["Location"] == "a\nb"  # raw in memory
