"""The ``onboard`` command as a user runs it: serve, submit, show, demo (subprocesses)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cli.samples import HERE as SAMPLES
from tests.devhost.conftest import REPO

pytestmark = pytest.mark.timeout(180)


def _onboard(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.fixture
def served(tmp_path: Path):
    """``onboard serve`` on free ports; yields its READY document and the process."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", "0", "--state-dir", str(tmp_path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("READY "), line + (proc.stderr.read() if proc.stderr else "")
        yield json.loads(line[len("READY ") :]), proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


def test_serve_prints_where_everything_is_and_stops_on_sigterm(served) -> None:
    ready, proc = served
    assert ready["api"].endswith("/api")
    assert ready["simulator"].startswith("https://127.0.0.1:")
    assert Path(ready["ca"]).is_file()
    assert "UseDevelopmentEmulator=true" in ready["servicebus"]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


def test_submit_then_show_a_run(served) -> None:
    ready, _ = served
    api = ["--api", ready["api"]]
    submitted = _onboard("submit", str(SAMPLES / "integration-shared.json"), "--wait", *api)
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    assert "started run onboard-chg-1002" in submitted.stdout
    shown = _onboard("show", "onboard-chg-1002", *api)
    assert shown.returncode == 0, shown.stderr
    assert "onboard-chg-1002: Succeeded (runtime status Completed)" in shown.stdout
    again = _onboard("submit", str(SAMPLES / "integration-shared.json"), *api)
    assert "existing run onboard-chg-1002" in again.stdout


def test_submit_names_the_bad_fields_of_an_invalid_file(served, tmp_path: Path) -> None:
    ready, _ = served
    body = json.loads((SAMPLES / "injection.json").read_text())
    del body["workspace"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(body))
    result = _onboard("submit", str(bad), "--api", ready["api"])
    assert result.returncode == 1
    assert "workspace" in result.stderr


def test_show_an_unknown_run_fails_clearly(served) -> None:
    ready, _ = served
    result = _onboard("show", "onboard-nope", "--api", ready["api"])
    assert result.returncode == 1
    assert "No such onboarding" in result.stderr


def test_commands_say_when_no_app_is_running() -> None:
    result = _onboard("show", "x", "--api", "http://127.0.0.1:9/api")
    assert result.returncode == 2
    assert "onboard serve" in result.stderr


def test_demo_runs_three_onboardings_and_exits_cleanly() -> None:
    result = _onboard("demo", timeout=170)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.count("(as expected)") == 3
    assert "Demo finished" in result.stdout


def test_serve_azure_starts_no_simulator_and_targets_real_arm(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARM_", "ServiceBus"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--azure", "--port", "0",
         "--state-dir", str(tmp_path)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline()[len("READY ") :])
        assert ready["arm"] == "https://management.azure.com"
        assert ready["clock"] == "real" and "simulator" not in ready
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


def test_serve_on_a_port_in_use_says_so(served, tmp_path: Path) -> None:
    ready, _ = served
    port = ready["api"].split(":")[2].split("/")[0]
    result = _onboard("serve", "--port", port, "--state-dir", str(tmp_path / "second"))
    assert result.returncode == 2
    assert f"port {port} is in use" in result.stderr
