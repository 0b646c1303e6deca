"""Fixtures: the simulator (from the simulator tier) and a client factory pointed at it."""

from __future__ import annotations

import pytest

from shared.azure_clients import ArmSettings, ClientFactory, StaticTokenCredential
from tests.simulator.conftest import SimControl, fresh_control, simulator  # noqa: F401


@pytest.fixture
def sim(simulator, request: pytest.FixtureRequest) -> SimControl:  # noqa: F811
    """Reset to the default seed, with the test's ``sim_behaviour`` switches."""
    return fresh_control(simulator, request)


@pytest.fixture
def factory(sim: SimControl) -> ClientFactory:
    settings = ArmSettings(
        endpoint=sim.sim.url,
        ca_bundle=str(sim.sim.ca),
        credential="static",
        retry_total=0,
        polling_interval=0,
    )
    return ClientFactory(settings, StaticTokenCredential())
