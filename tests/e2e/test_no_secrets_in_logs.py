"""No token, principal header or connection-string key reaches the logs during whole runs."""

from __future__ import annotations

import logging

import pytest

from tests.e2e.conftest import REQUESTER, Stack


def test_a_whole_run_logs_no_secret(stack: Stack, sample, caplog: pytest.LogCaptureFixture) -> None:
    assert stack.sim.servicebus is not None
    key = stack.sim.servicebus.connection_string.split("SharedAccessKey=")[1].split(";")[0]
    secrets = {
        "principal header": REQUESTER["x-ms-client-principal"],
        "ARM token": "local-simulator-token",
        "Service Bus key": key,
    }
    with caplog.at_level(logging.DEBUG):
        for name in ("injection", "failing-access"):
            run_id = stack.submit(sample(name)).body["id"]
            stack.wait(run_id)
        stack.submit(sample("injection"), headers={"x-ms-client-principal": "bm90LWpzb24="})
    text = "\n".join(record.getMessage() for record in caplog.records)
    text += "\n".join(str(getattr(record, "__dict__", "")) for record in caplog.records)
    assert len(caplog.records) > 10, "the runs logged something, so the check means something"
    leaked = [what for what, secret in secrets.items() if secret and secret in text]
    assert leaked == []
