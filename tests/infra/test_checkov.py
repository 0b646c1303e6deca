"""checkov finds nothing in infra/ that is not an explained exception, in both network modes.

checkov pins an older pycep-parser than the project uses, so it lives in its own virtual
environment, ``.venv-iac`` (``make test`` creates it). The exceptions, each with its reason,
are in ``infra/checkov-exceptions.json``; an entry with ``modes`` applies to those modes only.

checkov evaluates parameter defaults but not conditional expressions, so the modules take their
network mode as parameters whose defaults are the public mode (``vnetEnabled = false``). The
``vnet`` run scans a copy of infra/ whose defaults are the values main.bicep passes when
``vnetEnabled`` is true (``VNET_MODE``; a test checks main.bicep passes exactly those).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.infra import bicep_model as bm

CHECKOV = bm.ROOT / ".venv-iac" / "bin" / "checkov"
EXCEPTIONS = bm.INFRA / "checkov-exceptions.json"


def _exceptions() -> list[dict[str, str]]:
    data: list[dict[str, str]] = json.loads(EXCEPTIONS.read_text(encoding="utf-8"))["exceptions"]
    return data


MODES = ("public", "vnet")
# (module, parameter) -> the value main.bicep passes with vnetEnabled = true.
VNET_MODE: dict[tuple[str, str], str] = {
    ("storage.bicep", "publicNetworkAccess"): "'Disabled'",
    ("storage.bicep", "networkDefaultAction"): "'Deny'",
    ("servicebus.bicep", "skuName"): "'Premium'",
    ("servicebus.bicep", "publicNetworkAccess"): "'Disabled'",
    ("function-app.bicep", "virtualNetworkSubnetId"): "'/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/app'",
    ("durable-task-scheduler.bicep", "ipAllowlist"): "[\n  '203.0.113.10/32'\n]",
}  # fmt: skip


def _vnet_copy(target: Path) -> Path:
    """infra/ with each module's network-mode parameters defaulting to the locked-down values."""
    shutil.copytree(bm.INFRA, target, ignore=shutil.ignore_patterns("hooks", "__pycache__"))
    for (module, param), value in VNET_MODE.items():
        path = target / "modules" / module
        text = path.read_text(encoding="utf-8")
        pattern = re.compile(rf"^(param {param} \w+ = )(\[\n(?:.*\n)*?\]|[^\n]*)$", re.M)
        head = pattern.search(text)
        assert head, f"{module}: no default for {param}"
        text, count = text[: head.start(2)] + value + text[head.end(2) :], 1
        assert count == 1, f"{module}: no default for {param}"
        path.write_text(text, encoding="utf-8")
    main = target / "main.bicep"
    main.write_text(main.read_text(encoding="utf-8").replace(
        "param vnetEnabled bool = false", "param vnetEnabled bool = true"), encoding="utf-8")  # fmt: skip
    return target


def _applies(entry: dict[str, Any], mode: str) -> bool:
    return mode in entry.get("modes", MODES)


@pytest.fixture(scope="module", params=MODES)
def checkov_report(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    mode: str = request.param
    if not CHECKOV.exists():
        pytest.skip(
            f"{CHECKOV.relative_to(bm.ROOT)} is missing: create it with "
            "`python3 -m venv .venv-iac && .venv-iac/bin/pip install checkov==3.3.30` "
            "(make test does this)"
        )
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}
    infra = bm.INFRA if mode == "public" else _vnet_copy(tmp_path_factory.mktemp("vnet") / "infra")
    proc = subprocess.run(
        [str(CHECKOV), "-d", str(infra), "--framework", "bicep", "--skip-download",
         "--compact", "--quiet", "-o", "json"],
        capture_output=True, text=True, env=env, timeout=240, check=False,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    result: dict[str, Any] = report[0] if isinstance(report, list) else report
    result["mode"] = mode
    return result


def _failures(report: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (f["check_id"], f["file_path"], f["resource"])
        for f in report["results"].get("failed_checks", [])
    }


def test_checkov_parses_every_bicep_file(checkov_report: dict[str, Any]) -> None:
    summary = checkov_report["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] > 40, "checkov saw the modules, not just main.bicep"


def test_every_failed_check_is_an_explained_exception(checkov_report: dict[str, Any]) -> None:
    mode = checkov_report["mode"]
    allowed = {(e["check"], e["file"], e["resource"]) for e in _exceptions() if _applies(e, mode)}
    unexplained = sorted(_failures(checkov_report) - allowed)
    assert not unexplained, (
        f"{mode} mode: fix these or explain them in {EXCEPTIONS.name}: {unexplained}"
    )


def test_no_exception_is_stale(checkov_report: dict[str, Any]) -> None:
    mode = checkov_report["mode"]
    stale = sorted({(e["check"], e["file"], e["resource"]) for e in _exceptions() if _applies(e, mode)}
                   - _failures(checkov_report))  # fmt: skip
    assert not stale, f"{mode} mode: remove these from {EXCEPTIONS.name} (or narrow their modes)"


def test_the_vnet_scan_uses_the_values_main_passes_when_vnet_is_enabled() -> None:
    """VNET_MODE is what main.bicep really passes with vnetEnabled = true (no scan of a fiction)."""
    by_path = {decl["detail"]["path"].removeprefix("modules/"): name
               for name, decl in bm.main()["modules"].items()}  # fmt: skip
    for (module, param), value in VNET_MODE.items():
        passed = json.dumps(bm.body(bm.main()["modules"][by_path[module]])["params"][param])
        assert "vnetEnabled" in passed, (
            f"main.bicep does not choose {module}:{param} by vnetEnabled"
        )
        if value.startswith("'") and "/" not in value:
            assert f'"true_value": "{value.strip(chr(39))}"' in passed, (module, param, passed)
        assert "default" in bm.module(module)["parameters"][param], (
            f"{module}:{param} has no default"
        )


def test_every_exception_gives_a_reason() -> None:
    for entry in _exceptions():
        assert len(entry["reason"]) > 40, entry
