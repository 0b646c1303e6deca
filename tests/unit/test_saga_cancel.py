"""Terminate with compensation: a ``cancel`` event during an operator wait undoes the run."""

from __future__ import annotations

import datetime as dt

from shared import activity_table as acts
from shared import names
from tests.unit.fake_azure import fake_world, request, run


def test_cancel_at_the_approval_gate_ends_the_run_having_made_nothing():
    world = fake_world()
    world.raise_event(names.EVENT_CANCEL, dt.timedelta(hours=1),
                      {"by": "oncall@contoso.example", "reason": "wrong team"})  # fmt: skip
    result = run(world, request("integration"), requireApproval=True)
    assert result["outcome"] == "Failed"  # the gate comes before the first write
    approval = {s["name"]: s for s in result["steps"]}["approval"]
    assert approval["status"] == "failed"
    assert "oncall@contoso.example" in approval["error"] and "wrong team" in approval["error"]
    assert acts.CREATE_WORKSPACE.name not in world.called()
    assert acts.BEGIN_GATEWAY.name not in world.called()
    last = [c.payload for c in world.calls if c.name == acts.PUBLISH_EVENT.name][-1]
    assert last["kind"] == "compensated" and last["outcome"] == "Failed"


def test_operator_waits_name_their_event_in_custom_status():
    world = fake_world(vip=None)
    world.raise_event(names.EVENT_PRIVATE_IP, dt.timedelta(hours=5), {"ip": "10.20.1.9"})
    result = run(world, request("injection"))
    assert result["outcome"] == "Succeeded"
    waits = [s for s in world.statuses if s.get("operatorEvent")]
    # Each wait has its own event name; its kind is what the operator API is called with.
    assert waits and {s["operatorEvent"] for s in waits} == {f"{names.EVENT_PRIVATE_IP}-1"}
    assert {s["operatorWait"] for s in waits} == {names.EVENT_PRIVATE_IP}
    assert not world.statuses[-1].get("operatorEvent")
    last = [c.payload for c in world.calls if c.name == acts.PUBLISH_EVENT.name][-1]
    assert last["outcome"] == "Succeeded"
