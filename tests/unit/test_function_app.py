"""function_app.py indexes like the Functions host would see it: every function, its bindings."""

from __future__ import annotations

import json

from function_app import app
from shared import names

# get_functions() indexes once per process (the host does the same); keep its answer.
_INDEXED = {f.get_function_name(): json.loads(f.get_function_json()) for f in app.get_functions()}


def _functions() -> dict[str, dict]:
    return _INDEXED


def test_every_activity_and_orchestrator_is_registered_under_its_constant():
    functions = _functions()
    constants = {v for k, v in vars(names).items() if k.isupper() and not k.startswith("EVENT_")}
    assert constants <= set(functions)


def test_binding_names_match_function_names():
    for name, spec in _functions().items():
        for binding in spec["bindings"]:
            declared = binding.get("activity") or binding.get("orchestration")
            assert declared in (None, name), (name, declared)


def test_entry_points_have_the_documented_triggers():
    functions = _functions()
    http = next(b for b in functions["start_onboarding"]["bindings"] if b["type"] == "httpTrigger")
    assert http["route"] == "onboardings" and http["methods"] == ["POST"]
    sb = next(
        b for b in functions["onboarding_message"]["bindings"] if b["type"] == "serviceBusTrigger"
    )
    assert (sb["queueName"], sb["connection"]) == ("onboarding-requests", "ServiceBusConnection")
