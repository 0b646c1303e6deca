"""The simulator as a process and as an HTTPS endpoint: READY line, TLS, generic ARM errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from azure.core.exceptions import ServiceRequestError
from azure.mgmt.network import NetworkManagementClient

from tests.simulator.conftest import NET_RG, SUB, VNET, StaticToken, subnet_id

ROOT = Path(__file__).resolve().parents[2]


def test_python_m_simulator_prints_ready_within_5_seconds(tmp_path):
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--port", "0", "--state-dir", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        elapsed = time.monotonic() - started
        assert line.startswith("READY "), proc.stderr.read() if proc.stderr else line
        info = json.loads(line[len("READY ") :])
        assert info["simulator"].startswith("https://127.0.0.1:")
        assert Path(info["ca"]) == tmp_path / "ca.pem"
        # The bound; recorded, not a timing assertion on the machine's speed.
        print(f"READY after {elapsed:.2f}s")
        client = NetworkManagementClient(
            StaticToken(), SUB, base_url=info["simulator"], connection_verify=info["ca"]
        )
        assert client.subnets.get(NET_RG, VNET, "snet-gw-a").name == "snet-gw-a"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0


def test_ca_file_is_reused_across_restarts(tmp_path):
    from simulator import Simulator

    with Simulator(tmp_path) as first:
        pem = first.ca.read_bytes()
    with Simulator(tmp_path) as second:
        assert second.ca.read_bytes() == pem


def test_clients_without_the_ca_are_refused(simulator):
    client = NetworkManagementClient(StaticToken(), SUB, base_url=simulator.url, retry_total=0)
    with pytest.raises(ServiceRequestError) as err:
        client.subnets.get(NET_RG, VNET, "snet-gw-a")
    assert "CERTIFICATE_VERIFY_FAILED" in str(err.value)


def test_missing_api_version_is_refused(sim):
    status, _, body = sim.raw("GET", subnet_id("snet-gw-a"))
    assert status == 400
    assert body["error"]["code"] == "MissingApiVersionParameter"


def test_malformed_api_version_is_refused(sim):
    status, _, body = sim.raw("GET", subnet_id("snet-gw-a") + "?api-version=latest")
    assert status == 400
    assert body["error"]["code"] == "InvalidApiVersionParameter"


def test_unsupported_call_is_a_loud_501(sim):
    status, _, body = sim.raw(
        "PATCH", subnet_id("snet-gw-a") + "?api-version=2026-03-01", {"properties": {}}
    )
    assert status == 501
    assert body["error"]["code"] == "NotImplementedInSimulator"
    assert "PATCH" in body["error"]["message"]


def test_invalid_json_body_is_named(sim):
    status, _, body = sim.raw("PUT", subnet_id("snet-gw-a") + "?api-version=2026-03-01", None)
    assert status == 400
    assert body["error"]["code"] == "InvalidRequestContent"


def test_responses_carry_request_ids_and_rate_limit_headers(sim):
    status, headers, _ = sim.raw("GET", subnet_id("snet-gw-a") + "?api-version=2026-03-01")
    assert status == 200
    assert headers["x-ms-request-id"]
    assert headers["x-ms-ratelimit-remaining-subscription-reads"].isdigit()


def test_servicebus_runs_beside_arm_and_shows_in_control_api(tmp_path):
    from azure.servicebus import ServiceBusClient, ServiceBusMessage

    from simulator import Simulator
    from tests.simulator.conftest import SimControl

    with Simulator(tmp_path, clock="virtual", servicebus=True) as sim:
        info = sim.ready_info()
        assert "UseDevelopmentEmulator=true" in info["servicebus"]
        client = ServiceBusClient.from_connection_string(info["servicebus"], retry_total=0)
        with client, client.get_queue_sender("onboarding-requests") as sender:
            sender.send_messages(ServiceBusMessage(b'{"ticketId": "CHG1"}', message_id="m1"))
        view = SimControl(sim).call("GET", "/_sim/servicebus")
        assert "onboarding-requests" in json.dumps(view)
        assert "m1" in json.dumps(view)


def test_servicebus_control_view_without_servicebus_is_a_named_404(sim):
    status, _, body = sim.raw("GET", "/_sim/servicebus")
    assert status == 404
    assert "--servicebus" in body["error"]["message"]
