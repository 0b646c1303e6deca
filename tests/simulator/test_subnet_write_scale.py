"""A subnet write parses its own prefixes, not every subnet's of its VNet (issue 17, item 5).

The overlap check compares the new prefixes with every other subnet of the VNet, as NRP does;
it used to parse each of theirs again at every write, so a VNet holding one subnet per run (the
load bench's) made each write cost a parse per run. Parsed networks are now cached: after the
first write, a write parses only what it brings. Counted, never timed.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

import pytest

from simulator.backends import network
from simulator.core import Simulation
from simulator.errors import ArmError
from simulator.ids import parse

VNET = (
    "/subscriptions/3f2e1d0c-9b8a-4765-8432-10fedcba9876/resourceGroups/rg-network"
    "/providers/Microsoft.Network/virtualNetworks/vnet-scale"
)


def _simulation(subnets: int) -> Simulation:
    sim = Simulation()
    sim.reset()
    sim.seed({"resources": [{
        "id": VNET, "location": "westeurope",
        "properties": {"addressSpace": {"addressPrefixes": ["10.64.0.0/14"]},
                       "subnets": [{"name": f"s{n}",
                                    "properties": {"addressPrefix": f"10.64.{n}.0/27"}}
                                   for n in range(subnets)]},
    }]})  # fmt: skip
    return sim


def _put(sim: Simulation, name: str, prefix: str) -> None:
    sim.network.put_subnet(parse(f"{VNET}/subnets/{name}"),
                           {"properties": {"addressPrefix": prefix}}, {})  # fmt: skip
    sim.clock.advance(dt.timedelta(minutes=5))  # NRP serialises writes per VNet
    sim.tick()


def _parses_for_ten_writes(subnets: int, monkeypatch: pytest.MonkeyPatch) -> int:
    getattr(network._network, "cache_clear", lambda: None)()  # a cold cache per VNet size
    sim = _simulation(subnets)
    _put(sim, "warm", "10.66.0.0/27")
    calls = 0
    real = ipaddress.ip_network

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(network.ipaddress, "ip_network", counting)
    for n in range(10):
        _put(sim, f"new{n}", f"10.66.{n + 1}.0/27")
    monkeypatch.setattr(network.ipaddress, "ip_network", real)
    return calls


def test_subnet_writes_parse_what_they_bring(monkeypatch: pytest.MonkeyPatch) -> None:
    few, many = _parses_for_ten_writes(20, monkeypatch), _parses_for_ten_writes(200, monkeypatch)
    assert few == many == 10


def test_overlaps_and_bad_prefixes_are_still_refused() -> None:
    sim = _simulation(20)
    with pytest.raises(ArmError) as overlap:
        _put(sim, "clash", "10.64.3.0/28")
    assert "overlap" in str(overlap.value).lower()
    for _ in range(2):  # a refused prefix is refused again (errors are not cached)
        with pytest.raises(ArmError):
            _put(sim, "bad", "10.66.0.1/27")
