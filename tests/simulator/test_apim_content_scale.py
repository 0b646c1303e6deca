"""Workspace content costs what a request touches, not what is stored (issue 17, item 5).

The sweep that removes a deleted workspace's APIs and products ran at every ARM request (the
simulation's tick) over every item of every workspace, and a listing sorted every item to find
its workspace's. Items are now indexed by workspace: these tests count full passes over the
items (never a clock) and check that the content still goes with its workspace.
"""

from __future__ import annotations

from typing import Any

from simulator.core import Simulation
from simulator.ids import parse
from tests.simulator.conftest import APIM_ID


class CountingItems(dict[str, Any]):
    """The backend's items, counting every pass over all of them."""

    passes = 0

    def __iter__(self) -> Any:
        CountingItems.passes += 1
        return super().__iter__()

    def items(self) -> Any:
        CountingItems.passes += 1
        return super().items()

    def values(self) -> Any:
        CountingItems.passes += 1
        return super().values()

    def keys(self) -> Any:
        CountingItems.passes += 1
        return super().keys()


def _simulation(workspaces: int) -> Simulation:
    sim = Simulation()
    sim.reset()
    sim.seed({"resources": [{"id": f"{APIM_ID}/workspaces/ws-{n}",
                             "properties": {"displayName": f"ws {n}"}}
                            for n in range(workspaces)]})  # fmt: skip
    sim.apim_content.items = CountingItems()
    for n in range(workspaces):
        for api in range(5):
            rid = parse(f"{APIM_ID}/workspaces/ws-{n}/apis/api-{api}")
            body = {"properties": {"displayName": f"API {api}", "path": f"p{api}"}}
            sim.apim_content.put(rid, "apis", body, {})
    return sim


def test_ticks_and_listings_do_not_pass_over_every_item() -> None:
    sim = _simulation(40)
    CountingItems.passes = 0
    for _ in range(100):
        sim.tick()
    listed = sim.apim_content.list_items(parse(f"{APIM_ID}/workspaces/ws-7"), "apis")
    assert [item["name"] for item in listed] == [f"api-{n}" for n in range(5)]
    assert CountingItems.passes == 0


def test_a_deleted_workspace_takes_its_content_and_only_its_content() -> None:
    sim = _simulation(3)
    workspace = parse(f"{APIM_ID}/workspaces/ws-1")
    sim.apim.delete_workspace(workspace, {"if-match": "*"})
    sim.tick()
    left = {k.rsplit("/workspaces/", 1)[1] for k in dict.keys(sim.apim_content.items)}
    assert left == {f"ws-{w}/apis/api-{a}" for w in (0, 2) for a in range(5)}
    assert sim.apim_content.list_items(parse(f"{APIM_ID}/workspaces/ws-2"), "apis")
    assert sim.apim_content.list_items(parse(f"{APIM_ID}/workspaces/ws-2"), "products") == []
    # Deleting an item updates the index: the listing and a later sweep agree.
    sim.apim_content.delete(parse(f"{APIM_ID}/workspaces/ws-2/apis/api-0"), "apis")
    names = [i["name"] for i in sim.apim_content.list_items(parse(f"{APIM_ID}/workspaces/ws-2"),
                                                             "apis")]  # fmt: skip
    assert names == [f"api-{a}" for a in range(1, 5)]
