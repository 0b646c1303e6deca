"""cli/infra_grants.py reads what infra/ grants the app identity from the Bicep itself.

The local stack and tests/activities/test_infra_permissions.py seed the simulator with this, so
it must follow the Bicep: every rbac module's custom roles per target, the assignments at the
scopes the modules name, the ABAC condition with the allowed role ids, and parameter changes.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from cli.infra_grants import LOCAL_PARAMETERS, BicepError, Grants, infra_grants
from tests.infra import bicep_model as bm

APP = "a9900000-0000-4000-8000-0000000000a1"
SUB = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"
APIM = f"/subscriptions/{SUB}/resourceGroups/rg-apim/providers/Microsoft.ApiManagement/service/apim-contoso"


@pytest.fixture(scope="module")
def grants() -> Grants:
    return infra_grants(APP)


def _at(grants: Grants, scope: str) -> list[dict[str, object]]:
    prefix = scope.lower() + "/providers/microsoft.authorization/roleassignments/"
    return [a for a in grants.assignments if str(a["id"]).lower().startswith(prefix)]


def test_custom_role_actions_are_the_bicep_ones(grants: Grants) -> None:
    parsed = bm.module("rbac-network.bicep")
    subnet_role = bm.resources_of_type(parsed, bm.ROLE_DEFINITION)["subnetRole"]
    expected = set(bm.role_actions(subnet_role, parsed))
    subnet_roles = [d for d in grants.role_definitions if "subnet operator" in str(d["roleName"])]
    assert len(subnet_roles) == len(LOCAL_PARAMETERS["allowedVnets"])
    for role in subnet_roles:
        assert set(role["permissions"][0]["actions"]) == expected


def test_assignments_land_on_the_scopes_the_modules_name(grants: Grants) -> None:
    vnet = LOCAL_PARAMETERS["allowedVnets"][0]
    base = f"/subscriptions/{vnet['subscriptionId']}/resourceGroups/{vnet['resourceGroupName']}"
    vnet_id = f"{base}/providers/Microsoft.Network/virtualNetworks/{vnet['vnetName']}"
    for subnet in vnet["subnetNames"]:
        assert len(_at(grants, f"{vnet_id}/subnets/{subnet}")) == 1, subnet
    assert len(_at(grants, vnet_id)) == 1
    assert len(_at(grants, base)) == 1  # the NSG role on the VNet's group
    assert all(a["properties"]["principalId"] == APP for a in grants.assignments)  # type: ignore[index]


def test_rbac_administrator_carries_the_condition_with_the_allowed_roles(grants: Grants) -> None:
    at_service = [
        a for a in _at(grants, APIM)
        if str(a["properties"]["roleDefinitionId"]).endswith(bm.RBAC_ADMINISTRATOR)  # type: ignore[index]
    ]  # fmt: skip
    assert len(at_service) == 1
    props = at_service[0]["properties"]
    condition = str(props["condition"])  # type: ignore[index]
    assert props["conditionVersion"] == "2.0"  # type: ignore[index]
    assert (
        "\\'" not in condition
        and "ActionMatches{'Microsoft.Authorization/roleAssignments/write'}" in condition
    )
    for role_id in {**bm.NINE_ROLES["service"], **bm.NINE_ROLES["workspace"]}.values():
        assert role_id in condition
    assert bm.NINE_ROLES["gateway"]["Owner"] not in condition


def test_parameters_change_the_grants_as_the_bicep_says() -> None:
    params = copy.deepcopy(LOCAL_PARAMETERS)
    params["allowedRolesGateway"] = []
    params["allowWebProviderRegistration"] = True
    changed = infra_grants(APP, params)
    group = f"/subscriptions/{SUB}/resourceGroups/rg-apim"
    assert not any(
        str(a["properties"]["roleDefinitionId"]).endswith(bm.RBAC_ADMINISTRATOR)  # type: ignore[index]
        for a in _at(changed, group)
    )
    assert "Microsoft.Web/register/action" in changed.custom_actions()
    assert "Microsoft.Web/register/action" not in infra_grants(APP).custom_actions()


def test_bicep_outside_the_evaluated_subset_fails_loudly(tmp_path: Path) -> None:
    main = tmp_path / "main.bicep"
    main.write_text(
        "targetScope = 'subscription'\n"
        "module m 'modules/rbac-x.bicep' = {\n  name: 'm'\n  params: {\n    p: base64('x')\n  }\n}\n"
    )
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "rbac-x.bicep").write_text("param p string\n")
    with pytest.raises(BicepError, match="not evaluated"):
        infra_grants(APP, {}, main=main)
