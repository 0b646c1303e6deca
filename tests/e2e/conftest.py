"""Fixtures: the whole local stack (simulator + devhost running function_app) per test.

Every test runs with devhost's sequencing cross-check on and ends by asserting that devhost's
sequence numbers agreed with the SDK's own task bookkeeping in every episode.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.operator_stand_in import StandIn, Supplied
from cli.samples import load_sample
from cli.stack import LocalStack, StackOptions
from devhost.stepping import advance_until
from tests.devhost.conftest import Reply, http
from tests.sim_behaviour import marked_behaviour

pytestmark = pytest.mark.timeout(120)


def principal(*roles: str, name: str = "alice@contoso.example") -> dict[str, str]:
    """The ``x-ms-client-principal`` header App Service authentication would inject."""
    claims = [{"typ": "roles", "val": role} for role in roles]
    claims += [
        {"typ": "name", "val": name},
        {"typ": "http://schemas.microsoft.com/identity/claims/objectidentifier",
         "val": "0000aaaa-0000-4000-8000-00000000000a"},
    ]  # fmt: skip
    doc = {"auth_typ": "aad", "name_typ": "name", "role_typ": "roles", "claims": claims}
    return {"x-ms-client-principal": base64.b64encode(json.dumps(doc).encode()).decode()}


REQUESTER = principal("Onboarding.Requester")
OPERATOR = principal("Onboarding.Operator", name="oncall@contoso.example")


class Stack:
    """The started stack plus the calls the tests make."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        assert stack.host is not None and stack.sim is not None
        self.host = stack.host
        self.sim = stack.sim
        self.api = stack.api_url

    def submit(self, body: dict[str, Any], headers: dict[str, str] | None = None,
               query: str = "") -> Reply:  # fmt: skip
        return http(
            "POST",
            f"{self.api}/onboardings{query}",
            body,
            REQUESTER if headers is None else headers,
        )

    def view(self, instance_id: str, headers: dict[str, str] | None = None) -> Reply:
        return http(
            "GET",
            f"{self.api}/onboardings/{instance_id}",
            None,
            REQUESTER if headers is None else headers,
        )

    def wait(self, instance_id: str, timeout: float = 90, operator: bool = True) -> dict[str, Any]:
        """The run's view once it ended. With ``operator`` (the default) an operator stands
        by and answers the run's private-IP asks (ARM shows no VIP) as one would: the VIP the
        portal shows, through the operator API (cli/operator_stand_in.py)."""
        if operator:
            self.play_operator(instance_id, timeout)
        self.host.wait_for(instance_id, timeout=timeout)
        reply = self.view(instance_id)
        assert reply.status == 200, reply.body
        return dict(reply.body)

    def play_operator(self, instance_id: str, timeout: float = 90) -> list[Supplied]:
        """Step the virtual clock until the run ends, supplying each private IP it asks for."""
        stand_in = StandIn(self.stack)
        # A run that waits for something else times out here; wait_for then reports it.
        with contextlib.suppress(TimeoutError):
            stand_in.until_ended([instance_id], timeout=timeout)
        return stand_in.supplied

    def raise_event(self, instance_id: str, name: str, data: Any) -> None:
        """Raise an operator event with the SDK's own client, as the operator API does: an
        event named by its kind (``approval``) goes to the wait of that kind open now
        (``approval-1``, from the custom status); an exact name is raised as it is."""
        custom = self.host.status(instance_id).get("customStatus") or {}
        if custom.get("operatorWait") == name:
            name = str(custom["operatorEvent"])
        client = self.host.client()
        self.host.run(client.raise_event(instance_id, name, data))

    def waiting_for(self, instance_id: str, words: str) -> bool:
        custom = self.host.status(instance_id).get("customStatus") or {}
        return words.lower() in str(custom.get("waitingFor") or "").lower()

    def advance_until(self, condition: Any, timeout: float = 60) -> None:
        advance_until(self.host, condition, timeout)

    def instances(self) -> list[Any]:
        """Top-level runs (sub-orchestrations, named ``<run>:<n>``, left out)."""
        return [s for s in self.all_instances() if ":" not in s.instance_id]

    def all_instances(self) -> list[Any]:
        """Every instance, sub-orchestrations included."""
        client = self.host.client()
        return list(self.host.run(client.get_status_all()))

    def resources(self) -> set[str]:
        return {r["id"].lower() for r in self.sim.simulation.state()["resources"]}

    def resource(self, resource_id: str) -> dict[str, Any] | None:
        for r in self.sim.simulation.state()["resources"]:
            if r["id"].lower() == resource_id.lower():
                return dict(r)
        return None


@pytest.fixture
def stack(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Stack]:
    marker = request.node.get_closest_marker("settings")
    settings = dict(marker.args[0]) if marker else {}
    options = StackOptions(state_dir=tmp_path, port=0, check_sequencing=True, settings=settings)
    with LocalStack(options) as started:
        switches = marked_behaviour(request.node)
        if switches:  # before any run: the sim_behaviour marker (tests/sim_behaviour.py)
            assert started.sim is not None
            started.sim.simulation.timings.update_behaviour(switches)
        yield Stack(started)
        assert started.host is not None
        assert started.host.engine.stats.sequence_mismatches == []


@pytest.fixture
def sample() -> Any:
    return load_sample


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "settings(dict): extra app settings for the stack")
