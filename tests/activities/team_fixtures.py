"""The fixture the team tests share (issue 15): the real activities against the simulator, with
the run index (and so the team records) in the simulator's Table service."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared import azure_clients
from shared.azure_clients import reset_clients
from tests.activities.test_saga_against_simulator import SimWorld


@pytest.fixture
def indexed_world(sim, factory, monkeypatch) -> Iterator[SimWorld]:
    monkeypatch.setenv("RUN_INDEX_ENDPOINT", f"{sim.sim.url}/devstoreaccount1")
    monkeypatch.setenv("ARM_ENDPOINT", sim.sim.url)
    monkeypatch.setenv("ARM_CREDENTIAL", "static")
    monkeypatch.setenv("ARM_CA_BUNDLE", str(sim.sim.ca))
    reset_clients()
    monkeypatch.setattr(azure_clients, "_default", factory)
    yield SimWorld(sim)
    reset_clients()
