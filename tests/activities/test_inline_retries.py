"""Transient means transient (issue 18, item 1): each ARM call retries inside the activity,
within a bound that keeps the activity short; what lasts longer goes to the orchestrator.

Clients as deployed (ARM_RETRY_TOTAL default); the transport's sleeps are recorded, not slept.
"""

from __future__ import annotations

import pytest
from azure.core.pipeline.transport import HttpTransport

from activities.apim import get_gateway_state
from activities.preflight import run_preflight
from shared.azure_clients import (
    INLINE_RETRY_AFTER_MAX_S,
    ArmSettings,
    ClientFactory,
    StaticTokenCredential,
)
from shared.preflight import PreflightInput
from shared.step_errors import StepError
from tests.unit.fake_azure import SERVICE, SHARED_GW, SUBNET


@pytest.fixture
def deployed(sim, monkeypatch) -> tuple[ClientFactory, list[float]]:
    settings = ArmSettings(endpoint=sim.sim.url, ca_bundle=str(sim.sim.ca), credential="static",
                           polling_interval=0)  # fmt: skip
    slept: list[float] = []
    monkeypatch.setattr(HttpTransport, "sleep", lambda self, seconds: slept.append(seconds))
    return ClientFactory(settings, StaticTokenCredential()), slept


def _preflight() -> PreflightInput:
    return PreflightInput(apim_service_id=SERVICE, mode="integration", subnet_id=SUBNET,
                          workspace_name="ws-payments", instance_id="onboard-chg1",
                          gateway_id=SERVICE.split("/service/")[0] + "/gateways/gw-payments")  # fmt: skip


def test_transient_answers_and_dropped_connections_are_retried_inside_preflight(sim, deployed):
    factory, slept = deployed
    sim.fault(path="^/subscriptions/.*", status=503, code="ServiceUnavailable", count=2)
    sim.fault(path="^/subscriptions/.*/virtualNetworks/.*", reset=True, count=1)
    sim.fault(path="^/subscriptions/.*", status=429, code="TooManyRequests", retryAfter=3, count=1)
    result = run_preflight(_preflight(), factory)
    assert result.passed, result.findings
    assert 3 in slept  # Retry-After honoured


def test_a_long_retry_after_is_not_slept_inside_the_activity(sim, deployed):
    factory, slept = deployed
    sim.fault(path="^/subscriptions/.*", status=429, code="TooManyRequests", retryAfter=600,
              count=1)  # fmt: skip
    with pytest.raises(StepError) as raised:
        get_gateway_state(SHARED_GW, factory)
    assert (raised.value.kind, raised.value.retry_after) == ("throttled", 600)
    assert all(s <= INLINE_RETRY_AFTER_MAX_S for s in slept), slept
    get_gateway_state(SHARED_GW, factory)  # the orchestrator's next attempt succeeds
