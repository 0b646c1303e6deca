"""Who owns a role assignment, and who relies on it (DESIGN.md §2 ownership; issue 12 item 1).

An assignment is a run's only if it did not exist before the run; the run marks what it creates
(the assignment's description) and records in the run index that it relies on every grant it
made or found. An undo never removes an assignment another onboarding relies on.
Real SDK against the simulator, whose Table service holds the run index.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from activities.authorization import assign_role, remove_role
from shared.access_models import AssignRoleInput, RoleRecord
from shared.azure_clients import reset_clients
from shared.run_index_store import RunIndex, run_index_table
from shared.step_errors import StepError
from tests.simulator.conftest import APIM_ID, GROUP, SimControl

ROLE = "API Management Service Workspace API Developer"
RUN_A = "onboard-chg-5001"
RUN_B = "onboard-chg-5002"
RUN_C = "onboard-chg-5003"


@pytest.fixture
def index(sim: SimControl, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunIndex]:
    """The run index on, in the simulator's Table service (as the local stack sets it)."""
    monkeypatch.setenv("RUN_INDEX_ENDPOINT", f"{sim.sim.url}/devstoreaccount1")
    monkeypatch.setenv("ARM_ENDPOINT", sim.sim.url)
    monkeypatch.setenv("ARM_CREDENTIAL", "static")
    monkeypatch.setenv("ARM_CA_BUNDLE", str(sim.sim.ca))
    reset_clients()
    yield run_index_table()
    reset_clients()


@pytest.fixture
def no_index(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("RUN_INDEX_ENDPOINT", raising=False)
    reset_clients()
    yield
    reset_clients()


def _grant(instance: str | None, principal: str = GROUP) -> AssignRoleInput:
    return AssignRoleInput(scope=APIM_ID, role_name=ROLE, principal_id=principal,
                           principal_type="Group", instance_id=instance)  # fmt: skip


def _reliance_rows(sim: SimControl) -> list[dict[str, Any]]:
    tables = sim.state().get("tables", {}).get("devstoreaccount1", {})
    rows = tables.get("onboardingruns", [])
    return [r for r in rows if str(r["PartitionKey"]).startswith("grant-")]


def test_a_second_run_granting_the_same_assignment_does_not_own_it(sim, factory, index):
    first = assign_role(_grant(RUN_A), factory)
    second = assign_role(_grant(RUN_B), factory)
    assert first.created is True
    assert second.assignment_id == first.assignment_id
    assert second.created is False
    assert second.instance_id == RUN_B


def test_the_second_runs_undo_keeps_the_assignment(sim, factory, index):
    first = assign_role(_grant(RUN_A), factory)
    second = assign_role(_grant(RUN_B), factory)
    remove_role(second, factory)
    assert sim.resource(first.assignment_id) is not None
    # ... and never touches it: no DELETE went to ARM.
    deletes = [
        r for r in sim.requests() if r["method"] == "DELETE" and "roleAssignments" in r["path"]
    ]
    assert deletes == []


def test_what_a_run_creates_carries_its_mark(sim, factory, index):
    record = assign_role(_grant(RUN_A), factory)
    description = sim.resource(record.assignment_id)["properties"]["description"]
    assert f"[onboarding:{RUN_A}]" in description


def test_a_retried_activity_after_a_lost_result_recognises_its_creation(sim, factory, index):
    assign_role(_grant(RUN_A), factory)  # its result never reached the orchestrator
    retried = assign_role(_grant(RUN_A), factory)
    assert retried.created is True
    remove_role(retried, factory)
    assert sim.resource(retried.assignment_id) is None
    assert _reliance_rows(sim) == []


def test_reliance_is_recorded_for_created_and_found_grants(sim, factory, index):
    first = assign_role(_grant(RUN_A), factory)
    assign_role(_grant(RUN_B), factory)
    rows = _reliance_rows(sim)
    assert sorted(r["RowKey"] for r in rows) == [RUN_A, RUN_B]
    assert {r["assignmentId"] for r in rows} == {first.assignment_id}


def test_the_creators_undo_keeps_a_grant_another_run_relies_on(sim, factory, index):
    first = assign_role(_grant(RUN_A), factory)
    second = assign_role(_grant(RUN_B), factory)
    remove_role(first, factory)
    assert sim.resource(first.assignment_id) is not None
    # Once no other run relies on it, the last one out removes it: nobody keeps an orphan.
    remove_role(second, factory)
    assert sim.resource(first.assignment_id) is None
    assert _reliance_rows(sim) == []


def test_the_creators_undo_removes_it_once_no_other_reliance_remains(sim, factory, index):
    first = assign_role(_grant(RUN_A), factory)
    second = assign_role(_grant(RUN_B), factory)
    remove_role(second, factory)  # B compensated first: A still relies on it
    assert sim.resource(first.assignment_id) is not None
    remove_role(first, factory)
    assert sim.resource(first.assignment_id) is None


def test_a_finished_run_keeps_its_grant_through_two_other_undos(sim, factory, index):
    first = assign_role(_grant(RUN_A), factory)  # run A succeeded: its reliance stays
    second = assign_role(_grant(RUN_B), factory)
    third = assign_role(_grant(RUN_C), factory)
    remove_role(second, factory)
    remove_role(third, factory)
    assert sim.resource(first.assignment_id) is not None
    assert [r["RowKey"] for r in _reliance_rows(sim)] == [RUN_A]


def test_undo_twice_is_harmless(sim, factory, index):
    first = assign_role(_grant(RUN_A), factory)
    second = assign_role(_grant(RUN_B), factory)
    remove_role(second, factory)
    remove_role(second, factory)
    assert sim.resource(first.assignment_id) is not None
    remove_role(first, factory)
    remove_role(first, factory)
    assert sim.resource(first.assignment_id) is None


def test_an_assignment_someone_else_made_is_never_removed(sim, factory, index):
    # Made outside the onboarding (no mark) under the same deterministic name.
    sim.call("POST", "/_sim/seed", {"resources": [{
        "id": _grant(None).scope + "/providers/Microsoft.Authorization/roleAssignments/"
        + _name_of(factory),
        "properties": {"roleDefinitionId": _role_id(factory), "principalId": GROUP},
    }]})  # fmt: skip
    record = assign_role(_grant(RUN_A), factory)
    assert record.created is False
    remove_role(record, factory)
    assert sim.resource(record.assignment_id) is not None


def test_a_run_that_relies_while_the_creator_deletes_gets_the_grant_back(
    sim, factory, index, monkeypatch
):
    first = assign_role(_grant(RUN_A), factory)
    calls = {"n": 0}
    real = RunIndex.reliers

    def racing(self: RunIndex, grant: str) -> list[str]:
        # Run B records its reliance right after A's undo looked, before A's delete.
        calls["n"] += 1
        if calls["n"] == 1:
            found = real(self, grant)
            assign_role(_grant(RUN_B), factory)
            return found
        return real(self, grant)

    monkeypatch.setattr(RunIndex, "reliers", racing)
    remove_role(first, factory)
    restored = sim.resource(first.assignment_id)
    assert restored is not None, "B relies on it: A's undo must put it back"
    assert f"[onboarding:{RUN_B}]" in restored["properties"]["description"]
    monkeypatch.setattr(RunIndex, "reliers", real)
    remove_role(RoleRecord(assignment_id=first.assignment_id, created=False, instance_id=RUN_B),
                factory)  # fmt: skip
    assert sim.resource(first.assignment_id) is None


def test_without_the_index_an_undo_removes_only_what_its_run_created(
    sim, factory, no_index, caplog
):
    first = assign_role(_grant(RUN_A), factory)
    second = assign_role(_grant(RUN_B), factory)
    assert (first.created, second.created) == (True, False)
    remove_role(second, factory)
    assert sim.resource(first.assignment_id) is not None
    with caplog.at_level(logging.INFO, logger="onboarding.authorization"):
        remove_role(first, factory)
    assert sim.resource(first.assignment_id) is None
    assert "run index is off" in caplog.text


def _name_of(factory: Any) -> str:
    from activities.authorization import assignment_name

    return assignment_name(APIM_ID, _role_id(factory).rsplit("/", 1)[1], GROUP)


def _role_id(factory: Any) -> str:
    authz = factory.authorization(APIM_ID.split("/")[2])
    return str(next(iter(authz.role_definitions.list(APIM_ID, filter=f"roleName eq '{ROLE}'"))).id)


# --- transport failures are transient (DESIGN.md §3), in the grant and in its undo -----------


def test_a_dropped_connection_on_the_grant_is_transient_and_leaves_no_reliance(sim, factory, index):
    sim.fault(method="PUT", path="*/roleAssignments/*", reset=True, count=1)
    with pytest.raises(StepError) as err:
        assign_role(_grant(RUN_A), factory)
    assert err.value.kind == "transient"
    assert _reliance_rows(sim) == []
    assert assign_role(_grant(RUN_A), factory).created  # the retry


def test_a_dropped_connection_in_the_undo_is_transient(sim, factory, index):
    record = assign_role(_grant(RUN_A), factory)
    sim.fault(method="DELETE", path="*/roleAssignments/*", reset=True, count=1)
    with pytest.raises(StepError) as err:
        remove_role(record, factory)
    assert err.value.kind == "transient"
    remove_role(record, factory)  # the retry
    assert sim.resource(record.assignment_id) is None
