"""The app identity's rights: ABAC-constrained role assignment and nothing above the named scopes.

Static checks on the parsed Bicep (no deployment needed): which roles the ABAC condition lets the
app grant, at which scopes every role assignment lands, and what each custom role may do.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.infra import bicep_model as bm

ALL_NINE = {gid for roles in bm.NINE_ROLES.values() for gid in roles.values()}
GUID_SET = re.compile(r"ForAnyOfAnyValues:GuidEquals \{([^}]*)\}")
TARGET_PARAMS = {"apimServices", "allowedVnets", "gatewayResourceGroups", "dnsResourceGroups"}
# Built-in roles an assignment may use: data-plane roles on the app's own resources, and the
# RBAC Administrator (which must carry the ABAC condition).
BUILT_IN_ALLOWED = {
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe",  # Storage Blob Data Contributor
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88",  # Storage Queue Data Contributor
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",  # Storage Table Data Contributor
    "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0",  # Azure Service Bus Data Receiver
    "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39",  # Azure Service Bus Data Sender
    "3913510d-42f4-4e42-8a64-420c390055eb",  # Monitoring Metrics Publisher
    "0ad04412-c4d5-4796-b79c-f76d14c8d402",  # Durable Task Data Contributor
    bm.RBAC_ADMINISTRATOR,
}
RBAC_MODULES = sorted(p.name for p in bm.MODULES.glob("rbac-*.bicep"))
# The one grant to another principal than the app's identity (gatewayPushSignal): the gateway
# groups' Event Grid system topics may send to the queue gateway-events; checked on its own
# below (test_the_push_signal_topics_may_only_send_to_their_queue).
OTHER_PRINCIPALS = {("rbac-app.bicep", "gatewayEventsSender"): "senderId"}


# ------------------------------------------------------------------ the ABAC condition


def _condition_template() -> str:
    parsed = bm.module("rbac-delegation.bicep")
    join = bm.variable(parsed, "roleList")["function"]
    assert join["type"] == "join"
    assert join["parameters"] == {"input_array": "assignableRoleIds", "delimiter": ", "}
    return bm.bicep_string(bm.variable(parsed, "condition"))


def _render(role_ids: list[str]) -> str:
    """The condition ARM receives for this list (Bicep's join(assignableRoleIds, ', '))."""
    return _condition_template().replace("${roleList}", ", ".join(role_ids))


def _guid_sets(condition: str) -> list[set[str]]:
    return [{g.strip() for g in m.split(",") if g.strip()} for m in GUID_SET.findall(condition)]


def _default_role_ids(scope: str) -> list[str]:
    main = bm.main()
    param = {"service": "allowedRolesService", "workspace": "allowedRolesWorkspace",
             "gateway": "allowedRolesGateway"}[scope]  # fmt: skip
    by_name = {bm.unquote(k): v for k, v in bm.variable(main, "roleIdsByName").items()}
    return [by_name[name] for name in bm.param_default(main, param)]


def test_condition_constrains_write_by_request_and_delete_by_resource() -> None:
    condition = _condition_template()
    write, delete = condition.split(") AND (")
    assert "!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})" in write
    assert "@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId]" in write
    assert "!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})" in delete
    assert "@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId]" in delete
    assert condition.count("ForAnyOfAnyValues:GuidEquals {${roleList}}") == 2


def test_condition_at_service_scope_lists_exactly_the_allowed_service_and_workspace_roles() -> None:
    allowed = _default_role_ids("service") + _default_role_ids("workspace")
    sets = _guid_sets(_render(allowed))
    assert sets == [set(allowed), set(allowed)]
    assert set(allowed) == set(bm.NINE_ROLES["service"].values()) | set(
        bm.NINE_ROLES["workspace"].values()
    )


def test_condition_at_gateway_scope_lists_only_reader_by_default() -> None:
    allowed = _default_role_ids("gateway")
    assert _guid_sets(_render(allowed)) == [{bm.NINE_ROLES["gateway"]["Reader"]}] * 2


def test_role_table_in_main_is_exactly_the_nine_roles_of_the_reference() -> None:
    table = {bm.unquote(k): v for k, v in bm.variable(bm.main(), "roleIdsByName").items()}
    expected = {name: gid for roles in bm.NINE_ROLES.values() for name, gid in roles.items()}
    assert table == expected


@pytest.mark.parametrize("scope", ["service", "workspace", "gateway"])
def test_policy_parameters_only_accept_the_roles_of_their_scope(scope: str) -> None:
    param = {"service": "allowedRolesService", "workspace": "allowedRolesWorkspace",
             "gateway": "allowedRolesGateway"}[scope]  # fmt: skip
    assert set(bm.allowed_values(bm.main(), param)) == set(bm.NINE_ROLES[scope])


def test_main_passes_the_per_scope_role_lists_to_the_delegations() -> None:
    main = bm.main()
    svc = bm.variable(main, "apimAssignableRoleIds")["function"]
    assert svc["type"] == "concat"
    assert list(svc["parameters"].values()) == ["serviceRoleIds", "workspaceRoleIds"]
    assert bm.body(main["modules"]["rbacApim"])["params"]["assignableRoleIds"] == (
        "apimAssignableRoleIds"
    )
    assert bm.body(main["modules"]["rbacGateways"])["params"]["assignableRoleIds"] == (
        "gatewayRoleIds"
    )
    for name in ("rbac-apim.bicep", "rbac-gateways.bicep"):
        delegation = bm.module(name)["modules"]["delegation"]
        assert bm.body(delegation)["params"]["assignableRoleIds"] == "assignableRoleIds"


def test_rbac_administrator_is_only_ever_granted_with_the_condition() -> None:
    for name in RBAC_MODULES:
        parsed = bm.module(name)
        for rname, decl in bm.resources_of_type(parsed, bm.ROLE_ASSIGNMENT).items():
            props = bm.body(decl)["properties"]
            if bm.RBAC_ADMINISTRATOR in _built_in_ids(decl, parsed):
                assert name == "rbac-delegation.bicep", f"{name}:{rname}"
                assert props["condition"] == "condition"
                assert props["conditionVersion"] == "2.0"


# ------------------------------------------------------------------ scopes of every assignment


def _built_in_ids(decl: dict[str, Any], parsed: dict[str, Any]) -> set[str]:
    """GUIDs of the built-in role an assignment uses (a loop may use several); empty = custom."""
    role_ref = bm.body(decl)["properties"]["roleDefinitionId"]
    if isinstance(role_ref, dict) and "function" in role_ref:
        fn = role_ref["function"]
        assert fn["type"] == "subscription_resource_id"
        assert fn["parameters"]["resource_type"] == bm.ROLE_DEFINITION
        ref = fn["parameters"]["resource_name_1"]
        loop = bm.loop_of(decl)
        if loop is not None and ref == loop["detail"]["item_name"]:
            items = bm.variable(parsed, loop["detail"]["array_name"])
            return {_scalar(item, parsed) for item in items}
        return {_scalar(ref, parsed)}
    operands = role_ref["operator"]["operands"]
    assert operands["operand_2"] == "id"
    assert operands["operand_1"] in bm.resources_of_type(parsed, bm.ROLE_DEFINITION)
    return set()


def _scalar(ref: Any, parsed: dict[str, Any]) -> str:
    """A GUID written as a variable name, a ``table.key`` access, or a literal."""
    if isinstance(ref, dict):
        operands = ref["operator"]["operands"]
        return str(bm.variable(parsed, operands["operand_1"])[operands["operand_2"]])
    if ref in (parsed.get("variables") or {}):
        return str(bm.variable(parsed, ref))
    return str(ref)


def _dependencies(name: str, parsed: dict[str, Any]) -> set[str]:
    """The parameters a main.bicep variable (or parameter) is computed from."""
    if name in parsed["parameters"]:
        return {name}
    found: set[str] = set()
    for leaf in _leaves(bm.variable(parsed, name)):
        if leaf in parsed["parameters"] or leaf in parsed["variables"]:
            found |= _dependencies(leaf, parsed)
    return found


def _leaves(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return []


def test_main_itself_grants_nothing() -> None:
    assert not bm.resources_of_type(bm.main(), bm.ROLE_ASSIGNMENT)
    assert not bm.resources_of_type(bm.main(), bm.ROLE_DEFINITION)


def test_only_rbac_modules_grant_roles() -> None:
    for path in bm.MODULES.glob("*.bicep"):
        if not path.name.startswith("rbac-"):
            assert not bm.resources_of_type(bm.parse(path), bm.ROLE_ASSIGNMENT), path.name


def test_rbac_modules_are_deployed_only_into_parameter_named_scopes() -> None:
    main = bm.main()
    for name, decl in main["modules"].items():
        if not decl["detail"]["path"].startswith("modules/rbac-"):
            continue
        scope = bm.body(decl)["scope"]
        if scope == "rg":
            assert decl["detail"]["path"] == "modules/rbac-app.bicep", name
            continue
        loop = bm.loop_of(decl)
        assert loop is not None, f"{name} must iterate over a target list"
        roots = _dependencies(loop["detail"]["array_name"], main)
        assert roots and roots <= TARGET_PARAMS, f"{name} iterates over {roots}"
        kind = scope["function"]["type"]
        if kind == "subscription":
            assert decl["detail"]["path"] == "modules/rbac-providers.bicep", name
            assert roots == {"allowedVnets"}
        else:
            assert kind == "resource_group", name


@pytest.mark.parametrize("name", RBAC_MODULES)
def test_every_assignment_targets_this_group_or_a_named_resource_in_it(name: str) -> None:
    parsed = bm.module(name)
    existing = {r for r, d in (parsed.get("resources") or {}).items() if d.get("existing")}
    for rname, decl in bm.resources_of_type(parsed, bm.ROLE_ASSIGNMENT).items():
        scope = bm.body(decl).get("scope")
        if scope is None:  # the deployment scope: a target resource group (or subscription)
            continue
        symbol = scope if isinstance(scope, str) else scope["operator"]["operands"]["operand_1"]
        assert symbol in existing, f"{name}:{rname} scope {scope!r}"
        target = bm.body(parsed["resources"][symbol])["name"]
        assert target in parsed["parameters"] or bm.loop_of(parsed["resources"][symbol]), (
            f"{name}:{rname} targets {target!r}, which no parameter names"
        )


def test_the_only_subscription_scope_grant_is_the_provider_reader() -> None:
    for path in bm.MODULES.glob("rbac-*.bicep"):
        if bm.target_scope(bm.parse(path)) == "subscription":
            assert path.name == "rbac-providers.bicep"
    parsed = bm.module("rbac-providers.bicep")
    actions = bm.variable(parsed, "actions")["operator"]["operands"]
    assert actions["condition"] == "allowWebProviderRegistration"
    assert actions["false_value"] == ["Microsoft.Resources/subscriptions/providers/read"]
    assert set(actions["true_value"]) == {
        "Microsoft.Resources/subscriptions/providers/read",
        "Microsoft.Web/register/action",
    }
    assert bm.param_default(parsed, "allowWebProviderRegistration") is False
    for decl in bm.resources_of_type(parsed, bm.ROLE_ASSIGNMENT).values():
        assert _built_in_ids(decl, parsed) == set()


@pytest.mark.parametrize("name", RBAC_MODULES)
def test_assignments_use_custom_roles_or_allowed_built_ins_only(name: str) -> None:
    parsed = bm.module(name)
    for rname, decl in bm.resources_of_type(parsed, bm.ROLE_ASSIGNMENT).items():
        props = bm.body(decl)["properties"]
        ids = _built_in_ids(decl, parsed)
        assert ids <= BUILT_IN_ALLOWED, f"{name}:{rname} grants {ids}"
        assert props["principalId"] == OTHER_PRINCIPALS.get((name, rname), "principalId")
        assert props["principalType"] == "ServicePrincipal"


def test_the_push_signal_topics_may_only_send_to_their_queue() -> None:
    parsed = bm.module("rbac-app.bicep")
    decl = bm.resources_of_type(parsed, bm.ROLE_ASSIGNMENT)["gatewayEventsSender"]
    assert decl["config"]["loop_type"]["detail"]["array_name"] == "gatewayEventSenderIds"
    assert _built_in_ids(decl, parsed) == {"69a216fc-b8fb-44d8-bc22-1f3c2cd27a39"}  # Data Sender
    assert bm.body(decl)["scope"] == "gatewayEventsQueue"
    queue = parsed["resources"]["gatewayEventsQueue"]
    assert queue["existing"] and queue["type"] == "Microsoft.ServiceBus/namespaces/queues"
    assert bm.param_default(parsed, "gatewayEventSenderIds") == []  # none without the signal


@pytest.mark.parametrize("name", RBAC_MODULES)
def test_assignment_names_are_guid_of_scope_principal_and_role(name: str) -> None:
    parsed = bm.module(name)
    for rname, decl in bm.resources_of_type(parsed, bm.ROLE_ASSIGNMENT).items():
        fn = bm.body(decl)["name"]["function"]
        assert fn["type"] == "guid", f"{name}:{rname}"
        args = list(fn["parameters"].values())
        principal = OTHER_PRINCIPALS.get((name, rname), "principalId")
        assert len(args) == 3 and args[1] == principal, f"{name}:{rname} {args}"


@pytest.mark.parametrize("name", RBAC_MODULES)
def test_custom_roles_are_assignable_only_where_they_are_defined(name: str) -> None:
    parsed = bm.module(name)
    expected = "subscription" if bm.target_scope(parsed) == "subscription" else "resource_group"
    for decl in bm.resources_of_type(parsed, bm.ROLE_DEFINITION).values():
        (scope,) = bm.body(decl)["properties"]["assignableScopes"]
        assert scope["operator"]["operands"]["operand_1"]["function"]["type"] == expected
        assert scope["operator"]["operands"]["operand_2"] == "id"


def _custom_actions() -> dict[str, list[str]]:
    out = {}
    for name in RBAC_MODULES:
        parsed = bm.module(name)
        for rname, decl in bm.resources_of_type(parsed, bm.ROLE_DEFINITION).items():
            if name == "rbac-providers.bicep":
                ops = bm.variable(parsed, "actions")["operator"]["operands"]
                out[f"{name}:{rname}"] = list(ops["true_value"])
            else:
                out[f"{name}:{rname}"] = bm.role_actions(decl, parsed)
    return out


def test_custom_roles_have_no_wildcards_and_no_authorization_writes() -> None:
    for role, actions in _custom_actions().items():
        assert actions, role
        for action in actions:
            assert "*" not in action, f"{role}: {action}"
            assert not action.startswith("Microsoft.Authorization/"), f"{role}: {action}"


def test_network_roles_hold_exactly_the_actions_the_network_steps_need() -> None:
    actions = _custom_actions()
    ops = {"Microsoft.Network/locations/operations/read",
           "Microsoft.Network/locations/operationResults/read"}  # fmt: skip
    assert set(actions["rbac-network.bicep:subnetRole"]) == ops | {
        "Microsoft.Network/virtualNetworks/subnets/read",
        "Microsoft.Network/virtualNetworks/subnets/write",
        "Microsoft.Network/virtualNetworks/subnets/join/action",
    }
    assert set(actions["rbac-network.bicep:vnetRole"]) == {
        "Microsoft.Network/virtualNetworks/read",
        "Microsoft.Network/virtualNetworks/join/action",
    }
    assert set(actions["rbac-network.bicep:nsgRole"]) == ops | {
        f"Microsoft.Network/networkSecurityGroups/{a}"
        for a in ("read", "write", "delete", "join/action", "securityRules/read",
                  "securityRules/write", "securityRules/delete")
    }  # fmt: skip


def test_subnet_role_is_assigned_per_allowed_subnet_not_on_the_vnet() -> None:
    parsed = bm.module("rbac-network.bicep")
    decl = parsed["resources"]["subnetAssignments"]
    loop = bm.loop_of(decl)
    assert loop is not None and loop["detail"]["array_name"] == "subnetNames"
    scope = bm.body(decl)["scope"]["operator"]
    assert scope["type"] == "index_accessor" and scope["operands"]["operand_1"] == "subnets"


def test_deploy_doc_lists_every_custom_role_action() -> None:
    doc = (bm.ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    missing = sorted({a for acts in _custom_actions().values() for a in acts if a not in doc})
    assert not missing, f"docs/deploy.md permission table lacks {missing}"
