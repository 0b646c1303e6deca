"""Sign-in without secrets: App Service authentication with a managed identity as the app
registration's federated credential (no client secret, no implicit flow), azd hooks that check
the environment before provisioning and finish the app registration after, the dashboard URL
as an output."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.infra import app_settings_model as appset
from tests.infra import bicep_model as bm
from tests.infra.hook_modules import hook_module

FIC_SETTING = "OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID"


def _auth() -> dict[str, Any]:
    body: dict[str, Any] = bm.body(bm.module("function-app.bicep")["resources"]["auth"])
    return body


def test_easy_auth_uses_the_sign_in_identity_instead_of_a_client_secret() -> None:
    registration = _auth()["properties"]["identityProviders"]["azureActiveDirectory"][
        "registration"
    ]
    assert registration["clientSecretSettingName"] == FIC_SETTING
    settings = appset.keys_when(useScheduler=False)
    assert settings[FIC_SETTING] == "authIdentityClientId"
    text = (bm.MODULES / "function-app.bicep").read_text(encoding="utf-8")
    assert "clientSecret:" not in text and "MICROSOFT_PROVIDER_AUTHENTICATION_SECRET" not in text


def test_the_sign_in_identity_is_a_second_identity_on_the_app_with_no_role() -> None:
    main = bm.main()
    app = bm.body(bm.module("function-app.bicep")["resources"]["app"])
    assigned = app["identity"]["userAssignedIdentities"]
    assert {bm.unquote(k) for k in assigned} == {"${identityId}", "${authIdentityId}"}
    params = bm.body(main["modules"]["functionApp"])["params"]
    assert "authIdentity" in json.dumps(params["authIdentityId"])
    assert "authIdentity" in json.dumps(params["authIdentityClientId"])
    # No module but the function app ever receives the sign-in identity.
    for name, decl in main["modules"].items():
        if name in ("functionApp", "authIdentity"):
            continue
        assert "authIdentity" not in json.dumps(bm.body(decl).get("params", {})), name


def test_outputs_name_the_dashboard_and_the_sign_in_identity() -> None:
    outputs = bm.main()["outputs"]
    assert {"AZURE_DASHBOARD_URL", "AZURE_AUTH_IDENTITY_PRINCIPAL_ID", "AZURE_TENANT_ID"} <= set(
        outputs
    )
    assert outputs["AZURE_DASHBOARD_URL"]["value"].endswith("/api/dashboard")


def test_azd_runs_the_hooks_around_provisioning() -> None:
    text = (bm.ROOT / "azure.yaml").read_text(encoding="utf-8")
    for hook in ("preprovision", "postprovision", "predown"):
        assert re.search(rf"^  {hook}:\n    posix:\n      shell: sh\n      run: python3 infra/hooks/{hook}.py$", text, re.M), hook  # fmt: skip
        assert f"run: python infra/hooks/{hook}.py" in text


# ------------------------------------------------------------------ preprovision


GOOD = {
    "ENTRA_API_CLIENT_ID": "0f9c2a7e-1b2c-4d3e-8f90-123456789abc",
    "ALERT_EMAIL": "platform-oncall@contoso.com",
    "ONBOARDING_APIM_SERVICES": json.dumps(
        [{"subscriptionId": "s", "resourceGroupName": "rg", "serviceName": "apim"}]
    ),
}


def test_preprovision_accepts_a_complete_environment() -> None:
    assert hook_module("preprovision").problems(GOOD) == []


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"ENTRA_API_CLIENT_ID": ""}, "ENTRA_API_CLIENT_ID"),
        ({"ALERT_EMAIL": "not-an-address"}, "ALERT_EMAIL"),
        ({"ONBOARDING_APIM_SERVICES": "[{"}, "ONBOARDING_APIM_SERVICES is not valid JSON"),
        ({"DURABLE_BACKEND": "Netherite"}, "DURABLE_BACKEND"),
        ({"VNET_ENABLED": "yes"}, "VNET_ENABLED"),
        ({"POLICY_FAILED_STEP_HOLD_HOURS": "-1"}, "POLICY_FAILED_STEP_HOLD_HOURS"),
        ({"POLICY_MAX_GATEWAY_UNITS": "11"}, "POLICY_MAX_GATEWAY_UNITS"),
        ({"OPERATOR_WAIT_ALERT_HOURS": "48"}, "OPERATOR_WAIT_ALERT_HOURS"),
        ({"POLICY_GATEWAY_UNIT_MONTHLY_PRICE": "12,50"}, "POLICY_GATEWAY_UNIT_MONTHLY_PRICE"),
        ({"POLICY_WORKSPACE_NAME_PATTERN": "ws-[a-z"}, "POLICY_WORKSPACE_NAME_PATTERN"),
    ],
)
def test_preprovision_names_each_unusable_value(change: dict[str, str], needle: str) -> None:
    found = hook_module("preprovision").problems({**GOOD, **change})
    assert len(found) == 1 and needle in found[0], found


def test_preprovision_reports_every_problem_at_once() -> None:
    found = hook_module("preprovision").problems({})
    assert len(found) == 3  # client id, alert address, APIM services


# ------------------------------------------------------------------ postprovision

CLIENT = GOOD["ENTRA_API_CLIENT_ID"]
ENV = {
    "ENTRA_API_CLIENT_ID": CLIENT,
    "AZURE_TENANT_ID": "72f988bf-0000-0000-0000-000000000000",
    "AZURE_FUNCTION_APP_URI": "https://func-abc.azurewebsites.net",
    "AZURE_AUTH_IDENTITY_PRINCIPAL_ID": "9d1e6c4a-0000-0000-0000-000000000001",
    "AZURE_DASHBOARD_URL": "https://func-abc.azurewebsites.net/api/dashboard",
    "AZURE_ENV_NAME": "onboarding-prod",
}


class FakeGraph:
    """An app registration as `az ad app` shows and changes it."""

    def __init__(self) -> None:
        self.app: dict[str, Any] = {
            "appId": CLIENT,
            "identifierUris": [],
            "web": {"redirectUris": ["https://other.example/cb"],
                    "implicitGrantSettings": {"enableIdTokenIssuance": True}},
            "appRoles": [{"id": "11111111-0000-0000-0000-000000000000", "value": "Other.Role"}],
        }  # fmt: skip
        self.credentials: list[dict[str, Any]] = []

    def __call__(self, args: list[str]) -> Any:
        assert args[:2] == ["ad", "app"] and args[args.index("--id") + 1] == CLIENT
        if args[2] == "show":
            return json.loads(json.dumps(self.app))
        if args[2] == "update":
            self._update(args)
            return None
        if args[2:4] == ["federated-credential", "list"]:
            return list(self.credentials)
        if args[2:4] == ["federated-credential", "create"]:
            self.credentials.append(json.loads(args[args.index("--parameters") + 1]))
            return None
        raise AssertionError(args)

    def _update(self, args: list[str]) -> None:
        def values(flag: str) -> list[str]:
            start = args.index(flag) + 1
            end = next((i for i in range(start, len(args)) if args[i].startswith("--")), len(args))
            return args[start:end]

        if "--web-redirect-uris" in args:
            self.app["web"]["redirectUris"] = values("--web-redirect-uris")
        if "--identifier-uris" in args:
            self.app["identifierUris"] = values("--identifier-uris")
        if "--enable-id-token-issuance" in args:
            grant = self.app["web"]["implicitGrantSettings"]
            grant["enableIdTokenIssuance"] = values("--enable-id-token-issuance") == ["true"]
            grant["enableAccessTokenIssuance"] = values("--enable-access-token-issuance") == [
                "true"
            ]
        if "--app-roles" in args:
            self.app["appRoles"] = json.loads(values("--app-roles")[0])


def test_postprovision_registers_the_callback_and_keeps_the_implicit_flow_off() -> None:
    graph = FakeGraph()
    assert hook_module("postprovision").finish_registration(ENV, graph, lambda _s: None) == 0
    web = graph.app["web"]
    assert web["redirectUris"] == [
        "https://other.example/cb",
        "https://func-abc.azurewebsites.net/.auth/login/aad/callback",
    ]
    assert web["implicitGrantSettings"] == {
        "enableIdTokenIssuance": False, "enableAccessTokenIssuance": False}  # fmt: skip
    assert graph.app["identifierUris"] == [f"api://{CLIENT}"]


def test_postprovision_adds_the_app_roles_and_keeps_other_roles() -> None:
    graph = FakeGraph()
    hook_module("postprovision").finish_registration(ENV, graph, lambda _s: None)
    values = {r["value"] for r in graph.app["appRoles"]}
    assert values == {"Other.Role", "Onboarding.Requester", "Onboarding.Operator",
                      "Onboarding.Reader"}  # fmt: skip


def test_postprovision_trusts_the_sign_in_identity_once() -> None:
    graph, said = FakeGraph(), list[str]()
    post = hook_module("postprovision")
    post.finish_registration(ENV, graph, said.append)
    post.finish_registration(ENV, graph, said.append)
    (credential,) = graph.credentials
    assert (
        credential["issuer"] == f"https://login.microsoftonline.com/{ENV['AZURE_TENANT_ID']}/v2.0"
    )
    assert credential["subject"] == ENV["AZURE_AUTH_IDENTITY_PRINCIPAL_ID"]
    assert credential["audiences"] == ["api://AzureADTokenExchange"]
    assert any(ENV["AZURE_DASHBOARD_URL"] in s for s in said)
