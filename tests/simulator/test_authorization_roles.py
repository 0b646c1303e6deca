"""Role definitions through the real AuthorizationManagementClient: lookup by name and by id."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from tests.simulator.conftest import APIM_ID, SUB, VNET_ID

BUILT_INS = {
    "API Management Service Workspace API Developer": "9565a273-41b9-4368-97d2-aeb0c976a9b3",
    "API Management Service Workspace API Product Manager": "d59a3e9c-6d52-4a5a-aeed-6bf3cf0e31da",
    "API Management Workspace Reader": "ef1c2c96-4a77-49e8-b9a4-6179fe1d2fd2",
    "API Management Workspace Contributor": "0c34c906-8d99-4cb7-8bb7-33f5b0a1a799",
    "API Management Workspace API Developer": "56328988-075d-4c6a-8766-d93edd6725b6",
    "API Management Workspace API Product Manager": "73c2c328-d004-4c5e-938c-35c6f5679a1f",
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
}


@pytest.mark.parametrize(("name", "guid"), sorted(BUILT_INS.items()))
def test_each_built_in_is_found_by_name_with_a_subscription_qualified_id(authz, name, guid):
    found = list(authz.role_definitions.list(APIM_ID, filter=f"roleName eq '{name}'"))
    assert len(found) == 1
    role = found[0]
    assert (
        role.id == f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    )
    assert role.name == guid
    assert role.role_name == name
    assert role.role_type == "BuiltInRole"
    assert role.assignable_scopes == ["/"]
    assert role.permissions and role.permissions[0].actions


def test_role_name_match_ignores_case(authz):
    # REC-role: 'reader' finds Reader.
    found = list(
        authz.role_definitions.list(f"/subscriptions/{SUB}", filter="roleName eq 'reader'")
    )
    assert [r.role_name for r in found] == ["Reader"]


def test_unknown_role_name_finds_nothing(authz):
    assert list(authz.role_definitions.list(VNET_ID, filter="roleName eq 'No Such Role'")) == []


def test_tenant_scope_ids_are_not_subscription_qualified(authz):
    found = list(authz.role_definitions.list("/", filter="roleName eq 'Owner'"))
    assert found[0].id == (
        "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
    )


def test_list_without_filter_has_the_nine_built_ins(authz):
    names = {r.role_name for r in authz.role_definitions.list(f"/subscriptions/{SUB}")}
    assert set(BUILT_INS) <= names


def test_get_by_id_and_missing(authz):
    role = authz.role_definitions.get(f"/subscriptions/{SUB}", BUILT_INS["Contributor"])
    assert role.role_name == "Contributor"
    assert "Microsoft.Authorization/*/Write" in role.permissions[0].not_actions
    by_id = authz.role_definitions.get_by_id(role.id)
    assert by_id.name == BUILT_INS["Contributor"]
    with pytest.raises(ResourceNotFoundError) as err:
        authz.role_definitions.get(f"/subscriptions/{SUB}", "00000000-1111-4222-8333-444444444444")
    assert err.value.error.code == "RoleDefinitionDoesNotExist"


def test_unsupported_filter_is_loud(authz):
    with pytest.raises(HttpResponseError) as err:
        list(
            authz.role_definitions.list(f"/subscriptions/{SUB}", filter="startswith(roleName,'A')")
        )
    assert err.value.status_code == 501


def test_lookup_at_a_missing_scope_is_not_found(authz):
    with pytest.raises(ResourceNotFoundError) as err:
        list(authz.role_definitions.list(VNET_ID.replace("rg-network", "rg-nope")))
    assert err.value.error.code == "ResourceGroupNotFound"


def test_custom_role_from_a_seed(authz, sim):
    guid = "c0570000-0000-4000-8000-000000000001"
    sim.call("POST", "/_sim/seed", {"roleDefinitions": [{"id": guid, "roleName": "Gateway Ops"}]})
    found = list(
        authz.role_definitions.list(f"/subscriptions/{SUB}", filter="roleName eq 'gateway ops'")
    )
    assert [(r.name, r.role_type) for r in found] == [(guid, "CustomRole")]
