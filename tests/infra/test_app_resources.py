"""The app's own resources are configured for identity-only access and safe message handling."""

from __future__ import annotations

import json
from typing import Any

from tests.infra import bicep_model as bm


def _resource(module: str, name: str) -> dict[str, Any]:
    return bm.body(bm.module(module)["resources"][name])


def test_storage_refuses_shared_keys_public_blobs_and_old_tls() -> None:
    props = _resource("storage.bicep", "storage")["properties"]
    assert props["allowSharedKeyAccess"] is False
    assert props["allowBlobPublicAccess"] is False
    assert props["minimumTlsVersion"] == "TLS1_2"
    assert props["supportsHttpsTrafficOnly"] is True


def test_storage_has_a_private_deployment_container_for_flex() -> None:
    container = _resource("storage.bicep", "deploymentContainer")
    assert container["properties"]["publicAccess"] == "None"


def test_service_bus_disables_local_auth() -> None:
    props = _resource("servicebus.bicep", "namespace")["properties"]
    assert props["disableLocalAuth"] is True
    assert props["minimumTlsVersion"] == "1.2"


def test_request_queue_deduplicates_for_ten_minutes_and_dead_letters_after_five() -> None:
    parsed = bm.module("servicebus.bicep")
    props = _resource("servicebus.bicep", "requestQueue")["properties"]
    assert props["requiresDuplicateDetection"] is True
    assert props["duplicateDetectionHistoryTimeWindow"] == "PT10M"
    assert props["deadLetteringOnMessageExpiration"] is True
    assert props["maxDeliveryCount"] == "maxDeliveryCount"
    assert bm.param_default(parsed, "maxDeliveryCount") == 5
    assert bm.param_default(parsed, "requestQueueName") == "onboarding-requests"
    main_params = bm.body(bm.main()["modules"]["serviceBus"])["params"]
    assert main_params["maxDeliveryCount"] == 5


def test_events_topic_deduplicates_the_app_retried_publishes() -> None:
    props = _resource("servicebus.bicep", "eventsTopic")["properties"]
    assert props["requiresDuplicateDetection"] is True
    assert bm.param_default(bm.module("servicebus.bicep"), "eventsTopicName") == (
        "onboarding-events"
    )


def test_monitoring_accepts_only_entra_authenticated_telemetry() -> None:
    assert _resource("monitoring.bicep", "applicationInsights")["properties"]["DisableLocalAuth"]
    workspace = _resource("monitoring.bicep", "logAnalytics")["properties"]
    assert workspace["features"]["disableLocalAuth"] is True


def test_function_app_runs_python_311_on_flex_as_its_user_assigned_identity() -> None:
    app = _resource("function-app.bicep", "app")
    assert app["identity"]["type"] == "UserAssigned"
    config = app["properties"]["functionAppConfig"]
    assert config["runtime"]["name"] == "python"
    assert bm.param_default(bm.module("function-app.bicep"), "pythonVersion") == "3.11"
    assert config["deployment"]["storage"]["authentication"]["type"] == "UserAssignedIdentity"
    assert app["properties"]["httpsOnly"] is True
    plan = _resource("function-app.bicep", "plan")
    assert plan["sku"] == {"tier": "FlexConsumption", "name": "FC1"}


def test_app_settings_use_identity_based_connections_only() -> None:
    base = bm.variable(bm.module("function-app.bicep"), "baseSettings")
    assert base["AzureWebJobsStorage__accountName"] == "storageAccountName"
    assert base["AzureWebJobsStorage__credential"] == "managedidentity"
    assert "AzureWebJobsStorage" not in base
    sb = bm.variable(bm.main(), "serviceBusSettings")
    assert set(sb) >= {"ServiceBusConnection__fullyQualifiedNamespace",
                       "ServiceBusConnection__credential", "ServiceBusConnection__clientId"}  # fmt: skip
    assert "ServiceBusConnection" not in sb
    for text in (bm.INFRA / "main.bicep", bm.MODULES / "function-app.bicep"):
        body = text.read_text(encoding="utf-8")
        for secret in ("listKeys", "AccountKey=", "SharedAccessKey", "InstrumentationKey="):
            assert secret not in body, f"{text.name} mentions {secret}"


def test_policy_settings_are_all_present() -> None:
    settings = bm.variable(bm.main(), "policySettings")
    assert set(settings) >= {
        "POLICY_ALLOWED_APIM_SERVICES", "POLICY_ALLOWED_SUBNETS", "POLICY_ALLOWED_ROLES_SERVICE",
        "POLICY_ALLOWED_ROLES_WORKSPACE", "POLICY_ALLOWED_ROLES_GATEWAY",
        "POLICY_MAX_GATEWAY_UNITS", "POLICY_REQUIRE_APPROVAL",
    }  # fmt: skip


def test_durable_task_scheduler_is_optional_and_wired_by_identity() -> None:
    main = bm.main()
    assert bm.param_default(main, "durableBackend") == "AzureStorage"
    assert bm.condition_of(main["modules"]["scheduler"]) == "useScheduler"
    with_dts = bm.variable(main, "durableSettings")["operator"]["operands"]["true_value"]
    conn = with_dts["DURABLE_TASK_SCHEDULER_CONNECTION_STRING"]
    assert "Authentication=ManagedIdentity;ClientID=" in conn
    assert bm.param_default(main, "taskHubName") == "onboarding"


def test_anonymous_calls_get_401_from_app_service_authentication() -> None:
    auth = _resource("function-app.bicep", "auth")
    assert bm.body(bm.module("function-app.bicep")["resources"]["auth"])["name"] == (
        "authsettingsV2"
    )
    props = auth["properties"]
    assert props["platform"]["enabled"] is True
    validation = props["globalValidation"]
    assert validation["requireAuthentication"] is True
    assert validation["unauthenticatedClientAction"] == "Return401"
    # Only the dashboard's static files load without a session; every API path needs one.
    excluded = bm.variable(bm.module("function-app.bicep"), "dashboardPaths")
    assert all(path.startswith("/api/dashboard") for path in excluded)
    aad = props["identityProviders"]["azureActiveDirectory"]
    assert aad["enabled"] is True
    assert aad["registration"]["clientId"] == "authClientId"
    assert props["login"]["tokenStore"]["enabled"] is False


def test_app_registration_manifest_defines_exactly_the_three_app_roles() -> None:
    roles = json.loads((bm.INFRA / "app-roles.json").read_text(encoding="utf-8"))
    assert {r["value"] for r in roles} == {
        "Onboarding.Requester", "Onboarding.Operator", "Onboarding.Reader",
    }  # fmt: skip
    assert len({r["id"] for r in roles}) == 3
    assert all(r["isEnabled"] and set(r["allowedMemberTypes"]) == {"User", "Application"}
               for r in roles)  # fmt: skip
