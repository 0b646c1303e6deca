"""HTTP-triggered functions served under /api, with the durable client binding injected."""

from __future__ import annotations

import base64
import json

import pytest

from devhost import DevHost
from tests.devhost.conftest import http

pytestmark = pytest.mark.timeout(60)


def test_http_starter_and_its_status_url(host: DevHost) -> None:
    reply = http("POST", f"{host.api_url}/orchestrators/fan_out/web-1", body=4)
    assert reply.status == 202
    body = reply.body
    assert body["id"] == "web-1"
    assert reply.headers["Location"] == body["statusQueryGetUri"]
    assert body["statusQueryGetUri"].startswith(host.base_url + "/runtime/webhooks/durabletask/")
    host.wait_for("web-1")
    status = http("GET", body["statusQueryGetUri"])
    assert status.status == 200
    assert status.body["runtimeStatus"] == "Completed"
    assert status.body["output"] == {"echo": 12}
    # The client's input went through df_dumps + the host's JSON hop: doubly encoded.
    assert http("GET", body["statusQueryGetUri"] + "&showInput=true").body["input"] == "4"
    # The other management URLs work as given.
    assert http("DELETE", body["purgeHistoryDeleteUri"]).body == {"instancesDeleted": 1}


def test_management_urls_use_the_request_origin(host: DevHost) -> None:
    reply = http(
        "POST", f"{host.api_url}/orchestrators/approval", headers={"Host": f"localhost:{host.port}"}
    )
    assert reply.body["statusQueryGetUri"].startswith(f"http://localhost:{host.port}/")
    send = reply.body["sendEventPostUri"].replace("{eventName}", "approval")
    assert http("POST", send, body="ok").status == 202
    assert host.wait_for(reply.body["id"])["output"]["payload"] == "ok"


def test_client_get_status_inside_a_function(host: DevHost) -> None:
    host.wait_for(host.start_new("sequence", instance_id="inner"))
    reply = http("GET", f"{host.api_url}/status/inner")
    assert reply.body["runtimeStatus"] == "Completed"
    assert reply.body["history"] is None and len(reply.body["historyEvents"]) == 5
    assert http("GET", f"{host.api_url}/status/ghost").status == 404


def test_client_principal_reaches_the_function_unchanged(host: DevHost) -> None:
    principal = {"auth_typ": "aad", "claims": [{"typ": "roles", "val": "Onboarding.Requester"}]}
    header = base64.b64encode(json.dumps(principal).encode()).decode()
    reply = http("GET", f"{host.api_url}/whoami", headers={"x-ms-client-principal": header})
    assert reply.status == 200
    assert reply.body == {"raw": header, "principal": principal}
    assert http("GET", f"{host.api_url}/whoami").status == 401


def test_route_constraints_methods_and_unknown_paths(host: DevHost) -> None:
    assert http("GET", f"{host.api_url}/items/42").body == "GET item 42"
    assert http("DELETE", f"{host.api_url}/items/7").body == "DELETE item 7"
    assert http("POST", f"{host.api_url}/items/7").status == 405
    assert http("GET", f"{host.api_url}/items/abc").status == 404
    assert http("GET", f"{host.api_url}/nothing/here").status == 404
