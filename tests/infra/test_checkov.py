"""checkov finds nothing in infra/ that is not an explained exception.

checkov pins an older pycep-parser than the project uses, so it lives in its own virtual
environment, ``.venv-iac`` (``make test`` creates it). The exceptions, each with its reason,
are in ``infra/checkov-exceptions.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest

from tests.infra import bicep_model as bm

CHECKOV = bm.ROOT / ".venv-iac" / "bin" / "checkov"
EXCEPTIONS = bm.INFRA / "checkov-exceptions.json"


def _exceptions() -> list[dict[str, str]]:
    data: list[dict[str, str]] = json.loads(EXCEPTIONS.read_text(encoding="utf-8"))["exceptions"]
    return data


@pytest.fixture(scope="module")
def checkov_report() -> dict[str, Any]:
    if not CHECKOV.exists():
        pytest.skip(
            f"{CHECKOV.relative_to(bm.ROOT)} is missing: create it with "
            "`python3 -m venv .venv-iac && .venv-iac/bin/pip install checkov==3.3.30` "
            "(make test does this)"
        )
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}
    proc = subprocess.run(
        [str(CHECKOV), "-d", str(bm.INFRA), "--framework", "bicep", "--skip-download",
         "--compact", "--quiet", "-o", "json"],
        capture_output=True, text=True, env=env, timeout=240, check=False,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    result: dict[str, Any] = report[0] if isinstance(report, list) else report
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
    allowed = {(e["check"], e["file"], e["resource"]) for e in _exceptions()}
    unexplained = sorted(_failures(checkov_report) - allowed)
    assert not unexplained, f"fix these or explain them in {EXCEPTIONS.name}: {unexplained}"


def test_no_exception_is_stale(checkov_report: dict[str, Any]) -> None:
    stale = sorted({(e["check"], e["file"], e["resource"]) for e in _exceptions()}
                   - _failures(checkov_report))  # fmt: skip
    assert not stale, f"remove these from {EXCEPTIONS.name}, checkov no longer reports them"


def test_every_exception_gives_a_reason() -> None:
    for entry in _exceptions():
        assert len(entry["reason"]) > 40, entry
