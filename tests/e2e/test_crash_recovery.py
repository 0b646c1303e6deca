"""devhost running function_app is SIGKILLed at several points of a batch and restarted.

The simulator stays up (it is Azure); devhost is a separate process on one SQLite file,
its virtual clock driving the simulator's through ``--clock-follower``. After every restart the
batch goes on; at the end each run has its correct outcome and the simulator holds exactly the
resources an uninterrupted batch makes: nothing twice (NSG rules, records, assignments), no
orphans of the compensated run.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from cli.infra_grants import LOCAL_APP_SETTINGS, local_seed
from cli.samples import load_sample
from cli.stack import LocalStack, StackOptions
from shared.request import instance_id_for
from simulator import Simulator
from tests.devhost.conftest import REPO, http
from tests.e2e.conftest import REQUESTER

pytestmark = pytest.mark.timeout(240)
TERMINAL = {"Completed", "Failed", "Terminated"}
SERVICE = (
    "/subscriptions/3f2e1d0c-9b8a-4765-8432-10fedcba9876/resourceGroups/rg-apim/providers/"
    "Microsoft.ApiManagement/service/apim-contoso"
)


def _batch() -> dict[str, tuple[dict[str, Any], str]]:
    """Five runs that touch disjoint resources: request and expected outcome by run id."""
    public = load_sample("injection", ticketId="CHG-3004", team="search")
    public["workspace"] = {"name": "ws-search", "displayName": "Search"}
    public["gateway"] = {"name": "gw-search", "capacity": 1, "network": {"mode": "none"}}
    public.pop("dns")
    second_shared = load_sample("integration-shared", ticketId="CHG-3005", team="crm")
    second_shared["workspace"] = {"name": "ws-crm", "displayName": "CRM"}
    bodies = [
        (load_sample("injection"), "Succeeded"),
        (load_sample("integration-shared"), "Succeeded"),
        (load_sample("failing-access"), "Compensated"),
        (public, "Succeeded"),
        (second_shared, "Succeeded"),
    ]
    return {instance_id_for(b["ticketId"]): (b, outcome) for b, outcome in bodies}


class AppProcess:
    """``python -m devhost --app function_app`` wired to the simulator, like `onboard serve`."""

    def __init__(self, sim: Simulator, db: Path, settings: dict[str, str]) -> None:
        now = sim.simulation.clock.now().isoformat()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "devhost", "--app", "function_app", "--app-dir", str(REPO),
             "--port", "0", "--db", str(db), "--clock", "virtual", "--clock-start", now,
             "--clock-follower", f"{sim.url}/_sim/clock/set", "--clock-follower-ca", str(sim.ca),
             "--check-sequencing", "--workers", "4"],
            cwd=REPO, env={**os.environ, **settings}, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        lines: queue.Queue[str] = queue.Queue()
        stdout = self.proc.stdout
        assert stdout is not None
        threading.Thread(target=lambda: [lines.put(x) for x in stdout], daemon=True).start()
        line = lines.get(timeout=60)
        assert line.startswith("READY "), line
        self.api = json.loads(line[len("READY ") :])["api"]
        self.base = self.api.rsplit("/api", 1)[0]

    def statuses(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return {i: http("GET", f"{self.api}/onboardings/{i}", None, REQUESTER).body for i in ids}

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)


def _fingerprint(sim: Simulator) -> dict[str, Any]:
    """Every resource by id, with the parts a duplicated side effect would change."""
    out: dict[str, Any] = {}
    for r in sim.simulation.state()["resources"]:
        props = r.get("properties") or {}
        out[r["id"].lower()] = (
            sorted(rule["name"] for rule in props.get("securityRules") or []),
            sorted(json.dumps(a, sort_keys=True) for a in props.get("aRecords") or []),
            sorted(d["properties"]["serviceName"] for d in props.get("delegations") or []),
            props.get("principalId"),
        )
    return out


def _kind_to_crashes(sim: Simulator) -> None:
    """Show the gateway VIP (the kinder switch): the auto-advancing clock of a process nobody
    steps would run the injection run's private-IP wait out before an operator could answer.
    The operator path is tested in test_onboarding_http / test_operator_api and the demo."""
    sim.simulation.timings.update_behaviour({"gatewayExposesPrivateIp": True})


def _reference(tmp: Path) -> dict[str, Any]:
    """The simulator's resources after the same batch with no crash."""
    with LocalStack(StackOptions(state_dir=tmp / "reference", port=0)) as stack:
        assert stack.sim is not None
        _kind_to_crashes(stack.sim)
        for body, _ in _batch().values():
            assert http("POST", f"{stack.api_url}/onboardings", body, REQUESTER).status == 202
        assert stack.host is not None and stack.sim is not None
        for run_id in _batch():
            stack.host.wait_for(run_id, timeout=120)
        return _fingerprint(stack.sim)


def _wait(app: AppProcess, ids: list[str], until: Any, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        seen = app.statuses(ids)
        if until(seen):
            return seen
        assert time.monotonic() < deadline, {i: s.get("runtimeStatus") for i, s in seen.items()}
        time.sleep(0.05)


def test_sigkill_at_several_points_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    expected_resources = _reference(tmp_path)
    batch = _batch()
    ids = list(batch)
    db = tmp_path / "devhost.sqlite"
    with Simulator(tmp_path / "sim", clock="virtual", servicebus=True) as sim:
        # As the reference stack: the app calls as its identity, holding what infra/ grants.
        sim.simulation.seed(local_seed())
        settings = {"ARM_ENDPOINT": sim.url, "ARM_CA_BUNDLE": str(sim.ca),
                    "ARM_CREDENTIAL": "static", "ARM_POLLING_INTERVAL": "0",
                    "ARM_RETRY_TOTAL": "0", **LOCAL_APP_SETTINGS,
                    "ServiceBusConnection": sim.servicebus.connection_string}  # fmt: skip
        assert sim.servicebus is not None
        _kind_to_crashes(sim)
        app = AppProcess(sim, db, settings)
        kills = 0
        try:
            for body, _ in batch.values():
                assert http("POST", f"{app.api}/onboardings", body, REQUESTER).status == 202
            # 1: right after the batch was accepted, while first steps run.
            time.sleep(0.3)
            app.kill()
            kills += 1
            app = AppProcess(sim, db, settings)
            # 2: in the middle of the gateway build (the waiter's timers are pending).
            _wait(app, ids, lambda s: any(v.get("currentStep") == "wait" for v in s.values()))
            app.kill()
            kills += 1
            app = AppProcess(sim, db, settings)
            # 3: once some runs have finished and others have not.
            _wait(app, ids, lambda s: any(v.get("runtimeStatus") in TERMINAL for v in s.values()))
            app.kill()
            kills += 1
            app = AppProcess(sim, db, settings)
            final = _wait(
                app, ids, lambda s: all(v.get("runtimeStatus") in TERMINAL for v in s.values())
            )
            stats = http("GET", f"{app.base}/_devhost/stats").body
        finally:
            app.stop()
        assert kills == 3
        outcomes = {i: (v.get("output") or {}).get("outcome") for i, v in final.items()}
        assert outcomes == {i: outcome for i, (_, outcome) in batch.items()}
        assert stats["sequenceMismatches"] == []
        assert _fingerprint(sim) == expected_resources
