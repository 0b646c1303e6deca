"""Every Bicep file under infra/ parses with pycep-parser, and the azd layout is complete.

There is no Bicep CLI on the project machines (docs/deploy.md); pycep-parser is the syntax gate.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.infra import bicep_model as bm

FILES = bm.bicep_files()


def test_infra_has_main_and_every_module() -> None:
    names = {p.relative_to(bm.INFRA).as_posix() for p in FILES}
    assert {
        "main.bicep",
        "modules/function-app.bicep",
        "modules/storage.bicep",
        "modules/servicebus.bicep",
        "modules/monitoring.bicep",
        "modules/durable-task-scheduler.bicep",
        "modules/rbac-app.bicep",
        "modules/rbac-network.bicep",
        "modules/rbac-apim.bicep",
        "modules/rbac-gateways.bicep",
        "modules/rbac-dns.bicep",
        "modules/rbac-providers.bicep",
        "modules/rbac-delegation.bicep",
    } <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(bm.INFRA).as_posix())
def test_bicep_file_parses(path: Path) -> None:
    parsed = bm.parse(path)
    assert parsed.get("resources") or parsed.get("modules"), "a Bicep file declares something"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(bm.INFRA).as_posix())
def test_bicep_file_starts_with_a_header_comment(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("// ") and len(first) > 20


def test_main_targets_the_subscription_and_modules_exist() -> None:
    parsed = bm.main()
    assert bm.target_scope(parsed) == "subscription"
    for name, decl in parsed["modules"].items():
        target = bm.INFRA / decl["detail"]["path"]
        assert target.is_file(), f"module {name} points at a missing file {target}"


def test_nested_module_references_exist() -> None:
    for path in FILES:
        for decl in (bm.parse(path).get("modules") or {}).values():
            assert (path.parent / decl["detail"]["path"]).is_file()


def test_outputs_are_upper_snake_and_name_the_app_and_service_bus() -> None:
    outputs = bm.main()["outputs"]
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", name) for name in outputs)
    assert {"AZURE_FUNCTION_APP_NAME", "SERVICEBUS_NAMESPACE", "AZURE_CLIENT_ID"} <= set(outputs)


def test_main_parameters_file_is_json_and_names_only_real_parameters() -> None:
    data = json.loads((bm.INFRA / "main.parameters.json").read_text(encoding="utf-8"))
    assert set(data["parameters"]) <= set(bm.main()["parameters"])


def test_abbreviations_cover_every_prefix_main_uses() -> None:
    abbrs = json.loads((bm.INFRA / "abbreviations.json").read_text(encoding="utf-8"))
    used = set(re.findall(r"abbrs\.(\w+)", (bm.INFRA / "main.bicep").read_text(encoding="utf-8")))
    assert used and used <= set(abbrs)


def test_azure_yaml_declares_the_python_function_service_at_the_root() -> None:
    text = (bm.ROOT / "azure.yaml").read_text(encoding="utf-8")
    assert re.search(r"^services:\n  api:\n    project: \.\n", text, re.M)
    assert re.search(r"^    language: python$", text, re.M)
    assert re.search(r"^    host: function$", text, re.M)
