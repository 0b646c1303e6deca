"""The activity table is the one source of activity facts: registrations, undos, typed calls."""

from __future__ import annotations

import pytest

from shared import activity_table as acts
from shared.activity_table import ACTIVITIES
from tests.unit.fake_azure import fake_world, request, run
from tests.unit.test_function_app import _INDEXED  # the app indexed once per process


def _registered_activities() -> set[str]:
    return {
        name for name, spec in _INDEXED.items()
        if any(b["type"] == "activityTrigger" for b in spec["bindings"])
    }  # fmt: skip


def test_every_row_is_registered_as_an_activity_of_its_own_name():
    assert _registered_activities() == set(ACTIVITIES)


@pytest.mark.parametrize("row", [r for r in ACTIVITIES.values() if r.undo], ids=lambda r: r.name)
def test_every_undo_takes_the_forward_output_and_belongs_to_the_same_step(row):
    undo = ACTIVITIES[row.undo]
    assert undo.input is row.output
    assert undo.step == row.step
    assert undo.policy == "undo"
    assert row.made is not None  # compensation needs a label for leftovers


def test_the_saga_sends_inputs_the_activities_accept_and_the_fakes_answer_in_kind():
    world = fake_world()
    run(world, request("injection"))
    for call in world.calls:
        row = ACTIVITIES[call.name]
        row.input.model_validate(call.payload)
        if row.output is not None:
            row.parse(world.activities[call.name](call.payload, world))


def test_roles_retry_on_the_principal_replication_policy():
    assert acts.ASSIGN_ROLE.policy == "principal"
