"""The activity contract covers every activity name, and the fakes honour it."""

from __future__ import annotations

from shared import names
from shared.activity_contract import CONTRACTS
from tests.unit.fake_azure import fake_world, request, run

ACTIVITY_NAMES = {
    value for key, value in vars(names).items()
    if key.isupper() and not key.startswith("EVENT_") and key not in ("SAGA", "GATEWAY_WAITER", "RUN_STEP")
}  # fmt: skip


def test_every_activity_name_has_a_contract():
    assert set(CONTRACTS) == ACTIVITY_NAMES


def test_every_undo_takes_the_forward_output_as_its_record():
    for contract in CONTRACTS.values():
        if contract.undo:
            undo_input = CONTRACTS[contract.undo].input
            wrapped = undo_input.model_fields.get("record")
            assert undo_input is contract.output or (
                wrapped is not None and wrapped.annotation is contract.output
            ), contract.name


def test_the_saga_sends_inputs_the_activities_accept_and_the_fakes_answer_in_kind():
    world = fake_world()
    run(world, request("injection"))
    for call in world.calls:
        contract = CONTRACTS[call.name]
        contract.input.model_validate(call.payload)
        if contract.output is not None:
            contract.output.model_validate(world.activities[call.name](call.payload, world))
