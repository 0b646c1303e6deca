"""Guardrails alone: each rule, each default, case-insensitive ids, and the settings loader."""

from __future__ import annotations

import json

import pytest

from shared.guardrails import DEFAULT_WORKSPACE_NAME_PATTERN, Guardrails, Violation
from shared.request import ROLES_BY_SCOPE, OnboardingRequest, parse_request
from tests.unit.test_request_contract import ALICE, SERVICE, SHARED_GW, SUB, SUBNET, VALID, _with
from triggers.settings import SettingInvalid, guardrails

DNS_RG = f"/subscriptions/{SUB}/resourceGroups/rg-dns"
OTHER_SERVICE = SERVICE.replace("apim-contoso", "apim-other")
OTHER_SUBNET = SUBNET.replace("snet-gw-a", "snet-gw-b")
OTHER_RG = f"/subscriptions/{SUB}/resourceGroups/rg-elsewhere"


def _req(body: dict | None = None) -> OnboardingRequest:
    return parse_request(body or VALID)


def _grant(scope: str, role: str, principal: str = ALICE) -> dict:
    return {"principalId": principal, "principalType": "User", "scope": scope, "role": role}


def _rules(violations: list[Violation]) -> list[tuple[str, str]]:
    return [(v.rule, v.field) for v in violations]


# -- defaults -----------------------------------------------------------------------------------


def test_defaults_allow_the_contract_sample():
    assert Guardrails().check(_req()) == []


def test_default_policy_is_unrestricted_targets_contract_roles_reader_at_gateway_ten_units():
    g = Guardrails()
    assert g.allowed_apim_services is None
    assert g.allowed_subnets is None
    assert g.allowed_dns_resource_groups is None
    assert g.allowed_roles_service == ROLES_BY_SCOPE["service"]
    assert g.allowed_roles_workspace == ROLES_BY_SCOPE["workspace"]
    assert g.allowed_roles_gateway == ("Reader",)
    assert g.max_gateway_units == 10
    assert g.workspace_name_pattern == DEFAULT_WORKSPACE_NAME_PATTERN


def test_the_loader_with_no_settings_gives_the_defaults():
    assert guardrails({}) == Guardrails()
    blank = dict.fromkeys(("POLICY_ALLOWED_APIM_SERVICES", "POLICY_MAX_GATEWAY_UNITS", "POLICY_ALLOWED_ROLES_GATEWAY", "POLICY_WORKSPACE_NAME_PATTERN"), "  ")  # fmt: skip
    assert guardrails(blank) == Guardrails()


@pytest.mark.parametrize("role", ROLES_BY_SCOPE["service"])
def test_every_contract_role_at_service_scope_is_allowed_by_default(role):
    assert Guardrails().check(_req(_with("access", [_grant("service", role)]))) == []


@pytest.mark.parametrize("role", ROLES_BY_SCOPE["workspace"])
def test_every_contract_role_at_workspace_scope_is_allowed_by_default(role):
    assert Guardrails().check(_req(_with("access", [_grant("workspace", role)]))) == []


@pytest.mark.parametrize(
    "role,allowed", [("Reader", True), ("Contributor", False), ("Owner", False)]
)
def test_only_reader_at_gateway_scope_by_default(role, allowed):
    violations = Guardrails().check(_req(_with("access", [_grant("gateway", role)])))
    if allowed:
        assert violations == []
    else:
        assert _rules(violations) == [("allowedRoles.gateway", "access[0].role")]
        assert "Reader" in violations[0].message


# -- each rule ----------------------------------------------------------------------------------


def test_allowed_apim_services():
    g = Guardrails(allowed_apim_services=(OTHER_SERVICE,))
    [v] = g.check(_req())
    assert (v.rule, v.field) == ("allowedApimServices", "apimServiceId")
    assert OTHER_SERVICE in v.message
    assert Guardrails(allowed_apim_services=(SERVICE, OTHER_SERVICE)).check(_req()) == []


def test_allowed_subnets():
    [v] = Guardrails(allowed_subnets=(OTHER_SUBNET,)).check(_req())
    assert (v.rule, v.field) == ("allowedSubnets", "gateway.network.subnetId")
    assert Guardrails(allowed_subnets=(SUBNET,)).check(_req()) == []


def test_a_request_without_a_subnet_or_dns_is_not_held_to_those_lists():
    shared_gateway = _with(
        "gateway", {"existingGatewayId": SHARED_GW, "network": {"mode": "injection"}}
    )
    del shared_gateway["dns"]
    g = Guardrails(allowed_subnets=(), allowed_dns_resource_groups=())
    assert g.check(_req(shared_gateway)) == []


def test_allowed_dns_resource_groups():
    [v] = Guardrails(allowed_dns_resource_groups=(OTHER_RG,)).check(_req())
    assert (v.rule, v.field) == ("allowedDnsResourceGroups", "dns.resourceGroupId")
    assert Guardrails(allowed_dns_resource_groups=(DNS_RG,)).check(_req()) == []


def test_an_empty_list_allows_nothing_and_says_so():
    g = Guardrails(allowed_apim_services=(), allowed_subnets=(), allowed_dns_resource_groups=())
    violations = g.check(_req())
    assert [v.rule for v in violations] == [
        "allowedApimServices", "allowedSubnets", "allowedDnsResourceGroups",
    ]  # fmt: skip
    assert all("none is allowed" in v.message for v in violations)


@pytest.mark.parametrize("scope", ["service", "workspace", "gateway"])
def test_allowed_roles_per_scope(scope):
    allowed, refused = ROLES_BY_SCOPE[scope][0], ROLES_BY_SCOPE[scope][1]
    g = Guardrails(**{f"allowed_roles_{scope}": (allowed,)})
    body = _with("access", [_grant(scope, allowed), _grant(scope, refused)])
    assert _rules(g.check(_req(body))) == [(f"allowedRoles.{scope}", "access[1].role")]


def test_max_gateway_units():
    g = Guardrails(max_gateway_units=2)
    assert g.check(_req(_with("gateway.capacity", 2))) == []
    [v] = g.check(_req(_with("gateway.capacity", 3)))
    assert (v.rule, v.field) == ("maxGatewayUnits", "gateway.capacity")
    assert "at most 2" in v.message


def test_max_gateway_units_does_not_apply_to_joining_a_shared_gateway():
    body = _with(
        "gateway", {"existingGatewayId": SHARED_GW, "capacity": 5, "network": {"mode": "none"}}
    )
    del body["dns"]
    assert Guardrails(max_gateway_units=1).check(_req(body)) == []


@pytest.mark.parametrize("name", ["ws-payments", "payments", "a", "ws-2", "a" * 80])
def test_default_workspace_naming_accepts(name):
    assert Guardrails().check(_req(_with("workspace.name", name))) == []


@pytest.mark.parametrize(
    "name", ["WS-Payments", "ws_payments", "-ws", "ws-", "ws payments", "ws.x"]
)
def test_default_workspace_naming_refuses(name):
    [v] = Guardrails().check(_req(_with("workspace.name", name)))
    assert (v.rule, v.field) == ("naming.workspace", "workspace.name")
    assert "lower-case" in v.message


def test_workspace_naming_is_configurable():
    g = guardrails({"POLICY_WORKSPACE_NAME_PATTERN": r"ws-[a-z]+"})
    assert g.check(_req(_with("workspace.name", "ws-payments"))) == []
    [v] = g.check(_req(_with("workspace.name", "payments")))
    assert v.rule == "naming.workspace" and "ws-[a-z]+" in v.message


def test_every_violation_is_reported_at_once_in_request_order():
    body = _with(
        "access", [_grant("gateway", "Owner"), _grant("workspace", ROLES_BY_SCOPE["workspace"][0])]
    )
    body["workspace"]["name"] = "Payments"
    body["gateway"]["capacity"] = 9
    g = Guardrails(
        allowed_apim_services=(OTHER_SERVICE,),
        allowed_subnets=(OTHER_SUBNET,),
        allowed_dns_resource_groups=(OTHER_RG,),
        allowed_roles_workspace=(ROLES_BY_SCOPE["workspace"][1],),
        max_gateway_units=2,
    )
    assert _rules(g.check(_req(body))) == [
        ("allowedApimServices", "apimServiceId"),
        ("naming.workspace", "workspace.name"),
        ("maxGatewayUnits", "gateway.capacity"),
        ("allowedSubnets", "gateway.network.subnetId"),
        ("allowedDnsResourceGroups", "dns.resourceGroupId"),
        ("allowedRoles.gateway", "access[0].role"),
        ("allowedRoles.workspace", "access[1].role"),
    ]


# -- resource ids compare case-insensitively ----------------------------------------------------


def test_resource_ids_compare_case_insensitively_and_ignore_a_trailing_slash():
    g = Guardrails(
        allowed_apim_services=(SERVICE.upper(),),
        allowed_subnets=(SUBNET.lower() + "/",),
        allowed_dns_resource_groups=(DNS_RG.replace("resourceGroups", "RESOURCEGROUPS"),),
    )
    assert g.check(_req()) == []
    mixed = _with(
        "apimServiceId", SERVICE.replace("Microsoft.ApiManagement", "microsoft.apimanagement")
    )
    assert g.check(_req(mixed)) == []


def test_ids_that_only_share_a_prefix_do_not_match():
    g = Guardrails(allowed_subnets=(SUBNET[:-1],))  # ".../subnets/snet-gw-" is not snet-gw-a
    assert [v.rule for v in g.check(_req())] == ["allowedSubnets"]


# -- the settings loader ------------------------------------------------------------------------


def test_the_loader_reads_every_setting():
    env = {
        "POLICY_ALLOWED_APIM_SERVICES": json.dumps([SERVICE]),
        "POLICY_ALLOWED_SUBNETS": json.dumps([SUBNET, OTHER_SUBNET]),
        "POLICY_ALLOWED_DNS_RESOURCE_GROUPS": json.dumps([DNS_RG]),
        "POLICY_ALLOWED_ROLES_SERVICE": json.dumps([ROLES_BY_SCOPE["service"][0]]),
        "POLICY_ALLOWED_ROLES_WORKSPACE": json.dumps(["API Management Workspace Reader"]),
        "POLICY_ALLOWED_ROLES_GATEWAY": '["Reader", "Contributor"]',
        "POLICY_MAX_GATEWAY_UNITS": "2",
        "POLICY_WORKSPACE_NAME_PATTERN": "ws-.+",
    }
    assert guardrails(env) == Guardrails(
        allowed_apim_services=(SERVICE,),
        allowed_subnets=(SUBNET, OTHER_SUBNET),
        allowed_dns_resource_groups=(DNS_RG,),
        allowed_roles_service=(ROLES_BY_SCOPE["service"][0],),
        allowed_roles_workspace=("API Management Workspace Reader",),
        allowed_roles_gateway=("Reader", "Contributor"),
        max_gateway_units=2,
        workspace_name_pattern="ws-.+",
    )


def test_an_empty_json_array_is_kept_as_allow_nothing():
    assert guardrails({"POLICY_ALLOWED_SUBNETS": "[]"}).allowed_subnets == ()


BAD_SETTINGS = [
    ("POLICY_ALLOWED_APIM_SERVICES", "not json", "not valid JSON"),
    ("POLICY_ALLOWED_APIM_SERVICES", SERVICE, "not valid JSON"),  # a bare id, not an array
    ("POLICY_ALLOWED_SUBNETS", '{"a": 1}', "JSON array"),
    ("POLICY_ALLOWED_SUBNETS", '"one"', "JSON array"),
    ("POLICY_ALLOWED_DNS_RESOURCE_GROUPS", "[1, 2]", "JSON array"),
    ("POLICY_ALLOWED_DNS_RESOURCE_GROUPS", '[""]', "non-empty"),
    ("POLICY_ALLOWED_ROLES_GATEWAY", "['Reader']", "not valid JSON"),
    ("POLICY_ALLOWED_ROLES_GATEWAY", '["Reader", "Storage Blob Data Reader"]', "Storage Blob"),
    ("POLICY_ALLOWED_ROLES_WORKSPACE", '["Owner"]', "workspace-scope"),
    ("POLICY_ALLOWED_ROLES_SERVICE", '["API Management Workspace Reader"]', "service-scope"),
    ("POLICY_MAX_GATEWAY_UNITS", "two", "whole number"),
    ("POLICY_MAX_GATEWAY_UNITS", "0", "from 1 to 10"),
    ("POLICY_MAX_GATEWAY_UNITS", "11", "from 1 to 10"),
    ("POLICY_MAX_GATEWAY_UNITS", "1.5", "whole number"),
    ("POLICY_WORKSPACE_NAME_PATTERN", "ws-(", "regular expression"),
]


@pytest.mark.parametrize("setting,value,says", BAD_SETTINGS)
def test_a_bad_setting_fails_naming_the_setting(setting, value, says):
    with pytest.raises(SettingInvalid) as raised:
        guardrails({setting: value})
    assert raised.value.setting == setting
    assert str(raised.value).startswith(f"app setting {setting}: ")
    assert says in str(raised.value)


def test_guardrails_module_is_pure():
    import ast
    import inspect

    import shared.guardrails as module

    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(ast.parse(inspect.getsource(module)))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    }
    assert imported <= {"__future__", "re", "pydantic", "shared"}


# -- shared gateways (issue 18 item 4) ----------------------------------------------------------

FOREIGN_GW = SHARED_GW.replace("/rg-apim/", "/rg-team-sandbox/")
OTHER_SUB_GW = SHARED_GW.replace(SUB, "00000000-1111-2222-3333-444444444444")


def _joining(gateway_id: str) -> OnboardingRequest:
    body = _with("gateway", {"existingGatewayId": gateway_id, "network": {"mode": "none"}})
    del body["dns"]
    return _req(body)


def test_a_shared_gateway_beside_the_apim_service_is_allowed_by_default():
    assert Guardrails().check(_joining(SHARED_GW)) == []
    assert Guardrails().check(_joining(SHARED_GW.upper())) == []


@pytest.mark.parametrize("gateway_id", [FOREIGN_GW, OTHER_SUB_GW])
def test_a_shared_gateway_outside_the_apim_deployment_is_refused(gateway_id):
    [v] = Guardrails().check(_joining(gateway_id))
    assert (v.rule, v.field) == ("allowedSharedGateways", "gateway.existingGatewayId")
    assert "resource group" in v.message


def test_the_shared_gateway_allow_list_adds_gateways_elsewhere():
    g = Guardrails(allowed_shared_gateways=(FOREIGN_GW.lower(),))
    assert g.check(_joining(FOREIGN_GW)) == []
    assert g.check(_joining(SHARED_GW)) == []  # the deployment's own gateways stay allowed
    [v] = g.check(_joining(OTHER_SUB_GW))
    assert v.rule == "allowedSharedGateways" and FOREIGN_GW.lower() in v.message


def test_the_loader_reads_the_shared_gateway_allow_list():
    env = {"POLICY_ALLOWED_SHARED_GATEWAYS": json.dumps([FOREIGN_GW])}
    assert guardrails(env).allowed_shared_gateways == (FOREIGN_GW,)
    with pytest.raises(SettingInvalid):
        guardrails({"POLICY_ALLOWED_SHARED_GATEWAYS": FOREIGN_GW})
