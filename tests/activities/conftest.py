"""Fixtures: the simulator (from the simulator tier) and a client factory pointed at it."""

from __future__ import annotations

import pytest

from shared.azure_clients import ArmSettings, ClientFactory, StaticTokenCredential
from tests.simulator.conftest import SimControl, simulator  # noqa: F401 - shared fixtures


@pytest.fixture
def sim(simulator) -> SimControl:  # noqa: F811
    control = SimControl(simulator)
    control.call("POST", "/_sim/reset")
    return control


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
