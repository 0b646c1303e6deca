"""The behaviour matrix (issue 13, item 3): every onboarding scenario under every value of
every simulator switch, and every run ends well.

Where Azure's behaviour is unknown the simulator has a switch (simulator/README.md,
"Switches"), and the app must be right whichever way Azure behaves. The full product of the
switches is thousands of runs, so the matrix is pairwise (tests/pairwise.py): every value of
every switch meets every scenario and every value of every other switch in at least one run.
It is two pairwise sets, so that no failure hides what it pairs with (a failed build stops a
run before the link's hostname matters):

- **s** rows: the injection, integration (own gateway, no injection), no-network and
  shared-gateway scenarios with the build succeeding; each must end ``Succeeded`` with exactly
  the resources the scenario makes (and, for injection, the A record at the VIP the portal
  shows), and the team's offboarding under the same switches must then leave the simulator
  exactly as it was before the run;
- **c** rows: the same scenarios with a build that ends ``Failed``, a build that never ends,
  or every grant refused (a principal that is not in the directory): each must end
  ``Compensated`` with the simulator exactly as before the run (a shared-gateway run, which
  builds nothing, succeeds when only the build would fail).

An operator stands by and answers only what a run asks, as a person would, from the
notification the run publishes: the private IP ARM hides (read on the portal view,
``GET /_sim/portal/gateway``), and a stalled build's decision: abort, keep waiting then abort,
or no answer at all (the run's own deadline then ends it). Every ask must say what it waits for
and until when; a run never waits without an ask (the driver fails such a wait, and the row
fails on the internal error) and never runs past ``MAX_VIRTUAL`` of simulated time (no endless
wait or poll).

In-process (the harness of test_saga_against_simulator.py: the real activities with real SDK
clients against the simulator, the orchestrator on the virtual clock); a row takes about a
second. Run one row: ``pytest tests/activities/test_behaviour_matrix.py -k c05``; list them with
``--collect-only -q``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from activities import teams
from shared import activity_table as acts
from shared import names
from shared.operator_events import wait_kind
from simulator.settings import choices, switch_names
from tests.activities.team_fixtures import indexed_world  # noqa: F401 - index on
from tests.activities.test_offboard import _offboard
from tests.activities.test_partial_work import snapshot
from tests.activities.test_saga_against_simulator import SimWorld, _resources, _run
from tests.pairwise import pairwise
from tests.unit.fake_azure import RG, SERVICE, SHARED_GW, request

SCENARIOS = ("injection", "integration", "none", "shared")
# A path that makes a run fail, and the switches it sets.
FAILURES: dict[str, dict[str, Any]] = {
    "build-failed": {"gatewayBuildOutcome": "failed"},
    "build-never": {"gatewayBuildOutcome": "never"},
    "access-refused": {},  # every grant names a principal the directory does not have
}
# The switches both sets vary; gatewayBuildOutcome is the failure paths' (above).
VARIED = {name: choices(name) for name in switch_names() if name != "gatewayBuildOutcome"}
# What the operator answers to a stalled build's ask, in turn over the rows that ask it.
STALLED_ANSWERS = ("abort", "silent", "keep-waiting-then-abort")
BAD_PRINCIPAL = "dead0000-0000-4000-8000-000000000000"  # not in the directory
MAX_VIRTUAL = dt.timedelta(days=10)  # the longest a run may take on the simulated clock
GATEWAYS = f"{RG}/rg-apim/providers/Microsoft.ApiManagement/gateways".lower()


@dataclass(frozen=True)
class Combination:
    """One row: a scenario, how it may fail, the switches, and what the operator does."""

    name: str
    scenario: str
    failure: str | None
    switches: dict[str, Any] = field(hash=False)
    stalled_answer: str | None = None

    @property
    def builds(self) -> bool:
        return self.scenario != "shared"

    @property
    def expected(self) -> str:
        if self.failure == "access-refused" or (self.failure and self.builds):
            return "Compensated"
        return "Succeeded"

    @property
    def id(self) -> str:
        changed = [f"{k}={v}" for k, v in self.switches.items() if v != choices(k)[0]]
        return "-".join([self.name, self.scenario, self.failure or "ok", *changed])


def combinations() -> list[Combination]:
    """The matrix: the success set, then the failure set (deterministic, named s01..., c01...)."""
    rows = [
        Combination(f"s{n:02d}", r.pop("scenario"), None, r)
        for n, r in enumerate(pairwise({"scenario": SCENARIOS, **VARIED}), 1)
    ]
    stalled = 0
    for n, r in enumerate(
        pairwise({"failure": list(FAILURES), "scenario": SCENARIOS, **VARIED}), 1
    ):
        failure, scenario = r.pop("failure"), r.pop("scenario")
        answer = None
        if failure == "build-never" and scenario != "shared":
            answer, stalled = STALLED_ANSWERS[stalled % len(STALLED_ANSWERS)], stalled + 1
        rows.append(Combination(f"c{n:02d}", scenario, failure, {**r, **FAILURES[failure]}, answer))
    return rows


MATRIX = combinations()


def body_for(c: Combination) -> dict[str, Any]:
    body = request("integration", shared=True) if c.scenario == "shared" else request(c.scenario)
    if c.failure == "access-refused":
        for grant in body["access"]:
            grant["principalId"] = BAD_PRINCIPAL
    return body


def expected_resources(c: Combination, hostname: str) -> set[str]:
    """What a succeeded run of the scenario leaves (role assignment names as ``*``)."""
    gateway = SHARED_GW.lower() if c.scenario == "shared" else f"{GATEWAYS}/gw-payments"
    workspace = f"{SERVICE}/workspaces/ws-payments".lower()
    grants = "/providers/microsoft.authorization/roleassignments/*"
    made = {workspace, f"{gateway}/configconnections/ws-payments",
            SERVICE.lower() + grants, workspace + grants, gateway + grants}  # fmt: skip
    if c.builds:
        made.add(gateway)
    if c.scenario in ("injection", "integration"):
        made.add(
            f"{RG}/rg-network/providers/Microsoft.Network/networkSecurityGroups/nsg-gw-payments".lower()
        )
    if c.scenario == "injection":
        zone = f"{RG}/rg-dns/providers/Microsoft.Network/privateDnsZones/{hostname}".lower()
        made |= {zone, f"{zone}/a/@", f"{zone}/soa/@", f"{zone}/virtualnetworklinks/link-vnet-apim"}
    return made


def _shape(ids: set[str]) -> set[str]:
    """Ids with role assignment names (GUIDs derived from the run) as ``*``."""
    marker = "/providers/microsoft.authorization/roleassignments/"
    return {i.split(marker)[0] + marker + "*" if marker in i else i for i in ids}


class Stuck(BaseException):
    """Raised past the driver (it throws Exceptions into the orchestrator, not this)."""


class OperatorWorld(SimWorld):
    """The simulator's world with an operator who answers each ask once, from its notice."""

    def __init__(self, sim, combination: Combination) -> None:
        super().__init__(sim, operator_ip=None)
        self.combination = combination
        self.started = self.now
        self.asks: list[dict[str, Any]] = []
        self.answered: dict[str, Any] = {}
        self.stalled_asks = 0
        self.problems: list[str] = []

    def run_activity(self, name: str, payload: Any) -> Any:
        if self.now - self.started > MAX_VIRTUAL or len(self.calls) > 5000:
            raise Stuck(f"still running at {self.now} after {len(self.calls)} activity calls")
        if name == acts.PUBLISH_EVENT.name and payload.get("kind") == "waitingOnOperator":
            self.read_ask(payload)
        return super().run_activity(name, payload)

    def read_ask(self, notice: dict[str, Any]) -> None:
        event = str(notice.get("event") or "")
        status = self.statuses[-1] if self.statuses else {}
        if not (notice.get("waitingFor") and notice.get("until") and notice.get("step")):
            self.problems.append(f"an unclear ask: {notice}")
        if status.get("operatorEvent") != event:
            self.problems.append(
                f"the run's status names {status.get('operatorEvent')}, not {event}"
            )
        if event in self.answered:
            return  # a reminder of an ask already answered (or left unanswered on purpose)
        self.asks.append(notice)
        answer = self.answer(wait_kind(event))
        self.answered[event] = answer
        if answer is not None:
            self.events.append((event, self.now, answer))

    def answer(self, kind: str) -> Any:
        if kind == names.EVENT_PRIVATE_IP:
            vip = self.portal()["privateIpAddress"]
            if not vip:
                self.problems.append("asked for the private IP before the portal shows one")
            return {"ip": vip}
        if kind == names.EVENT_STALLED_DECISION:
            self.stalled_asks += 1
            plan = self.combination.stalled_answer
            if plan == "abort" or (plan == "keep-waiting-then-abort" and self.stalled_asks > 1):
                return {"action": "abort"}
            return {"action": "keepWaiting"} if plan == "keep-waiting-then-abort" else None
        self.problems.append(f"an ask this matrix does not expect: {kind}")
        return None

    def portal(self) -> dict[str, Any]:
        gateway = SHARED_GW if self.combination.scenario == "shared" else f"{GATEWAYS}/gw-payments"
        return dict(self.sim.call("GET", f"/_sim/portal/gateway?id={gateway}"))


@pytest.fixture(scope="module")
def matrix_clock(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Times the matrix as a whole and says its size and time (the issue's closing note)."""
    ran: list[str] = []
    started = time.monotonic()
    yield ran
    line = (f"behaviour matrix: {len(ran)} of {len(MATRIX)} combinations "
            f"({sum(c.name[0] == 's' for c in MATRIX)} success, "
            f"{sum(c.name[0] == 'c' for c in MATRIX)} failure) in {time.monotonic() - started:.1f} s")  # fmt: skip
    # Past pytest's capture, so the figure shows in a plain run (not on xdist workers).
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("\n" + line)


@pytest.fixture
def operator_world(indexed_world, sim, request: pytest.FixtureRequest) -> OperatorWorld:  # noqa: F811 - the fixture
    # indexed_world: the real activities' clients and the run index (team records) in the
    # simulator, so a succeeded run can be offboarded; its own world is not used.
    return OperatorWorld(sim, request.param)


@pytest.mark.parametrize(
    "operator_world",
    [pytest.param(c, id=c.id, marks=pytest.mark.sim_behaviour(**c.switches)) for c in MATRIX],
    indirect=True,
)
def test_every_combination_ends_well(operator_world: OperatorWorld, sim, matrix_clock) -> None:
    world, c = operator_world, operator_world.combination
    assert sim.call("GET", "/_sim/behaviour") == {
        **sim.call("GET", "/_sim/behaviour"),
        **c.switches,
    }
    before, before_ids = snapshot(sim), _resources(sim)
    try:
        result = _run(world, body_for(c))
    except Stuck as stuck:
        pytest.fail(f"{c.id}: stuck: {stuck}; asks {world.asks}")
    matrix_clock.append(c.name)
    errors = [(s["name"], s.get("error")) for s in result["steps"] if s.get("error")]
    assert result["outcome"] == c.expected, (c.id, errors, result["leftovers"])
    # A bug the saga caught (or the driver's "waits for something that never happens", which
    # it throws into the orchestrator) is compensated too; it must not pass as a clean undo.
    assert not [e for _, e in errors if "internal error" in (e or "")], errors
    assert world.problems == [], world.problems
    asked = [wait_kind(str(a["event"])) for a in world.asks]
    if c.failure == "build-never" and c.builds:
        assert names.EVENT_STALLED_DECISION in asked, "a build that never ends asks an operator"
    if c.expected == "Compensated":
        assert result["leftovers"] == []
        sim.advance(hours=2)  # a gateway delete ends
        assert snapshot(sim) == before, "compensation leaves the simulator exactly as it was"
        return
    made = _resources(sim) - before_ids
    teams.record_onboarding(world.published[-1])  # the team record the run leaves
    assert before_ids <= _resources(sim), "a succeeded run removes nothing"
    assert _shape(made) == expected_resources(c, result["hostname"])
    if c.scenario == "injection":
        vip = world.portal()["privateIpAddress"]
        record = sim.resource(
            f"{RG}/rg-dns/providers/Microsoft.Network/privateDnsZones/{result['hostname']}/A/@"
        )
        assert record is not None and record["properties"]["aRecords"] == [{"ipv4Address": vip}]
        exposes = c.switches["gatewayExposesPrivateIp"]
        assert (names.EVENT_PRIVATE_IP in asked) is not exposes, "the IP is asked iff ARM hides it"
    # And the team is offboarded under the same switches: nothing of it is left.
    offboarded = _offboard(world, "CHG9", "payments", "ws-payments")
    assert offboarded["outcome"] == "Succeeded", [s.get("error") for s in offboarded["steps"]]
    sim.advance(hours=2)
    assert snapshot(sim) == before, "offboarding leaves the simulator exactly as before the run"


def test_the_matrix_covers_every_value_of_every_switch_with_every_scenario() -> None:
    for rows in ([c for c in MATRIX if c.failure is None], [c for c in MATRIX if c.failure]):
        for scenario in SCENARIOS:
            for name, values in VARIED.items():
                seen = {c.switches[name] for c in rows if c.scenario == scenario}
                assert seen == set(values), (scenario, name, seen)
    failures = {(c.failure, c.scenario) for c in MATRIX if c.failure}
    assert failures == {(f, s) for f in FAILURES for s in SCENARIOS}
    assert {c.stalled_answer for c in MATRIX if c.stalled_answer} == set(STALLED_ANSWERS)
    assert {c.switches.get("gatewayBuildOutcome", "succeeded") for c in MATRIX} == set(
        choices("gatewayBuildOutcome")
    )
