"""Deployment hygiene: azd version, GA API versions, names that match the docs, and a teardown
that leaves nothing behind (infra/hooks/predown.py, run by `azd down`)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.infra import bicep_model as bm
from tests.infra.hook_modules import HOOKS, hook_module

API_VERSION = re.compile(r"'([A-Za-z.]+/[A-Za-z/]+)@([0-9a-z-]+)'")
# Resource types without any GA API version, each with the source that says so.
PREVIEW_ONLY = {
    # https://learn.microsoft.com/rest/api/monitor/diagnosticsettings: 2021-05-01-preview only
    "Microsoft.Insights/diagnosticSettings",
}
AZD_MINIMUM = "1.23.4"  # Azure/azure-dev#6694: JSON arrays from azd env to array parameters


# ------------------------------------------------------------------ versions


def test_every_resource_uses_a_ga_api_version() -> None:
    previews = sorted(
        f"{path.relative_to(bm.INFRA)}: {rtype}@{version}"
        for path in bm.bicep_files()
        for rtype, version in API_VERSION.findall(path.read_text(encoding="utf-8"))
        if "preview" in version and rtype not in PREVIEW_ONLY
    )
    assert not previews, f"use a GA API version: {previews}"


def test_azure_yaml_requires_the_azd_that_passes_json_arrays() -> None:
    text = (bm.ROOT / "azure.yaml").read_text(encoding="utf-8")
    assert re.search(rf'^requiredVersions:\n  azd: ">= {re.escape(AZD_MINIMUM)}"$', text, re.M)
    doc = (bm.ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert f"(`azd`) {AZD_MINIMUM} or later" in doc
    assert "azd`) 1.10" not in doc


# ------------------------------------------------------------------ names


def test_event_subscriptions_are_the_ones_docs_servicebus_names() -> None:
    doc = (bm.ROOT / "docs" / "servicebus.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| subscription `([a-z-]+)` \|", doc, re.M))
    # operators: the operators' own subscription that `onboard events` peeks (issue 14).
    assert documented == {"ticketing", "audit", "operators"}
    module = bm.module("servicebus.bicep")
    deployed = bm.param_default(module, "eventSubscriptionNames")
    assert {*deployed, bm.param_default(module, "operatorSubscriptionName")} == documented
    deploy_doc = (bm.ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert "subscriptions `ticketing`, `audit`" in deploy_doc


# ------------------------------------------------------------------ teardown hook


def test_azd_runs_the_teardown_hook_before_down() -> None:
    text = (bm.ROOT / "azure.yaml").read_text(encoding="utf-8")
    block = text[text.index("  predown:") :]
    assert "run: python3 infra/hooks/predown.py" in block
    assert "run: python infra/hooks/predown.py" in block  # windows
    assert "continueOnError: false" in block


SUB_APP, SUB_NET, SUB_APIM = "sub-app", "sub-net", "sub-apim"
PRINCIPAL = "11111111-2222-3333-4444-555555555555"
ENV = {
    "AZURE_PRINCIPAL_ID": PRINCIPAL,
    "ONBOARDING_APIM_SERVICES": json.dumps(
        [{"subscriptionId": SUB_APIM, "resourceGroupName": "rg-apim", "serviceName": "apim-1"}]
    ),
    "ONBOARDING_ALLOWED_VNETS": json.dumps(
        [
            {
                "subscriptionId": SUB_NET,
                "resourceGroupName": "rg-net",
                "vnetName": "vnet",
                "subnetNames": ["snet-a"],
            }
        ]
    ),
    "ONBOARDING_DNS_RESOURCE_GROUPS": json.dumps(
        [{"subscriptionId": SUB_NET, "resourceGroupName": "rg-dns"}]
    ),
}


class FakeAz:
    """Role assignments and definitions of three subscriptions, as az would list them."""

    def __init__(self) -> None:
        self.assignments = {
            SUB_APIM: [f"/subscriptions/{SUB_APIM}/resourceGroups/rg-apim/ra/1",
                       f"/subscriptions/{SUB_APIM}/resourceGroups/rg-apim/ra/2"],
            SUB_NET: [f"/subscriptions/{SUB_NET}/ra/3"],
        }  # fmt: skip
        self.roles: dict[str, list[dict[str, Any]]] = {
            SUB_NET: [
                self._role("r-subnet", "APIM onboarding subnet operator (x)",
                           f"/subscriptions/{SUB_NET}/resourceGroups/rg-net"),
                self._role("r-provider", "APIM onboarding provider reader (y)",
                           f"/subscriptions/{SUB_NET}"),
                self._role("r-dns", "APIM onboarding private DNS operator (z)",
                           f"/subscriptions/{SUB_NET}/resourceGroups/RG-DNS"),
                # another team's role, and one of ours in a group this environment does not name
                self._role("r-other", "Network team operator",
                           f"/subscriptions/{SUB_NET}/resourceGroups/rg-net"),
                self._role("r-elsewhere", "APIM onboarding subnet operator (w)",
                           f"/subscriptions/{SUB_NET}/resourceGroups/rg-other"),
            ],
            SUB_APIM: [
                self._role("r-ws", "APIM onboarding workspace operator (apim-1)",
                           f"/subscriptions/{SUB_APIM}/resourceGroups/rg-apim"),
            ],
        }  # fmt: skip
        self.in_use = {"r-dns"}
        self.calls: list[list[str]] = []
        self.deleted_assignments: list[str] = []
        self.deleted_roles: list[str] = []

    @staticmethod
    def _role(name: str, role_name: str, scope: str) -> dict[str, Any]:
        return {"name": name, "roleName": role_name, "assignableScopes": [scope]}

    def __call__(self, args: list[str]) -> Any:
        self.calls.append(args)
        sub = args[args.index("--subscription") + 1] if "--subscription" in args else None
        match args[:3]:
            case ["role", "assignment", "list"]:
                assert f"principalId=='{PRINCIPAL}'" in args[args.index("--query") + 1]
                return self.assignments.get(str(sub), [])
            case ["role", "assignment", "delete"]:
                self.deleted_assignments.append(args[args.index("--ids") + 1])
                return None
            case ["role", "definition", "list"]:
                return self.roles.get(str(sub), [])
            case ["role", "definition", "delete"]:
                name = args[args.index("--name") + 1]
                if name in self.in_use:
                    raise predown().AzFailed("RoleDefinitionHasAssignments")
                self.deleted_roles.append(name)
                return None
        raise AssertionError(f"unexpected az call {args}")


def predown() -> ModuleType:
    return hook_module("predown")


def test_predown_removes_every_grant_of_the_identity_in_every_target_subscription() -> None:
    az, said = FakeAz(), list[str]()
    code = predown().remove_grants(ENV, az, said.append)
    assert code == 0
    assert sorted(az.deleted_assignments) == sorted(
        az.assignments[SUB_APIM] + az.assignments[SUB_NET]
    )
    listed = {c[c.index("--subscription") + 1] for c in az.calls if c[:3] == ["role", "assignment", "list"]}  # fmt: skip
    assert listed == {SUB_APIM, SUB_NET}
    assert SUB_APP not in listed


def test_predown_deletes_only_this_environments_custom_roles_and_keeps_shared_ones() -> None:
    az, said = FakeAz(), list[str]()
    predown().remove_grants(ENV, az, said.append)
    assert sorted(az.deleted_roles) == ["r-provider", "r-subnet", "r-ws"]
    assert any("kept custom role 'APIM onboarding private DNS operator (z)'" in s for s in said)


def test_predown_fails_when_an_assignment_cannot_be_deleted() -> None:
    class Refusing(FakeAz):
        def __call__(self, args: list[str]) -> Any:
            if args[:3] == ["role", "assignment", "delete"]:
                raise predown().AzFailed("AuthorizationFailed")
            return super().__call__(args)

    said: list[str] = []
    assert predown().remove_grants(ENV, Refusing(), said.append) == 1
    assert any("remain" in s for s in said)


def test_predown_without_a_provisioned_identity_does_nothing() -> None:
    az = FakeAz()
    env = {k: v for k, v in ENV.items() if k != "AZURE_PRINCIPAL_ID"}
    assert predown().remove_grants(env, az, lambda _s: None) == 0
    assert az.calls == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "is not set"),
        ("not json", "not valid JSON"),
        ('[{"subscriptionId": "s"}]', "lacks resourceGroupName, serviceName"),
        ("[]", "at least one"),
    ],
)
def test_targets_name_the_bad_environment_value(value: str, message: str) -> None:
    targets = hook_module("targets")
    with pytest.raises(targets.EnvInvalid, match=message):
        targets.from_env({"ONBOARDING_APIM_SERVICES": value})


def test_targets_follow_main_bicep_gateway_default() -> None:
    targets = hook_module("targets").from_env(ENV)
    assert (SUB_APIM, "rg-apim") in targets.groups  # gateways default to the APIM groups
    assert targets.role_subscriptions == {SUB_NET}


def test_hooks_are_outside_the_deployment_package() -> None:
    from tests.infra import deploy_package as pkg

    assert not [f for f in pkg.package_files(bm.ROOT) if f.startswith("infra/")]
    assert Path(HOOKS / "predown.py").is_file()
