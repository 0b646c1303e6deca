"""Grants only for principals that exist, with the type the request names (issue 12 item 8).

Real ARM skips its directory check when ``principalType`` is set, so a mistyped principal id
becomes an orphan grant; the simulator does the same by default. The activity lets ARM check
(no ``principalType`` on the write) and verifies the type ARM reports.
"""

from __future__ import annotations

from typing import Literal

import pytest

from activities.authorization import assign_role
from shared.access_models import AssignRoleInput
from shared.step_errors import StepError
from tests.simulator.conftest import APIM_ID, CAROL, GROUP, SimControl

STRANGER = "dead0000-0000-4000-8000-00000000beef"
ROLE = "API Management Service Workspace API Developer"
PrincipalType = Literal["User", "Group", "ServicePrincipal"]


def _grant(principal: str, principal_type: PrincipalType = "User") -> AssignRoleInput:
    return AssignRoleInput(scope=APIM_ID, role_name=ROLE, principal_id=principal,
                           principal_type=principal_type, instance_id="onboard-chg-6001")  # fmt: skip


def _assignments(sim: SimControl) -> list[dict]:
    return [r for r in sim.state()["resources"] if "roleAssignments" in r["type"]]


def test_a_principal_that_does_not_exist_never_gets_a_grant(sim, factory):
    # Each call is one attempt of the orchestrator's bounded 'principal' retry schedule.
    for _ in range(3):
        with pytest.raises(StepError) as err:
            assign_role(_grant(STRANGER), factory)
        assert (err.value.kind, err.value.code) == ("transient", "PrincipalNotFound")
        sim.advance(minutes=5)
    assert _assignments(sim) == []


def test_the_write_leaves_the_directory_check_to_arm(sim, factory):
    assign_role(_grant(GROUP, "Group"), factory)
    puts = [r for r in sim.requests() if r["method"] == "PUT" and "roleAssignments" in r["path"]]
    assert len(puts) == 1
    assignment = _assignments(sim)[0]
    assert assignment["properties"]["principalType"] == "Group"  # ARM's, from the directory


def test_a_principal_of_another_type_fails_for_good_naming_it(sim, factory):
    with pytest.raises(StepError) as err:
        assign_role(_grant(GROUP, "User"), factory)  # the group's id, requested as a user
    assert err.value.kind == "permanent"
    assert err.value.code == "PrincipalTypeMismatch"
    assert GROUP in err.value.message
    assert "'Group'" in err.value.message and "'User'" in err.value.message
    assert _assignments(sim) == []  # the grant ARM made for the group is taken back


def test_another_type_on_an_existing_grant_fails_and_leaves_it(sim, factory):
    other = assign_role(_grant(GROUP, "Group").model_copy(update={"instance_id": "onboard-x"}),
                        factory)  # fmt: skip
    with pytest.raises(StepError) as err:
        assign_role(_grant(GROUP, "User"), factory)
    assert (err.value.kind, err.value.code) == ("permanent", "PrincipalTypeMismatch")
    assert sim.resource(other.assignment_id) is not None


def test_a_replicating_principal_is_transient_then_granted(sim, factory):
    with pytest.raises(StepError) as err:
        assign_role(_grant(CAROL), factory)
    assert (err.value.kind, err.value.code) == ("transient", "PrincipalNotFound")
    sim.advance(minutes=3)
    assert assign_role(_grant(CAROL), factory).created
