"""One list of app settings (shared/settings_registry.py) agrees with the code, infra/ and the docs.

- every setting-like name in the deployed code is registered, and every registered setting the
  app reads is named in the code (no stale entries);
- infra/ writes exactly the registered deployment settings, per Durable backend: none missing,
  none unknown, never a local-only one;
- run-shaping policy is a deployment parameter that azd can set, and its default does not throw
  a built gateway away;
- docs/deploy.md's settings table is generated from the registry.
"""

from __future__ import annotations

import ast
import json
import re

import pytest

from shared import settings_registry as reg
from shared.azure_clients import ArmSettings
from shared.guardrails import Guardrails
from shared.saga_models import SagaPolicy
from tests.infra import app_settings_model as appset
from tests.infra import bicep_model as bm
from tests.infra import deploy_package as pkg
from triggers.settings import guardrails, saga_policy

# Names that look like app settings: the app's prefixes and the host's connection prefixes.
SETTING_LIKE = re.compile(
    r"^(POLICY_[A-Z0-9_]+|ARM_[A-Z0-9_]+|RUN_INDEX_[A-Z0-9_]+|AUTH_MODE|EVENTS_TOPIC|"
    r"AZURE_[A-Z0-9_]+|APPLICATIONINSIGHTS_[A-Z0-9_]+|DURABLE_[A-Z0-9_]+|TASKHUB_NAME|"
    r"OTEL_[A-Z0-9_]+|WEBSITE_[A-Z0-9_]+|ServiceBusConnection(__\w+)?|AzureWebJobs\w*|"
    r"AzureFunctionsJobHost__\w+|OVERRIDE_[A-Z0-9_]+)$"
)
DOC = bm.ROOT / "docs" / "deploy.md"
TABLE = re.compile(r"<!-- settings-table:start -->\n(.*?)<!-- settings-table:end -->", re.S)


def _code_strings() -> dict[str, set[str]]:
    """Setting-like string constants in the deployed code, with the files that name them."""
    found: dict[str, set[str]] = {}
    for rel in pkg.package_files(bm.ROOT):
        if not rel.endswith(".py") or rel == "shared/settings_registry.py":
            continue
        tree = ast.parse((bm.ROOT / rel).read_text(encoding="utf-8"), filename=rel)
        for node in ast.walk(tree):
            value = node.value if isinstance(node, ast.Constant) else None
            if isinstance(value, str) and SETTING_LIKE.match(value):
                found.setdefault(value, set()).add(rel)
    return found


def test_every_setting_the_code_names_is_registered() -> None:
    unknown = {name: sorted(files) for name, files in _code_strings().items()
               if name not in reg.BY_NAME}  # fmt: skip
    assert not unknown, f"add these to shared/settings_registry.py: {unknown}"


def test_every_registered_app_setting_is_read_by_the_code() -> None:
    source = "\n".join(
        (bm.ROOT / rel).read_text(encoding="utf-8")
        for rel in pkg.package_files(bm.ROOT)
        if rel.endswith(".py") and rel != "shared/settings_registry.py"
    )
    stale = []
    for s in reg.SETTINGS:
        if s.reader == "host":
            continue
        prefix, _, suffix = s.name.partition("__")
        named = s.name in source or (suffix and prefix in source and f"__{suffix}" in source)
        if not named:
            stale.append(s.name)
    assert not stale, f"registered but never read by the app: {stale}"


def test_registry_names_are_unique() -> None:
    assert len(reg.BY_NAME) == len(reg.SETTINGS)


@pytest.mark.parametrize("scheduler", [False, True], ids=["AzureStorage", "DurableTaskScheduler"])
def test_infra_writes_exactly_the_registered_deployment_settings(scheduler: bool) -> None:
    written = set(appset.keys_when(useScheduler=scheduler))
    expected = reg.deployed(scheduler=scheduler)
    assert not expected - written, f"infra/ does not write {sorted(expected - written)}"
    assert not written - expected, f"infra/ writes unregistered {sorted(written - expected)}"


def test_infra_never_writes_a_local_only_setting() -> None:
    local = {s.name for s in reg.SETTINGS if s.deploy in ("local", "optional")}
    assert not local & appset.all_keys()


def test_each_parameter_fed_setting_is_computed_from_its_parameter() -> None:
    main = bm.main()
    settings = appset.keys_when(useScheduler=True)
    for s in reg.SETTINGS:
        if s.parameter is None:
            continue
        assert s.parameter in main["parameters"], s.name
        assert s.name in settings, f"infra/ does not write {s.name}"
        assert s.parameter in _parameters_behind(settings[s.name], main), (
            f"{s.name} is not computed from parameter {s.parameter}"
        )


def _parameters_behind(expr: object, main: dict, seen: frozenset[str] = frozenset()) -> set[str]:
    """main.bicep parameters an expression depends on, through any chain of variables."""
    tokens = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", json.dumps(expr)))
    found = tokens & set(main["parameters"])
    for name in (tokens & set(main.get("variables") or {})) - seen:
        found |= _parameters_behind(bm.variable(main, name), main, seen | {name})
    return found


def test_deployment_defaults_are_the_registered_ones() -> None:
    main = bm.main()
    for s in reg.SETTINGS:
        if s.parameter is None:
            continue
        default = main["parameters"][s.parameter].get("default")
        if default is None or isinstance(default, list):
            continue  # role lists: the defaults are checked in test_least_privilege
        shown = str(default).lower() if isinstance(default, bool) else str(default)
        expected = s.deployed_default if s.deployed_default is not None else s.default
        assert shown == expected, f"{s.parameter}: Bicep {shown!r}, registry {expected!r}"


def test_a_deployment_holds_a_failed_step_instead_of_deleting_a_built_gateway() -> None:
    hold = bm.param_default(bm.main(), "failedStepHoldHours")
    assert hold >= 8, "a failed step must wait for an operator at least a working day"
    build = bm.param_default(bm.main(), "buildDeadlineHours")
    assert hold >= build


def test_azd_can_set_every_run_shaping_parameter() -> None:
    mapped = json.loads((bm.INFRA / "main.parameters.json").read_text(encoding="utf-8"))
    params = mapped["parameters"]
    for s in reg.SETTINGS:
        if not s.parameter or not s.name.startswith("POLICY_") or s.type == _LIST:
            continue
        assert s.parameter in params, f"main.parameters.json does not map {s.parameter}"
        assert f"${{{s.name}" in params[s.parameter]["value"], (
            f"{s.parameter} should be set from the azd environment variable {s.name}"
        )


_LIST = "JSON array of strings"


def _policy_field(setting: str) -> str:
    return setting.removeprefix("POLICY_").lower()


def test_every_run_shaping_setting_reaches_the_saga_policy() -> None:
    run_shaping = [s for s in reg.SETTINGS
                   if s.name.startswith("POLICY_") and _policy_field(s.name) in SagaPolicy.model_fields]  # fmt: skip
    assert len(run_shaping) >= 9
    env = {s.name: ("true" if s.type == "true / false" else "EUR" if "ISO" in s.type else "7")
           for s in run_shaping}  # fmt: skip
    policy = saga_policy(env)
    for s in run_shaping:
        value = getattr(policy, _policy_field(s.name))
        assert value in (7, True, "EUR"), f"{s.name} is not read into SagaPolicy ({value!r})"


def test_every_saga_policy_field_has_a_setting() -> None:
    named = {_policy_field(s.name) for s in reg.SETTINGS if s.name.startswith("POLICY_")}
    assert set(SagaPolicy.model_fields) <= named


def test_registered_defaults_are_the_app_defaults() -> None:
    policy, rails, arm = saga_policy({}), guardrails({}), ArmSettings.from_env({})
    for s in reg.SETTINGS:
        field = _policy_field(s.name)
        if field in SagaPolicy.model_fields and s.type.startswith("number"):
            expected = getattr(policy, field)
            assert (float(s.default) if s.default else None) == expected, s.name
        if field in Guardrails.model_fields and s.name == "POLICY_MAX_GATEWAY_UNITS":
            assert int(s.default) == rails.max_gateway_units
    assert reg.BY_NAME["POLICY_REQUIRE_APPROVAL"].default == str(policy.require_approval).lower()
    assert reg.BY_NAME["POLICY_PRICE_CURRENCY"].default == policy.price_currency
    assert reg.BY_NAME["ARM_RETRY_TOTAL"].default == str(arm.retry_total)
    assert float(reg.BY_NAME["ARM_POLLING_INTERVAL"].default) == arm.polling_interval
    assert reg.BY_NAME["ARM_ENDPOINT"].default == arm.endpoint


def test_the_deploy_doc_settings_table_is_generated_from_the_registry() -> None:
    match = TABLE.search(DOC.read_text(encoding="utf-8"))
    assert match, "docs/deploy.md lacks the settings-table markers"
    assert match.group(1) == reg.markdown_table(), "run `make settings-doc`"
