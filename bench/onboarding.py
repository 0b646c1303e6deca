"""Our saga measured under devhost on the virtual clock: one run per scenario, and N at once.

Every run goes through the app's HTTP API on the local stack (simulator + devhost running the
unchanged app). A run that waits for the gateway's private IP (real ARM does not show it) gets
it from a stand-in operator at once, so its figures hold no human time.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
import resource
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from activities.build_history import record_build_duration
from bench.measure import RunFigures, gateway_ready_at, history_sizes, parse, step
from cli.api_client import call
from cli.infra_grants import LOCAL_APP_PRINCIPAL_ID, LOCAL_PARAMETERS, infra_grants
from cli.samples import load_sample
from cli.stack import LocalStack, StackOptions
from devhost.clock import VirtualClock
from devhost.stepping import advance_until
from devhost.store import Tx
from shared import gateway_signal
from shared.build_history import RecordBuildInput
from shared.poll_schedule import poll_offsets, record_of
from simulator.handlers.tables import is_table_path
from triggers.auth import REQUESTER

PRIVATE_IP = "10.20.1.9"
SEED = Path(__file__).resolve().parents[1] / "simulator" / "seeds" / "default.json"
KIND = ("westeurope", "WorkspaceGatewayPremium")  # the simulator's region and the gateway SKU


def request_for(mode: str, n: int = 0) -> dict[str, Any]:
    """A request per network mode (own gateway unless the mode is the shared one)."""
    if mode == "injection" and n == 0:
        return load_sample("injection")
    if mode == "shared":
        return load_sample("integration-shared")
    body = load_sample("injection", ticketId=f"BENCH-{mode}-{n}", team=f"team{n:04d}")
    body.pop("dns")
    network: dict[str, Any] = {"mode": mode}
    if mode == "integration":
        network["subnetId"] = body["gateway"]["network"]["subnetId"].replace(
            "snet-gw-a", "snet-gw-b"
        )
    body["workspace"] = {"name": f"ws-bench-{n:04d}", "displayName": f"Bench {n}"}
    body["gateway"] = {"name": f"gw-bench-{n:04d}", "capacity": 1, "network": network}
    return body


@contextmanager
def cleared_history_sizes() -> Iterator[dict[str, list[int]]]:
    """Record the history size of every execution continue-as-new ends (devhost clears it)."""
    sizes: dict[str, list[int]] = {}
    original = Tx.clear_history

    def recording(self: Tx, instance_id: str) -> None:
        sizes.setdefault(instance_id, []).append(len(self.history(instance_id)))
        original(self, instance_id)

    Tx.clear_history = recording  # type: ignore[method-assign]
    try:
        yield sizes
    finally:
        Tx.clear_history = original  # type: ignore[method-assign]


def _stack(tmp: Path, build_minutes: float, deadline_hours: float = 6,
           settings: dict[str, str] | None = None) -> LocalStack:  # fmt: skip
    options = StackOptions(
        state_dir=tmp, port=0, gateway_build_minutes=build_minutes,
        settings={"POLICY_BUILD_DEADLINE_HOURS": str(deadline_hours), **(settings or {})},
    )  # fmt: skip
    return LocalStack(options)


def submit_and_finish(stack: LocalStack, body: dict[str, Any]) -> dict[str, Any]:
    """Submit, answer a private-IP wait at once, and return the finished run's view."""
    assert stack.host is not None
    host = stack.host
    reply = call("POST", f"{stack.api_url}/onboardings", role=REQUESTER, body=body)
    assert reply.status == 202, reply.body
    run_id = str(reply.body["id"])

    def settled() -> bool:
        status = host.status(run_id)
        custom = status.get("customStatus") or {}
        asking = "private ip" in str(custom.get("waitingFor") or "").lower()
        return asking or status.get("runtimeStatus") not in ("Running", "Pending")

    clock = host.clock
    assert isinstance(clock, VirtualClock)
    with clock.hold():
        advance_until(host, settled, 300)
        custom = host.status(run_id).get("customStatus") or {}
        if custom.get("operatorEvent") and "private ip" in str(custom.get("waitingFor")).lower():
            host.run(host.client().raise_event(run_id, custom["operatorEvent"], {"ip": PRIVATE_IP}))
    host.wait_for(run_id, timeout=300)
    return dict(call("GET", f"{stack.api_url}/onboardings/{run_id}", role=REQUESTER).body)


def figures_of(stack: LocalStack, run: dict[str, Any], build_minutes: float,
               cleared: dict[str, list[int]]) -> RunFigures:  # fmt: skip
    assert stack.sim is not None and stack.host is not None
    run_id = run["id"]
    figures = RunFigures(outcome=(run.get("output") or {}).get("outcome", "?"))
    figures.requests_by_verb = Counter(
        r["method"] for r in stack.sim.simulation.request_log if not is_table_path(r["path"])
    )
    sizes = history_sizes(stack.host, run_id)
    per_instance = {i: max([n, *cleared.get(i, [])]) for i, n in sizes.items()}
    figures.history_total = sum(sizes.values()) + sum(
        sum(ns) for i, ns in cleared.items() if i.startswith(run_id)
    )
    figures.history_max_instance = max(per_instance.values())
    figures.history_saga = per_instance.get(run_id, 0)
    created, ended = parse(run["createdTime"]), parse(run["lastUpdatedTime"])
    wait = step(run, "wait")
    if wait.get("status") == "succeeded":
        figures.polls = int(wait.get("attempts") or 0)
        gateway_id = next(
            r for r in step(run, "gateway")["created"] if "/configConnections/" not in r
        )
        ready = gateway_ready_at(stack, gateway_id)
        if ready is not None:
            building = ready - dt.timedelta(minutes=build_minutes)
            figures.pre_build = building - created
            figures.after_ready = ended - ready
            if wait.get("ended"):
                figures.notice_delay = parse(wait["ended"]) - ready
        figures.build = dt.timedelta(minutes=build_minutes)
    dns = step(run, "dns")
    if dns.get("started") and dns.get("ended"):
        figures.dns = parse(dns["ended"]) - parse(dns["started"])
    figures.overhead = ended - created - figures.build
    return figures


def one_run(tmp: Path, mode: str, build_minutes: float = 180, deadline_hours: float = 6,
            settings: dict[str, str] | None = None,
            faults: list[dict[str, Any]] | None = None) -> RunFigures:  # fmt: skip
    with (
        cleared_history_sizes() as cleared,
        _stack(tmp, build_minutes, deadline_hours, settings) as stack,
    ):
        assert stack.sim is not None
        if faults:
            stack.sim.simulation.faults.add({"rules": faults})
        stack.sim.simulation.request_log.clear()
        run = submit_and_finish(stack, request_for(mode))
        return figures_of(stack, run, build_minutes, cleared)


def seed_records(mean_minutes: float, rng: random.Random, count: int = 20) -> None:
    """The records ``count`` earlier builds of the kind left, each as its waiter records it.

    Each earlier build is polled on the schedule the records before it give (shared/
    poll_schedule.py, the functions the waiter runs) and recorded through the activity.
    """
    records: list[Any] = []
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for n in range(count):
        duration = mean_minutes * 60 * rng.uniform(0.9, 1.1)
        offsets = poll_offsets(duration, records)
        record = record_of(offsets[-2], offsets[-1])
        if record is None:
            continue
        records.insert(0, record)
        record_build_duration(RecordBuildInput(
            region=KIND[0], sku=KIND[1], seconds=record.seconds, uncertainty=record.uncertainty,
            finished_at=(start + dt.timedelta(hours=n)).isoformat(),
            instance_id=f"onboard-earlier-{n:03d}",
        ))  # fmt: skip


@dataclass
class WaitSample:
    build: dt.timedelta
    polls: int
    notice: dt.timedelta


def jittered_runs(tmp: Path, mean_minutes: float, samples: int, seed: int,
                  learned: bool, push: bool = False) -> list[WaitSample]:  # fmt: skip
    """``samples`` onboardings (mode none) with builds jittered ±10 % around ``mean_minutes``,
    on one stack whose run index holds 20 earlier builds' records (``learned``) or none; with
    ``push`` the app's gateway push signal is on (POLICY_GATEWAY_PUSH_SIGNAL: the simulator
    publishes the build's end on Event Grid's queue when it happens)."""
    rng = random.Random(seed)
    out: list[WaitSample] = []
    deadline = max(6.0, mean_minutes / 60 * 1.5)
    settings = {gateway_signal.SETTING: "true"} if push else None
    with _stack(tmp, mean_minutes, deadline, settings) as stack:
        assert stack.sim is not None
        if learned:
            seed_records(mean_minutes, random.Random(seed + 1000))
        for n in range(samples):
            minutes = mean_minutes * rng.uniform(0.9, 1.1)
            stack.sim.simulation.timings.gateway_build_minutes = minutes
            run = submit_and_finish(stack, request_for("none", n + 1))
            figures = figures_of(stack, run, minutes, {})
            assert figures.notice_delay is not None, run.get("output")
            out.append(WaitSample(dt.timedelta(minutes=minutes), figures.polls,
                                  figures.notice_delay))  # fmt: skip
    return out


@dataclass
class LoadFigures:
    runs: int
    wall_seconds: float
    cpu_seconds: float
    outcomes: Counter[str]
    episodes: int
    events_consumed: int = 0
    requests: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _load_vnet(count: int) -> dict[str, Any]:
    """vnet-apim as seeded, plus one /27 per run (a workspace gateway needs a subnet of its own;
    the app's identity holds its network rights on this VNet, as infra/ grants them)."""
    seed = json.loads(SEED.read_text(encoding="utf-8"))
    vnet = next(r for r in seed["resources"] if r["id"].endswith("/virtualNetworks/vnet-apim"))
    subnets = [{"name": f"snet-load-{n:04d}",
                "properties": {"addressPrefix": f"10.20.{64 + n // 8}.{n % 8 * 32}/27"}}
               for n in range(count)]  # fmt: skip
    vnet = copy.deepcopy(vnet)
    vnet["properties"]["subnets"] += subnets
    return dict(vnet)


class _EventConsumer:
    """Receives and completes every event on the topic's subscriptions, as the ticketing
    system and the audit log do, so the subscriptions hold only what is in flight."""

    def __init__(self, connection: str, topic: str, subscriptions: list[str]) -> None:
        self.connection, self.topic, self.subscriptions = connection, topic, subscriptions
        self.stop = threading.Event()
        self.count = 0
        self._threads = [threading.Thread(target=self._run, args=(s,), daemon=True)
                         for s in subscriptions]  # fmt: skip

    def __enter__(self) -> _EventConsumer:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(10)

    def _run(self, subscription: str) -> None:
        from azure.servicebus import ServiceBusClient

        client = ServiceBusClient.from_connection_string(self.connection)
        with client, client.get_subscription_receiver(self.topic, subscription) as receiver:
            while not self.stop.is_set():
                for message in receiver.receive_messages(max_message_count=50, max_wait_time=0.5):
                    receiver.complete_message(message)
                    self.count += 1


def concurrent_runs(tmp: Path, count: int, workers: int = 16) -> LoadFigures:
    """``count`` injection onboardings submitted at once (3 h builds), events consumed."""
    options = StackOptions(state_dir=tmp, port=0, workers=workers)
    with LocalStack(options) as stack:
        assert stack.host is not None and stack.sim is not None
        sim = stack.sim
        sim.simulation.seed({"resources": [_load_vnet(count)]})
        # The app's rights on the new subnets, as infra/ grants them when they are listed.
        parameters = copy.deepcopy(LOCAL_PARAMETERS)
        for allowed in parameters["allowedVnets"]:
            if allowed["vnetName"] == "vnet-apim":
                allowed["subnetNames"] += [f"snet-load-{n:04d}" for n in range(count)]
        grants = infra_grants(LOCAL_APP_PRINCIPAL_ID, parameters)
        sim.simulation.seed(grants.seed(LOCAL_APP_PRINCIPAL_ID))
        # The stand-in operator for 200 private-IP waits would be the bench, not the app:
        # the switch that shows the VIP (arm-behaviour.md §3.6; the app handles both values).
        sim.simulation.timings.update_behaviour({"gatewayExposesPrivateIp": True})
        assert sim.servicebus is not None
        consumer = _EventConsumer(sim.servicebus.connection_string, "onboarding-events",
                                  ["ticketing", "audit"])  # fmt: skip
        with consumer:
            cpu0 = _cpu()
            started = time.perf_counter()
            ids = []
            for n in range(count):
                body = load_sample("injection", ticketId=f"LOAD-{n:04d}", team=f"team{n:04d}")
                body["workspace"] = {"name": f"ws-load-{n:04d}", "displayName": f"Load {n}"}
                subnet = body["gateway"]["network"]["subnetId"]
                body["gateway"]["name"] = f"gw-load-{n:04d}"
                body["gateway"]["network"]["subnetId"] = subnet.replace(
                    "subnets/snet-gw-a", f"subnets/snet-load-{n:04d}"
                )
                reply = call("POST", f"{stack.api_url}/onboardings", role=REQUESTER, body=body)
                assert reply.status == 202, reply.body
                ids.append(reply.body["id"])
            outcomes: Counter[str] = Counter()
            for run_id in ids:
                status = stack.host.wait_for(run_id, timeout=3600)
                output = status.get("output")
                outcomes[
                    output.get("outcome", "?") if isinstance(output, dict) else str(output)[:40]
                ] += 1
            wall = time.perf_counter() - started
            cpu = _cpu() - cpu0
            time.sleep(1.0)  # the last events
        return LoadFigures(count, wall, cpu, outcomes, stack.host.engine.stats.episodes,
                           consumer.count, len(sim.simulation.request_log))  # fmt: skip


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
