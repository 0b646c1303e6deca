"""The saga as the app identity holding exactly what infra/ grants it (least privilege both ways).

The simulator authorizes every ARM call of the app against the role definitions and
assignments ``infra/main.bicep`` makes (read from the Bicep by cli/infra_grants.py, on the
default seed's targets) and logs each decision (simulator/access.py). Here the real activities
run the injection, integration, shared-gateway and compensation paths in-process on the
virtual clock; then:

* no call the app makes is refused (a permission the app needs and infra/ lacks fails here);
* every action infra/'s custom roles grant was used by some allowed call at a scope the role is
  assigned to (a permission infra/ grants and the app never uses fails here too), except the
  few listed in :data:`NOT_EXERCISED_HERE` with the reason no local run can reach them;
* an infra/ copy with one needed action removed makes the step that needs it fail with ARM's
  403, so the check above is not vacuous.
"""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest

from activities import functions as registered
from cli.infra_grants import (
    LOCAL_APP_CLIENT_ID,
    LOCAL_APP_PRINCIPAL_ID,
    LOCAL_PARAMETERS,
    MAIN,
    infra_grants,
)
from shared import activity_table as acts
from shared import azure_clients, names
from shared.azure_clients import ArmSettings, ClientFactory
from simulator.access import action_matches
from tests.simulator.conftest import SimControl
from tests.unit.fake_azure import driver as make_driver
from tests.unit.fake_azure import request
from tests.unit.orchestration_driver import World

PORTAL_VIP = "10.20.1.4"
STRANGER = "dead0000-0000-4000-8000-000000000000"  # not in the directory: access fails
# Granted by infra/ on purpose, but no local run can use them; each with its reason.
NOT_EXERCISED_HERE = {
    # NRP answers LROs with both Azure-AsyncOperation and Location; azure-core follows the
    # former, so the Location URL (operationResults) is only read by clients that ignore it.
    # Kept because the SDK falls back to Location when the header is missing.
    "Microsoft.Network/locations/operationResults/read",
    # APIM documents it for the Azure-AsyncOperation URL of its long-running operations; the
    # gateway and config connection LROs the simulator serves point under the gateway
    # (SPEC-APIM examples, arm-behaviour.md §3.6), which no source settles for real ARM: kept.
    "Microsoft.ApiManagement/locations/operationsStatuses/read",
    # Private DNS answers both headers too; its Location URL is the results one.
    "Microsoft.Network/privateDnsOperationResults/read",
    # A rule added to an existing NSG is waited for on its operation's status, with no GET of
    # the rule after it (activities/lro.py, issue 17 item 4); azure-core still reads the rule
    # itself when NRP answers its write with neither operation header (body polling): kept.
    "Microsoft.Network/networkSecurityGroups/securityRules/read",
    # The A record is made by a create-only write, never read first (issue 17, item 4); it is
    # read by the drift check (activities/drift.py) and by the undo of a half-done DNS step in
    # a zone the run did not make, which no scenario here reaches.
    "Microsoft.Network/privateDnsZones/A/read",
}


class _World(World):
    """Real activities; durable timers move the simulator's clock; an operator gives the VIP."""

    def __init__(self, sim: SimControl) -> None:
        super().__init__()
        self.sim = sim
        self.now = dt.datetime.fromisoformat(
            sim.call("GET", "/_sim/clock")["now"].replace("Z", "+00:00")
        )
        self.events.append((names.EVENT_PRIVATE_IP, self.now, {"ip": PORTAL_VIP}))

    def run_activity(self, name: str, payload: Any) -> Any:
        if name == acts.PUBLISH_EVENT.name:
            return None
        self.activities[name] = lambda p, _w, n=name: _call(n, p)
        return super().run_activity(name, payload)


def _call(name: str, payload: Any) -> Any:
    try:
        return registered.invoke(acts.ACTIVITIES[name], payload)
    except Exception as exc:  # what the host reports: the exception's text
        raise Exception(str(exc)) from None


def _run(sim: SimControl, body: dict[str, Any]) -> dict[str, Any]:
    world = _World(sim)
    drv = make_driver(world)
    resolve = drv._resolve

    def resolve_with_clock(task: Any) -> Any:
        if task.kind == "timer" and task.fire_at and task.fire_at > world.now:
            sim.advance(seconds=(task.fire_at - world.now).total_seconds())
        return resolve(task)

    drv._resolve = resolve_with_clock  # type: ignore[method-assign]
    result: dict[str, Any] = drv.run(names.SAGA, {"request": body, "policy": {}})
    return result


@pytest.fixture
def as_app(sim: SimControl, monkeypatch: pytest.MonkeyPatch) -> SimControl:
    """The app's clients carry a token naming the app identity (ARM_STATIC_PRINCIPAL_ID)."""
    settings = ArmSettings(
        endpoint=sim.sim.url,
        ca_bundle=str(sim.sim.ca),
        credential="static",
        static_principal_id=LOCAL_APP_PRINCIPAL_ID,
        managed_identity_client_id=LOCAL_APP_CLIENT_ID,
        retry_total=0,
        polling_interval=0,
    )
    monkeypatch.setattr(azure_clients, "_default", ClientFactory(settings))
    return sim


def _fresh(sim: SimControl, main: Path = MAIN) -> None:
    sim.call("POST", "/_sim/reset")
    sim.call(
        "POST",
        "/_sim/seed",
        infra_grants(LOCAL_APP_PRINCIPAL_ID, main=main).seed(LOCAL_APP_PRINCIPAL_ID),
    )


NSG_ID = (
    "/subscriptions/3f2e1d0c-9b8a-4765-8432-10fedcba9876/resourceGroups/rg-network/providers/"
    "Microsoft.Network/networkSecurityGroups/nsg-gw-payments"
)
# Before a scenario: an NSG of the run's name already there without the gateway's rules (the
# app adds them, and compensation takes them back), or a fault on the private DNS record (the
# DNS step fails after its zone and link, which compensation deletes).
SETUP: dict[str, dict[str, Any]] = {
    "existing NSG": {"seed": {"resources": [{"id": NSG_ID, "location": "westeurope"}]}},
    "dns record fails": {
        "fault": {"method": "PUT", "path": "*/privateDnsZones/*/A/*", "status": 400,
                  "code": "BadRequest", "count": 100}
    },
}  # fmt: skip


def _scenarios() -> list[tuple[str, dict[str, Any], str]]:
    injection = request("injection")
    integration = request("integration")
    integration["gateway"]["network"]["subnetId"] = integration["gateway"]["network"][
        "subnetId"
    ].replace("snet-gw-a", "snet-gw-b")
    shared = request("integration", shared=True)
    failing = request("injection")
    failing["access"][-1]["principalId"] = STRANGER
    return [
        ("injection", injection, "Succeeded"),
        ("integration", integration, "Succeeded"),
        ("shared gateway", shared, "Succeeded"),
        ("existing NSG", failing, "Compensated"),
        ("dns record fails", request("injection"), "Compensated"),
    ]


def test_the_app_needs_every_permission_infra_grants_and_no_other(as_app: SimControl) -> None:
    sim = as_app
    decisions: list[dict[str, Any]] = []
    outcomes: dict[str, str] = {}
    for label, body, expected in _scenarios():
        _fresh(sim)
        setup = SETUP.get(label, {})
        if "seed" in setup:
            sim.call("POST", "/_sim/seed", setup["seed"])
        if "fault" in setup:
            sim.fault(**setup["fault"])
        result = _run(sim, body)
        outcomes[label] = result["outcome"]
        assert result["outcome"] == expected, (label, [s.get("error") for s in result["steps"]])
        if expected == "Compensated":
            assert result["leftovers"] == [], (label, result["leftovers"])
        sim.advance(hours=1)  # let deletes finish (polled by nobody)
        decisions += sim.call("GET", "/_sim/authorization")

    mine = [d for d in decisions if d["principal"] == LOCAL_APP_PRINCIPAL_ID]
    refused = sorted({(d["action"], d["scope"]) for d in mine if not d["allowed"]})
    assert refused == [], f"infra/ lacks what the app needs: {refused}"

    grants = infra_grants(LOCAL_APP_PRINCIPAL_ID)
    scopes: dict[str, list[str]] = {}
    for a in grants.assignments:
        role = a["properties"]["roleDefinitionId"].rsplit("/", 1)[1]
        scopes.setdefault(role, []).append(a["id"].split("/providers/Microsoft.Authorization/")[0])
    # An action counts as used when some instance of a role granting it (one per VNet, service,
    # group: the default seed's targets are more than one run touches) was used at its scope.
    granted: set[str] = set()
    used: set[str] = set()
    for role in grants.role_definitions:
        for action in {a for p in role["permissions"] for a in p["actions"]}:
            granted.add(action)
            if any(
                d["allowed"]
                and action_matches(action, d["action"])
                and any(_within(d["scope"], s) for s in scopes.get(role["id"], []))
                for d in mine
            ):
                used.add(action)
    unused = granted - used
    assert unused - NOT_EXERCISED_HERE == set(), (
        f"infra/ grants actions no run uses: {sorted(unused - NOT_EXERCISED_HERE)}"
    )


def _within(scope: str, outer: str) -> bool:
    inner_parts = [p.lower() for p in scope.split("/") if p]
    outer_parts = [p.lower() for p in outer.split("/") if p]
    return inner_parts[: len(outer_parts)] == outer_parts


def test_without_gateway_roles_an_undone_link_still_goes(as_app: SimControl) -> None:
    # allowedRolesGateway = [] (allowed by main.bicep): no RBAC Administrator at the gateway
    # group, so nothing grants the link delete's status URL (gateways/.../operationresults).
    # The unlink must still finish: compensation left the config connection behind before.
    params = copy.deepcopy(LOCAL_PARAMETERS)
    params["allowedRolesGateway"] = []
    as_app.call("POST", "/_sim/reset")
    as_app.call(
        "POST",
        "/_sim/seed",
        infra_grants(LOCAL_APP_PRINCIPAL_ID, params).seed(LOCAL_APP_PRINCIPAL_ID),
    )
    as_app.fault(**SETUP["dns record fails"]["fault"])
    body = request("injection")
    body["access"] = [a for a in body["access"] if a["scope"] != "gateway"]
    result = _run(as_app, body)
    assert result["outcome"] == "Compensated", result.get("leftovers")
    assert result["leftovers"] == []


def test_an_action_removed_from_infra_fails_the_step_that_needs_it(
    as_app: SimControl, tmp_path: Path
) -> None:
    copy = tmp_path / "infra"
    shutil.copytree(MAIN.parent, copy, ignore=shutil.ignore_patterns("hooks", "workbooks"))
    network = copy / "modules" / "rbac-network.bicep"
    text = network.read_text()
    needle = "  'Microsoft.Network/networkSecurityGroups/join/action'\n"
    assert needle in text
    network.write_text(text.replace(needle, "", 1))

    _fresh(as_app, copy / "main.bicep")
    result = _run(as_app, request("injection"))
    steps = {s["name"]: s for s in result["steps"]}
    assert result["outcome"] == "Compensated"
    assert "LinkedAuthorizationFailed" in str(steps["network"]["error"]), steps["network"]
    assert "networkSecurityGroups/join/action" in str(steps["network"]["error"])
