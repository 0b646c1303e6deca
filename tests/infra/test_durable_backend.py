"""One parameter (durableBackend) selects the Durable backend, and the app really uses it.

The Functions host reads host.json, then lets app settings named ``AzureFunctionsJobHost__<path>``
override the value at <path> (``__`` separates levels). This test computes the host
configuration each deployment variant runs with: host.json from the package, overridden by the
app settings infra/ writes for that variant, and checks it against the resources of the variant.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from orchestrators.saga import PROCEDURES
from tests.infra import app_settings_model as appset
from tests.infra import bicep_model as bm

OVERRIDE = "AzureFunctionsJobHost__"
# The newest procedure (tests/unit/test_saga_versions.py checks host.json names it); no variant
# may override it or the matching strategies.
NEWEST = max(PROCEDURES, key=lambda v: tuple(int(p) for p in v.split(".")))
VERSIONING = {"defaultVersion": NEWEST, "versionMatchStrategy": "CurrentOrOlder",
              "versionFailureStrategy": "Reject"}  # fmt: skip


def _value(raw: Any) -> Any:
    """A Bicep setting value: a main.bicep parameter stands for its default."""
    main = bm.main()
    if isinstance(raw, str) and raw in main["parameters"]:
        return bm.param_default(main, raw)
    return raw


def effective_host_config(*, scheduler: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """(host configuration, app settings) of one variant, as the Functions host sees them."""
    settings = appset.keys_when(useScheduler=scheduler)
    config = copy.deepcopy(json.loads((bm.ROOT / "host.json").read_text(encoding="utf-8")))
    for name, raw in settings.items():
        if not name.startswith(OVERRIDE):
            continue
        *parents, leaf = name.removeprefix(OVERRIDE).split("__")
        node = config
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = _value(raw)
    return config, settings


def _durable(config: dict[str, Any]) -> dict[str, Any]:
    section: dict[str, Any] = config["extensions"]["durableTask"]
    return section


@pytest.mark.parametrize("scheduler", [False, True], ids=["AzureStorage", "DurableTaskScheduler"])
def test_every_variant_keeps_the_orchestration_versioning(scheduler: bool) -> None:
    durable = _durable(effective_host_config(scheduler=scheduler)[0])
    assert {k: durable.get(k) for k in VERSIONING} == VERSIONING
    assert durable["maxConcurrentOrchestratorFunctions"] >= 1


@pytest.mark.parametrize("scheduler", [False, True], ids=["AzureStorage", "DurableTaskScheduler"])
def test_every_variant_names_the_task_hub_taskHubName(scheduler: bool) -> None:
    durable = _durable(effective_host_config(scheduler=scheduler)[0])
    assert durable["hubName"] == bm.param_default(bm.main(), "taskHubName")


def test_azure_storage_variant_uses_the_identity_based_host_storage() -> None:
    config, settings = effective_host_config(scheduler=False)
    provider = _durable(config).get("storageProvider", {})
    assert provider.get("type", "AzureStorage") == "AzureStorage"
    assert provider.get("connectionStringName", "AzureWebJobsStorage") == "AzureWebJobsStorage"
    assert settings["AzureWebJobsStorage__credential"] == "managedidentity"
    assert not any(name.startswith("DURABLE_TASK_SCHEDULER") for name in settings)


def test_scheduler_variant_runs_on_the_scheduler_it_provisions() -> None:
    """Fails while only the scheduler is provisioned and host.json keeps Azure Storage."""
    config, settings = effective_host_config(scheduler=True)
    provider = _durable(config).get("storageProvider", {})
    assert provider.get("type") == "azureManaged", "the app would still use Azure Storage"
    connection = settings[provider["connectionStringName"]]
    assert "Authentication=ManagedIdentity;ClientID=" in connection
    assert "scheduler.outputs.endpoint" in connection
    for secret in ("AccountKey", "SharedAccessKey", "Authentication=None"):
        assert secret not in connection
    # The hub the app names is the hub the scheduler module creates and the role covers.
    main = bm.main()
    assert bm.body(main["modules"]["scheduler"])["params"]["taskHubName"] == "taskHubName"
    hub = bm.body(bm.module("durable-task-scheduler.bicep")["resources"]["taskHub"])
    assert hub["name"] == "taskHubName"
    rbac = bm.body(main["modules"]["rbacApp"])["params"]
    hub_ref = json.dumps(rbac["durableTaskHubName"])
    assert '"scheduler"' in hub_ref and '"taskHubName"' in hub_ref


def test_the_extension_bundle_carries_the_scheduler_provider() -> None:
    # The azureManaged provider is in the default bundle 4.x (Azure/azure-functions-extension-
    # bundles#735 updates it in 4.38.1); "[4.*, 5.0.0)" resolves to the newest 4.x.
    bundle = json.loads((bm.ROOT / "host.json").read_text(encoding="utf-8"))["extensionBundle"]
    assert bundle["id"] == "Microsoft.Azure.Functions.ExtensionBundle"
    assert bundle["version"].startswith("[4.") and bundle["version"].endswith("5.0.0)")


def test_one_parameter_selects_the_backend_and_azd_sets_it() -> None:
    main = bm.main()
    assert set(bm.allowed_values(main, "durableBackend")) == {
        "AzureStorage",
        "DurableTaskScheduler",
    }
    assert bm.variable(main, "useScheduler") is not None
    params = json.loads((bm.INFRA / "main.parameters.json").read_text(encoding="utf-8"))
    assert params["parameters"]["durableBackend"]["value"] == "${DURABLE_BACKEND=AzureStorage}"


@pytest.mark.parametrize("scheduler", [False, True], ids=["AzureStorage", "DurableTaskScheduler"])
def test_every_variant_exports_opentelemetry_with_durable_distributed_tracing(
    scheduler: bool,
) -> None:
    config, settings = effective_host_config(scheduler=scheduler)
    assert config["telemetryMode"] == "OpenTelemetry"
    assert _durable(config)["tracing"] == {"distributedTracingEnabled": True, "version": "V2"}
    assert settings["PYTHON_ENABLE_OPENTELEMETRY"] == "true"
    requirements = (bm.ROOT / "requirements.txt").read_text(encoding="utf-8")
    assert "\nazure-monitor-opentelemetry==" in requirements
    app = (bm.ROOT / "function_app.py").read_text(encoding="utf-8")
    assert "telemetry.configure()" in app
