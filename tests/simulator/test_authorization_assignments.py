"""Role assignments at any scope through the real AuthorizationManagementClient."""

from __future__ import annotations

import urllib.error
import uuid
from collections.abc import Iterator

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.authorization import AuthorizationManagementClient

from simulator import Simulator
from tests.simulator.conftest import (
    ALICE,
    APIM_ID,
    BOB,
    CAROL,
    GROUP,
    SP,
    SUB,
    TENANT,
    VNET_ID,
    SimControl,
    StaticToken,
    _kwargs,
    subnet_id,
)

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
RG_SCOPE = f"/subscriptions/{SUB}/resourceGroups/rg-apim"
SUB_SCOPE = f"/subscriptions/{SUB}"


@pytest.fixture(scope="module")
def own_simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    """A private simulator for tests that move the clock (the session clock never goes back)."""
    with Simulator(tmp_path_factory.mktemp("authz-clock"), clock="virtual") as simulator:
        yield simulator


def _role(guid: str, qualified: bool = False) -> str:
    prefix = f"/subscriptions/{SUB}" if qualified else ""
    return f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def _params(principal: str, role: str = READER, principal_type: str | None = "User") -> dict:
    body = {"role_definition_id": _role(role), "principal_id": principal}
    if principal_type:
        body["principal_type"] = principal_type
    return body


def _name(scope: str, role: str, principal: str) -> str:
    # DESIGN §1 step 7: deterministic names, uuid5 of scope+role+principal.
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{scope}|{role}|{principal}"))


@pytest.mark.parametrize(
    "scope",
    [SUB_SCOPE, RG_SCOPE, APIM_ID, VNET_ID, subnet_id("snet-gw-a")],
    ids=["subscription", "group", "service", "vnet", "subnet"],
)
def test_create_at_any_scope_answers_201_with_the_real_body(sim, scope):
    name = _name(scope, READER, ALICE)
    path = (
        f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version=2022-04-01"
    )
    body = {"properties": {"roleDefinitionId": _role(READER), "principalId": ALICE}}
    status, headers, got = sim.raw("PUT", path, body)
    assert status == 201
    assert "Azure-AsyncOperation" not in headers and "Location" not in headers
    assert got["id"] == f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
    assert got["type"] == "Microsoft.Authorization/roleAssignments"
    assert got["name"] == name
    props = got["properties"]
    # Subscription-qualified although the request sent /providers/... (REC-role).
    assert props["roleDefinitionId"] == _role(READER, qualified=True)
    assert props["principalId"] == ALICE
    assert props["principalType"] == "User"  # filled from the directory
    assert props["scope"] == scope
    for absent in ("condition", "conditionVersion", "createdBy", "description"):
        assert props[absent] is None
    assert props["delegatedManagedIdentityResourceId"] is None
    assert props["createdOn"] and props["updatedOn"] and props["updatedBy"]


def test_sdk_create_get_and_list(authz):
    name = _name(APIM_ID, READER, BOB)
    created = authz.role_assignments.create(APIM_ID, name, _params(BOB))
    assert created.role_definition_id == _role(READER, qualified=True)
    got = authz.role_assignments.get(APIM_ID, name)
    assert got.principal_id == BOB and got.scope == APIM_ID
    assert authz.role_assignments.get_by_id(created.id).name == name


def test_group_and_service_principal_assignments(authz):
    for principal, ptype in ((GROUP, "Group"), (SP, "ServicePrincipal")):
        ra = authz.role_assignments.create(
            APIM_ID, _name(APIM_ID, READER, principal), _params(principal, principal_type=ptype)
        )
        assert ra.principal_type == ptype


def test_run_twice_same_name_same_properties_succeeds(authz, sim):
    name = _name(APIM_ID, READER, ALICE)
    first = authz.role_assignments.create(APIM_ID, name, _params(ALICE))
    second = authz.role_assignments.create(APIM_ID, name, _params(ALICE))
    assert second.id == first.id
    puts = [r["status"] for r in sim.requests() if r["method"] == "PUT"]
    assert puts == [201, 200]
    assert len(list(authz.role_assignments.list_for_scope(APIM_ID, filter="atScope()"))) == 1


def test_same_name_other_role_is_update_not_permitted(authz):
    name = _name(APIM_ID, READER, ALICE)
    authz.role_assignments.create(APIM_ID, name, _params(ALICE))
    with pytest.raises(HttpResponseError) as err:
        authz.role_assignments.create(APIM_ID, name, _params(ALICE, role=CONTRIBUTOR))
    assert err.value.status_code == 400
    assert err.value.error.code == "RoleAssignmentUpdateNotPermitted"


def test_other_name_same_assignment_is_role_assignment_exists(authz):
    existing = str(uuid.uuid4())
    authz.role_assignments.create(APIM_ID, existing, _params(ALICE))
    with pytest.raises(ResourceExistsError) as err:
        authz.role_assignments.create(APIM_ID, str(uuid.uuid4()), _params(ALICE))
    assert err.value.status_code == 409
    assert err.value.error.code == "RoleAssignmentExists"
    # Since 2025 ARM names the existing assignment without hyphens (azure-cli#31995).
    assert existing.replace("-", "") in err.value.error.message


def test_unknown_principal_is_principal_not_found(authz):
    # Without principalType, as ARM checks the directory only then (see the switch tests below).
    stranger = "dead0000-0000-4000-8000-00000000beef"
    with pytest.raises(HttpResponseError) as err:
        authz.role_assignments.create(
            APIM_ID, str(uuid.uuid4()), _params(stranger, principal_type=None)
        )
    assert err.value.status_code == 400
    assert err.value.error.code == "PrincipalNotFound"
    assert stranger.replace("-", "") in err.value.error.message
    assert TENANT in err.value.error.message


def test_replication_delay_is_transient_even_with_principal_type(own_simulator):
    sim = SimControl(own_simulator)
    sim.call("POST", "/_sim/reset")
    sim.timings(directoryCheckWithPrincipalType="performed")
    authz = AuthorizationManagementClient(StaticToken(), SUB, **_kwargs(own_simulator))
    # Carol is seeded with a 120 s replication delay.
    name = _name(APIM_ID, READER, CAROL)
    with pytest.raises(HttpResponseError) as err:
        authz.role_assignments.create(APIM_ID, name, _params(CAROL))
    assert err.value.error.code == "PrincipalNotFound"
    sim.advance(minutes=3)
    assert authz.role_assignments.create(APIM_ID, name, _params(CAROL)).principal_id == CAROL


def test_principal_flag_lets_principal_type_skip_the_delay(authz, sim):
    sim.timings(directoryCheckWithPrincipalType="performed")
    fresh = "f2e50000-0000-4000-8000-000000000006"
    added = sim.call(
        "POST",
        "/_sim/directory/principals",
        {
            "id": fresh,
            "type": "ServicePrincipal",
            "displayName": "new-app",
            "replicationDelaySeconds": 600,
            "principalTypeSkipsReplicationDelay": True,
        },
    )
    assert added["id"] == fresh and added["replicationDelaySeconds"] == 600
    with pytest.raises(HttpResponseError) as err:
        authz.role_assignments.create(
            APIM_ID, str(uuid.uuid4()), _params(fresh, principal_type=None)
        )
    assert err.value.error.code == "PrincipalNotFound"
    ra = authz.role_assignments.create(
        APIM_ID, str(uuid.uuid4()), _params(fresh, principal_type="ServicePrincipal")
    )
    assert ra.principal_type == "ServicePrincipal"


def test_added_principal_is_in_the_directory_state(sim):
    sim.call(
        "POST",
        "/_sim/directory/principals",
        {"id": "f2e50000-0000-4000-8000-000000000007", "type": "Group", "displayName": "g"},
    )
    directory = sim.state()["directory"]
    assert directory["tenantId"] == TENANT
    ids = {p["id"] for p in directory["principals"]}
    assert {ALICE, BOB, GROUP, SP, CAROL, "f2e50000-0000-4000-8000-000000000007"} <= ids


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "not-a-guid", "type": "User", "displayName": "x"},
        {"id": "f2e50000-0000-4000-8000-000000000008", "type": "Robot", "displayName": "x"},
        {"id": "f2e50000-0000-4000-8000-000000000008", "type": "User"},
        {
            "id": "f2e50000-0000-4000-8000-000000000008",
            "type": "User",
            "displayName": "x",
            "replicationDelaySeconds": -1,
        },
    ],
)
def test_invalid_principals_are_refused(sim, bad):
    with pytest.raises(urllib.error.HTTPError) as err:
        sim.call("POST", "/_sim/directory/principals", bad)
    assert err.value.code == 400


def test_principal_type_mismatch_is_unmatched_principal_type(authz):
    with pytest.raises(HttpResponseError) as err:
        authz.role_assignments.create(
            APIM_ID, str(uuid.uuid4()), _params(GROUP, principal_type="User")
        )
    assert err.value.error.code == "UnmatchedPrincipalType"


def test_unknown_role_definition(authz):
    params = _params(ALICE)
    params["role_definition_id"] = _role("00000000-1111-4222-8333-444444444444")
    with pytest.raises(HttpResponseError) as err:
        authz.role_assignments.create(APIM_ID, str(uuid.uuid4()), params)
    assert err.value.status_code == 400
    assert err.value.error.code == "RoleDefinitionDoesNotExist"


def test_malformed_role_definition_id(authz):
    params = _params(ALICE)
    params["role_definition_id"] = "Reader"
    with pytest.raises(HttpResponseError) as err:
        authz.role_assignments.create(APIM_ID, str(uuid.uuid4()), params)
    assert err.value.error.code == "InvalidRoleDefinitionId"


def test_assignment_name_must_be_a_guid(authz):
    with pytest.raises(HttpResponseError) as err:
        authz.role_assignments.create(APIM_ID, "alice-reader", _params(ALICE))
    assert err.value.status_code == 400
    assert err.value.error.code == "InvalidRoleAssignmentId"


def test_principal_id_must_be_a_guid(authz):
    with pytest.raises(HttpResponseError) as err:
        authz.role_assignments.create(APIM_ID, str(uuid.uuid4()), _params("alice"))
    assert err.value.error.code == "InvalidPrincipalId"


@pytest.mark.parametrize(
    ("scope", "code"),
    [
        (VNET_ID.replace("vnet-apim", "vnet-nope"), "ResourceNotFound"),
        (subnet_id("snet-nope"), "ResourceNotFound"),
        (f"/subscriptions/{SUB}/resourceGroups/rg-nope", "ResourceGroupNotFound"),
        ("/subscriptions/00000000-aaaa-4bbb-8ccc-000000000000", "SubscriptionNotFound"),
    ],
)
def test_scope_that_does_not_exist_is_not_found(authz, scope, code):
    with pytest.raises(ResourceNotFoundError) as err:
        authz.role_assignments.create(scope, str(uuid.uuid4()), _params(ALICE))
    assert err.value.error.code == code


def test_scope_of_a_type_nobody_simulates_is_accepted(authz):
    scope = f"{RG_SCOPE}/providers/Microsoft.Storage/storageAccounts/stcontoso"
    assert authz.role_assignments.create(scope, str(uuid.uuid4()), _params(ALICE)).scope == scope


def test_get_missing_assignment(authz):
    with pytest.raises(ResourceNotFoundError) as err:
        authz.role_assignments.get(APIM_ID, str(uuid.uuid4()))
    assert err.value.error.code == "RoleAssignmentNotFound"


def test_delete_answers_200_with_the_body_then_204(authz, sim):
    name = _name(APIM_ID, READER, ALICE)
    authz.role_assignments.create(APIM_ID, name, _params(ALICE))
    deleted = authz.role_assignments.delete(APIM_ID, name)
    assert deleted.name == name and deleted.principal_id == ALICE
    assert authz.role_assignments.delete(APIM_ID, name) is None
    assert [r["status"] for r in sim.requests() if r["method"] == "DELETE"] == [200, 204]


def test_list_filters_follow_arm_inheritance(authz):
    at_sub = authz.role_assignments.create(SUB_SCOPE, str(uuid.uuid4()), _params(BOB))
    at_apim = authz.role_assignments.create(APIM_ID, str(uuid.uuid4()), _params(ALICE))
    at_rg = authz.role_assignments.create(RG_SCOPE, str(uuid.uuid4()), _params(ALICE))

    def names(scope: str, filter_: str | None = None) -> set[str]:
        return {a.name for a in authz.role_assignments.list_for_scope(scope, filter=filter_)}

    # atScope(): at or above the scope; no filter: also below it.
    assert names(RG_SCOPE, "atScope()") == {at_sub.name, at_rg.name}
    assert names(RG_SCOPE) == {at_sub.name, at_rg.name, at_apim.name}
    assert names(APIM_ID, "atScope()") == {at_sub.name, at_rg.name, at_apim.name}
    assert names(SUB_SCOPE, f"principalId eq '{ALICE}'") == {at_apim.name, at_rg.name}
    assert names(APIM_ID, f"atScope() and principalId eq '{BOB}'") == {at_sub.name}
    listed = {a.name for a in authz.role_assignments.list_for_subscription()}
    assert listed == {at_sub.name, at_rg.name, at_apim.name}


def test_assignments_are_in_state_and_can_be_seeded(authz, sim):
    name = str(uuid.uuid4())
    assignment_id = f"{VNET_ID}/providers/Microsoft.Authorization/roleAssignments/{name}"
    sim.call(
        "POST",
        "/_sim/seed",
        {
            "resources": [
                {
                    "id": assignment_id,
                    "properties": {"roleDefinitionId": _role(READER), "principalId": BOB},
                }
            ]
        },
    )
    state = sim.resource(assignment_id)
    assert state is not None and state["type"] == "Microsoft.Authorization/roleAssignments"
    assert authz.role_assignments.get(VNET_ID, name).principal_type == "User"
    with pytest.raises(ResourceExistsError):
        authz.role_assignments.create(VNET_ID, str(uuid.uuid4()), _params(BOB))


# --- the directory check when principalType is set (switch directoryCheckWithPrincipalType) ---

STRANGER = "dead0000-0000-4000-8000-00000000beef"


def test_with_principal_type_arm_skips_the_directory_check_by_default(authz, sim):
    # A mistyped principal id with principalType becomes a grant: the orphan real ARM makes.
    assert sim.call("GET", "/_sim/timings")["directoryCheckWithPrincipalType"] == "skipped"
    made = authz.role_assignments.create(
        APIM_ID, str(uuid.uuid4()), _params(STRANGER, principal_type="User")
    )
    assert made.principal_id == STRANGER and made.principal_type == "User"
    assert sim.resource(made.id) is not None


def test_with_principal_type_a_replicating_principal_is_granted_at_once_by_default(own_simulator):
    sim = SimControl(own_simulator)
    sim.call("POST", "/_sim/reset")
    authz = AuthorizationManagementClient(StaticToken(), SUB, **_kwargs(own_simulator))
    made = authz.role_assignments.create(APIM_ID, str(uuid.uuid4()), _params(CAROL))  # 120 s
    assert made.principal_type == "User"


@pytest.mark.parametrize("check", ["skipped", "performed"])
def test_without_principal_type_the_directory_is_always_checked(authz, sim, check):
    sim.timings(directoryCheckWithPrincipalType=check)
    with pytest.raises(HttpResponseError) as err:
        authz.role_assignments.create(
            APIM_ID, str(uuid.uuid4()), _params(STRANGER, principal_type=None)
        )
    assert err.value.error.code == "PrincipalNotFound"
    made = authz.role_assignments.create(
        APIM_ID, str(uuid.uuid4()), _params(GROUP, principal_type=None)
    )
    assert made.principal_type == "Group"  # filled from the directory


def test_the_directory_check_with_principal_type_can_be_switched_on(authz, sim):
    sim.timings(directoryCheckWithPrincipalType="performed")
    with pytest.raises(HttpResponseError) as err:
        authz.role_assignments.create(
            APIM_ID, str(uuid.uuid4()), _params(STRANGER, principal_type="User")
        )
    assert err.value.error.code == "PrincipalNotFound"
    assert [a for a in sim.state()["resources"] if "roleAssignments" in a["type"]] == []


@pytest.mark.parametrize("check", ["skipped", "performed"])
def test_a_principal_found_with_another_type_is_unmatched_under_both_values(authz, sim, check):
    sim.timings(directoryCheckWithPrincipalType=check)
    with pytest.raises(HttpResponseError) as err:
        authz.role_assignments.create(
            APIM_ID, str(uuid.uuid4()), _params(GROUP, principal_type="User")
        )
    assert err.value.error.code == "UnmatchedPrincipalType"


def test_the_switch_refuses_other_values(sim):
    status, _, body = sim.raw("POST", "/_sim/timings", {"directoryCheckWithPrincipalType": "maybe"})
    assert status == 400
    assert "skipped" in body["error"]["message"] and "performed" in body["error"]["message"]
