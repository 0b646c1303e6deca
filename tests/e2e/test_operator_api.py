"""The operator API over the whole local stack: search, paging, counts, reads and actions.

Runs are real (function_app under devhost against the simulator); the paging test writes 1,000
index rows through the index module instead of starting 1,000 runs. Actions are checked for
their effect on the run, on its index row and on the simulator's resources.
"""

from __future__ import annotations

import datetime as dt
import json
import ssl
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

import pytest

from shared import run_index
from shared.run_index_store import run_index_table
from tests.devhost.conftest import Reply, http
from tests.e2e.conftest import OPERATOR, REQUESTER, Stack, principal

READER = principal("Onboarding.Reader", name="reader@contoso.example")
STRANGER = principal("Something.Else")
SUB_RG = "/subscriptions/3f2e1d0c-9b8a-4765-8432-10fedcba9876/resourceGroups"
GATEWAYS = f"{SUB_RG}/rg-apim/providers/Microsoft.ApiManagement/gateways"
ALICE = "a11ce000-0000-4000-8000-000000000001"
BEEF = "dead0000-0000-4000-8000-00000000beef"  # the failing-access sample's unknown principal


def _alice_access() -> list[dict[str, Any]]:
    grants = [
        ("service", "API Management Service Workspace API Developer"),
        ("workspace", "API Management Workspace Contributor"),
        ("gateway", "Reader"),
    ]
    return [{"principalId": ALICE, "principalType": "User", "scope": scope, "role": role}
            for scope, role in grants]  # fmt: skip


def _get(stack: Stack, path: str, headers: dict[str, str] | None = None, **query: Any) -> Reply:
    url = f"{stack.api}/onboardings{path}" + (f"?{urlencode(query)}" if query else "")
    return http("GET", url, None, READER if headers is None else headers)


def _post(stack: Stack, path: str, body: Any = None,
          headers: dict[str, str] | None = None) -> Reply:  # fmt: skip
    return http("POST", f"{stack.api}/onboardings{path}", body,
                OPERATOR if headers is None else headers)  # fmt: skip


def _ids(reply: Reply) -> list[str]:
    assert reply.status == 200, reply.body
    return [item["id"] for item in reply.body["items"]]


def _row(stack: Stack, run_id: str) -> dict[str, Any] | None:
    return run_index_table().get(run_id)


def _start(stack: Stack, body: dict[str, Any], headers: dict[str, str] | None = None) -> str:
    reply = stack.submit(body, headers)
    assert reply.status == 202, reply.body
    return str(reply.body["id"])


def test_every_filter_and_the_counts_over_real_runs(stack: Stack, sample) -> None:
    carol = principal("Onboarding.Requester", name="carol@contoso.example")
    ids = {
        "injection": _start(stack, sample("injection")),
        "shared": _start(stack, sample("integration-shared"), carol),
        "failing": _start(stack, sample("failing-access")),
    }
    outcomes = {name: stack.wait(run_id)["output"]["outcome"] for name, run_id in ids.items()}
    assert outcomes == {"injection": "Succeeded", "shared": "Succeeded", "failing": "Compensated"}

    assert sorted(_ids(_get(stack, ""))) == sorted(ids.values())
    assert _ids(_get(stack, "", ticket="CHG-1002")) == [ids["shared"]]
    assert _ids(_get(stack, "", team="billing")) == [ids["failing"]]
    assert _ids(_get(stack, "", workspace="ws-orders")) == [ids["shared"]]
    assert _ids(_get(stack, "", requestedBy="carol@contoso.example")) == [ids["shared"]]
    assert _ids(_get(stack, "", status="Compensated")) == [ids["failing"]]
    assert sorted(_ids(_get(stack, "", status="Succeeded"))) == sorted(
        [ids["injection"], ids["shared"]]
    )
    assert len(_ids(_get(stack, "", status="Completed"))) == 3
    assert _ids(_get(stack, "", status="Running")) == []
    assert _ids(_get(stack, "", step="done")) == [ids["failing"]]
    assert len(_ids(_get(stack, "", step="report"))) == 2
    created = run_index.parse_time(_get(stack, "").body["items"][0]["createdAt"])
    assert len(_ids(_get(stack, "", **{"from": created.isoformat()}))) == 3
    before = (created - dt.timedelta(seconds=1)).isoformat()
    assert _ids(_get(stack, "", to=before)) == []
    assert len(_ids(_get(stack, "", to=created.date().isoformat()))) == 3
    assert _ids(_get(stack, "", ticket="CHG-1002", status="Compensated")) == []
    assert _ids(_get(stack, "", ticket="x' or ticketId ne 'y")) == []  # quoted, not injected

    item = _get(stack, "", ticket="CHG-1003").body["items"][0]
    assert list(item)[: len(run_index.CONTRACT_FIELDS)] == list(run_index.CONTRACT_FIELDS)
    assert item["failedStep"] == "access" and item["mode"] == "integration"
    assert item["requestedBy"] == "alice@contoso.example" and item["waitingFor"] is None

    page = _get(stack, "", top=2)
    assert len(page.body["items"]) == 2 and page.body["continuationToken"]
    rest = _get(stack, "", top=2, continuationToken=page.body["continuationToken"])
    assert sorted(_ids(page) + _ids(rest)) == sorted(ids.values())
    assert rest.body["continuationToken"] is None

    for name, value in (("top", "0"), ("top", "500"), ("status", "Bogus"), ("from", "soon"),
                        ("to", "2026-02-30"), ("continuationToken", "%%%")):  # fmt: skip
        reply = _get(stack, "", **{name: value})
        assert reply.status == 400, (name, reply.body)
        assert reply.headers["Content-Type"].startswith("application/problem+json")
        assert reply.body["errors"][0]["field"] == name

    counts = _get(stack, "/counts").body
    # Per outcome (issue 14), Durable's runtime statuses beside.
    assert counts == {"Running": 0, "WaitingOnOperator": 0, "Compensating": 0, "Succeeded": 2,
                      "Compensated": 1, "CompensationFailed": 0, "Failed": 0, "Terminated": 0,
                      "runtimeStatus": {"Pending": 0, "Running": 0, "Completed": 3, "Failed": 0,
                                        "Terminated": 0}}  # fmt: skip

    timeline = _get(stack, f"/{ids['injection']}/timeline").body
    assert {"id", "now", "createdTime", "steps", "waitingFor", "until"} <= set(timeline)
    assert {s["name"] for s in timeline["steps"]} >= {"preflight", "wait", "dns"}
    assert set(timeline["steps"][0]) >= {"name", "status", "attempts", "retries", "started",
                                         "ended", "lastError", "nextRetry", "created",
                                         "undone"}  # fmt: skip
    assert timeline["outcome"] == "Succeeded"
    history = _get(stack, f"/{ids['failing']}/history").body
    instances = history["instances"]
    assert instances[0]["id"] == ids["failing"] and instances[0]["name"] == "onboarding_saga"
    assert len(instances) > 1 and all(i["id"].startswith(ids["failing"] + ":")
                                      for i in instances[1:])  # fmt: skip
    kinds = {e.get("EventType") for e in instances[0]["historyEvents"]}
    assert "ExecutionStarted" in kinds and "ExecutionCompleted" in kinds
    assert _get(stack, "/onboard-nope/timeline").status == 404
    assert _get(stack, "/onboard-nope/history").status == 404


def _rows(n: int) -> list[dict[str, Any]]:
    start = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    teams, modes = ("payments", "orders", "billing", "o'hara"), ("none", "integration", "injection")
    ends = (("Completed", "Succeeded"), ("Completed", "Compensated"), ("Failed", None),
            ("Terminated", None))  # fmt: skip
    rows = []
    for i in range(n):
        # Some runs share a creation instant (the RowKey breaks the tie by id).
        created = start + dt.timedelta(minutes=7 * (i // 3), seconds=i % 2)
        request = {"ticketId": f"CHG-{i:05d}", "team": teams[i % 4], "requestedBy": "x",
                   "apimServiceId": f"{SUB_RG}/rg-apim/providers/Microsoft.ApiManagement/service/"
                   "apim-contoso", "workspace": {"name": f"ws-{i:05d}"},
                   "gateway": {"network": {"mode": modes[i % 3]}}}  # fmt: skip
        row = run_index.new_row(f"onboard-chg-{i:05d}", request, f"user{i % 5}@contoso", created)
        status, outcome = ends[i % 4]
        row.update(status=status, outcome=outcome, step="report" if outcome else "dns")
        rows.append(row)
    return rows


def _all_pages(stack: Stack, top: int, **filters: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token = None
    for _ in range(2000):
        query = {"top": top, **filters, **({"continuationToken": token} if token else {})}
        reply = _get(stack, "", **query)
        assert reply.status == 200, reply.body
        assert len(reply.body["items"]) <= top
        items.extend(reply.body["items"])
        token = reply.body["continuationToken"]
        if token is None:
            return items
    raise AssertionError("paging never ended")


def _newest_first(rows: list[dict[str, Any]]) -> list[str]:
    keyed = sorted(rows, key=lambda r: run_index.row_key(
        run_index.parse_time(r["createdAt"]), r["id"]))  # fmt: skip
    return [r["id"] for r in keyed]


@pytest.mark.timeout(300)
def test_paging_over_a_thousand_rows_returns_each_once_newest_first(stack: Stack) -> None:
    rows = _rows(1000)
    index = run_index_table()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(index.put_run, rows))

    listed = _all_pages(stack, top=50)
    assert [i["id"] for i in listed] == _newest_first(rows)
    created = [i["createdAt"] for i in listed]
    assert created == sorted(created, reverse=True)

    ohara = [r for r in rows if r["team"] == "o'hara"]
    assert [i["id"] for i in _all_pages(stack, top=37, team="o'hara")] == _newest_first(ohara)

    lo, hi = rows[300]["createdAt"], rows[599]["createdAt"]
    window = [r for r in rows if lo <= r["createdAt"] <= hi and r["outcome"] == "Compensated"]
    got = _all_pages(stack, top=200, status="Compensated", **{"from": lo, "to": hi})
    assert [i["id"] for i in got] == _newest_first(window) and len(window) > 50

    user = [r for r in rows if r["requestedBy"] == "user3@contoso" and r["mode"] == "none"]
    got = _all_pages(stack, top=7, requestedBy="user3@contoso")
    assert [i["id"] for i in got if i["mode"] == "none"] == _newest_first(user)

    counts = _get(stack, "/counts").body
    # By outcome (issue 14), each the list of the outcome filter; Durable's words beside.
    assert counts["runtimeStatus"]["Completed"] == 500 and counts["Succeeded"] == 250
    assert counts["Failed"] == 250 and counts["Terminated"] == 250 and counts["Running"] == 0
    assert counts["Compensated"] == 250 and counts["WaitingOnOperator"] == 0
    for outcome in ("Failed", "Terminated", "Compensated"):
        assert len(_all_pages(stack, top=200, outcome=outcome)) == counts[outcome]


def test_terminate_with_compensation_leaves_the_simulator_as_before(stack: Stack, sample) -> None:
    # Waiting for the private IP, the run has made everything but the DNS records.
    stack.sim.simulation.timings.gateway_exposes_private_ip = False
    before = stack.resources()
    run_id = _start(stack, sample("injection"))
    with stack.host.clock.hold():
        stack.advance_until(lambda: bool((_row(stack, run_id) or {}).get("waitingFor")))
        assert stack.resources() != before  # workspace, NSG, subnet change, gateway, roles
        row = _row(stack, run_id)
        assert row and row["waitingFor"] and _get(stack, "/counts").body["WaitingOnOperator"] == 1
        assert row["outcome"] == "WaitingOnOperator"
        assert str(row["waitingEvent"]).startswith("private_ip-")
        assert _post(stack, f"/{run_id}/terminate", {"compensate": True}).status == 400
        reply = _post(stack, f"/{run_id}/terminate", {"reason": "wrong team", "compensate": True})
        assert reply.status == 202, reply.body
    run = stack.wait(run_id, operator=False)  # nobody supplies the IP: the run was terminated
    assert run["output"]["outcome"] == "Compensated"
    assert "oncall@contoso.example" in {s["name"]: s for s in run["steps"]}["dns"]["lastError"]
    assert stack.resources() == before
    row = _row(stack, run_id)
    assert row and row["outcome"] == "Compensated" and row["waitingFor"] is None
    assert "terminate+compensate by oncall@contoso.example" in row["lastAction"]
    assert _post(stack, f"/{run_id}/terminate", {"reason": "again"}).status == 409


def test_terminate_with_compensation_during_the_build_undoes_the_gateway_too(
    stack: Stack, sample
) -> None:
    before = stack.resources()
    run_id = _start(stack, sample("injection"))
    with stack.host.clock.hold():
        stack.advance_until(lambda: stack.waiting_for(run_id, "gateway build"))
        gateway = stack.resource(f"{GATEWAYS}/gw-payments")
        assert gateway and gateway["properties"]["provisioningState"] != "Succeeded"
        reply = _post(stack, f"/{run_id}/terminate", {"reason": "wrong VNet", "compensate": True})
        assert reply.status == 202, reply.body
    run = stack.wait(run_id)
    assert run["output"]["outcome"] == "Compensated", run["output"]
    assert "wrong VNet" in {s["name"]: s for s in run["steps"]}["wait"]["lastError"]
    assert stack.resources() == before
    # The abandoned waiter finds the gateway gone at its next poll and ends too.
    stack.advance_until(
        lambda: all(i.runtime_status.value != "Running" for i in stack.all_instances())
    )


@pytest.mark.settings({"POLICY_REQUIRE_APPROVAL": "true"})
def test_terminate_approve_and_reject(stack: Stack, sample) -> None:
    approve = _start(stack, sample("injection"))
    stop = _start(stack, sample("failing-access", access=_alice_access()))
    with stack.host.clock.hold():
        stack.advance_until(lambda: all(stack.waiting_for(i, "approval") for i in (approve, stop)))
        assert _post(stack, f"/{approve}/approve", {"approved": "yes"}).status == 400
        assert _post(stack, f"/{approve}/events/private_ip", {"ip": "10.0.0.9"}).status == 409
        assert _post(stack, "/onboard-nope/approve", {"approved": True}).status == 404
        reply = _post(stack, f"/{approve}/approve", {"approved": True, "reason": "CAB-77"})
        assert reply.status == 202 and reply.body["id"] == approve
        assert _post(stack, f"/{stop}/terminate", {"reason": "duplicate"}).status == 202
        # Read before the run's last action becomes the private IP an operator supplies.
        stack.advance_until(lambda: "approve by oncall@contoso.example"
                            in str((_row(stack, approve) or {}).get("lastAction")))  # fmt: skip

    run = stack.wait(approve)
    assert run["output"]["outcome"] == "Succeeded"
    assert stack.resource(f"{GATEWAYS}/gw-payments") is not None
    assert stack.wait(stop)["runtimeStatus"] == "Terminated"
    assert (_row(stack, stop) or {})["status"] == "Terminated"
    assert _ids(_get(stack, "", status="Terminated")) == [stop]
    assert _post(stack, f"/{approve}/approve", {"approved": True}).status == 409


def test_supplying_the_private_ip_completes_dns(stack: Stack, sample) -> None:
    stack.sim.simulation.timings.gateway_exposes_private_ip = False
    run_id = _start(stack, sample("injection"))
    # Held: an idle host would otherwise jump its virtual clock to the next reminder.
    with stack.host.clock.hold():
        # The row follows the waitingOnOperator milestone, an activity after the custom status.
        stack.advance_until(lambda: bool((_row(stack, run_id) or {}).get("waitingFor")))
        assert stack.waiting_for(run_id, "private IP")
        assert (_row(stack, run_id) or {})["step"] == "dns"
        assert _post(stack, f"/{run_id}/events/bogus", {"x": 1}).status == 400
        assert _post(stack, f"/{run_id}/events/approval", {"approved": True}).status == 409
        public = _post(stack, f"/{run_id}/events/private_ip", {"ip": "8.8.8.8"})
        assert public.status == 400 and public.body["errors"][0]["field"] == "ip"
        bad = _post(stack, f"/{run_id}/terminate", {"reason": "x", "compensate": "y"})
        assert bad.status == 400
        reply = _post(stack, f"/{run_id}/events/private_ip", {"ip": "10.20.1.9"})
        assert reply.status == 202, reply.body
    run = stack.wait(run_id)
    assert run["output"]["outcome"] == "Succeeded"
    link = stack.resource(f"{GATEWAYS}/gw-payments/configConnections/ws-payments")
    hostname = link["properties"]["defaultHostname"]  # type: ignore[index]
    zone = f"{SUB_RG}/rg-dns/providers/Microsoft.Network/privateDnsZones/{hostname}"
    assert stack.resource(zone) is not None
    assert stack.resource(f"{zone}/A/@") is not None


def test_purge_removes_the_run_and_its_row_and_old_rows(stack: Stack, sample) -> None:
    run_id = _start(stack, sample("integration-shared"))
    assert _post(stack, f"/{run_id}/purge").status in (202, 409)  # 409 while it runs
    stack.wait(run_id)
    old = _rows(6)
    for row in old:
        row["createdAt"] = row["updatedAt"] = "2024-03-01T00:00:00+00:00"
    old[5]["status"], old[5]["outcome"] = "Running", None
    index = run_index_table()
    for row in old:
        index.put_run(row)

    reply = _post(stack, f"/{run_id}/purge")
    assert reply.status == 202, reply.body
    assert stack.view(run_id).status == 404
    assert _get(stack, f"/{run_id}/history").status == 404
    assert not [i for i in stack.host.run(stack.host.client().get_status_all())
                if i.instance_id.startswith(run_id)]  # fmt: skip
    assert _row(stack, run_id) is None and run_id not in _ids(_get(stack, ""))

    assert _post(stack, "/purge?olderThanDays=soon").status == 400
    reply = _post(stack, "/purge?olderThanDays=400")
    assert reply.status == 202, reply.body
    assert sorted(reply.body["purged"]) == sorted(r["id"] for r in old[:5])
    assert _ids(_get(stack, "")) == [old[5]["id"]]  # the active one stays


def _add_principal(stack: Stack, principal_id: str) -> None:
    body = {"id": principal_id, "type": "User", "displayName": "Beef"}
    request = urllib.request.Request(
        f"{stack.sim.url}/_sim/directory/principals", json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    context = ssl.create_default_context(cafile=str(stack.sim.ca))
    with urllib.request.urlopen(request, context=context) as reply:
        assert reply.status == 201


def test_retry_after_fixing_the_cause_succeeds_as_a_new_run(stack: Stack, sample) -> None:
    before = stack.resources()
    run_id = _start(stack, sample("failing-access"))
    first = stack.wait(run_id)
    assert first["output"]["outcome"] == "Compensated"
    assert stack.resources() == before  # the failed run undid what it made
    assert _post(stack, "/onboard-nope/retry").status == 404

    _add_principal(stack, BEEF)
    reply = _post(stack, f"/{run_id}/retry")
    assert reply.status == 202, reply.body
    retry_id = reply.body["id"]
    assert retry_id == f"{run_id}-r1" and reply.body["retryOf"] == run_id
    assert reply.headers["Location"].endswith(f"/onboardings/{retry_id}")
    run = stack.wait(retry_id)
    assert run["output"]["outcome"] == "Succeeded", run["output"]
    assert (_row(stack, retry_id) or {})["retryOf"] == run_id
    assert "retried as" in (_row(stack, run_id) or {})["lastAction"]
    assert _ids(_get(stack, "", ticket="CHG-1003")) == [retry_id, run_id]
    assert _post(stack, f"/{retry_id}/retry").status == 409  # it succeeded


ROUTES = [
    ("GET", ""), ("GET", "/counts"), ("GET", "/onboard-x/timeline"), ("GET", "/onboard-x/history"),
    ("POST", "/onboard-x/terminate"), ("POST", "/onboard-x/retry"),
    ("POST", "/onboard-x/approve"), ("POST", "/onboard-x/events/approval"),
    ("POST", "/onboard-x/purge"), ("POST", "/purge?olderThanDays=1"),
]  # fmt: skip


def test_every_route_needs_a_principal_and_the_right_role(stack: Stack) -> None:
    for method, path in ROUTES:
        url = f"{stack.api}/onboardings{path}"
        assert http(method, url, {} if method == "POST" else None, {}).status == 401, path
        wrong = READER if method == "POST" else STRANGER
        reply = http(method, url, {} if method == "POST" else None, wrong)
        assert reply.status == 403, (path, reply.body)
        if method == "POST":
            assert http(method, url, {}, REQUESTER).status == 403, path
            assert reply.body["requiredRoles"] == ["Onboarding.Operator"]
        else:
            for allowed in (READER, REQUESTER, OPERATOR):
                assert http(method, url, None, allowed).status in (200, 404), path


def test_cli_lists_pages_reads_history_and_reports_refusals(stack: Stack, sample, capsys) -> None:
    from cli.main import main

    run_id = _start(stack, sample("integration-shared"))
    stack.wait(run_id)
    run_index_table().put_run(_rows(3)[0])
    assert main(["list", "--api", stack.api, "--top", "1", "--all", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [run_id, "onboard-chg-00000"]
    assert main(["list", "--api", stack.api, "--ticket", "CHG-1002"]) == 0
    assert run_id in capsys.readouterr().out
    assert main(["history", run_id, "--api", stack.api]) == 0
    assert json.loads(capsys.readouterr().out)["instances"][0]["id"] == run_id
    assert main(["terminate", run_id, "--reason", "late", "--api", stack.api]) == 1
    assert "does not allow" in capsys.readouterr().err
    assert main(["supply", run_id, "--ip", "8.8.8.8", "--api", stack.api]) == 1
    assert main(["retry", run_id, "--api", stack.api]) == 1


@pytest.mark.settings({"POLICY_FAILED_STEP_HOLD_HOURS": "24"})
def test_a_held_failed_step_is_retried_in_place_keeping_completed_steps(
    stack: Stack, sample
) -> None:
    run_id = _start(stack, sample("failing-access"))
    with stack.host.clock.hold():
        stack.advance_until(lambda: stack.waiting_for(run_id, "failed access step"))
        held = stack.view(run_id).body
        steps = {s["name"]: s for s in held["steps"]}
        assert steps["access"]["status"] == "held" and steps["workspace"]["status"] == "succeeded"
        assert held["outcome"] == "WaitingOnOperator"
        assert (
            held["waitingFor"]["kind"] == "failed_decision"
            and "PrincipalNotFound" in (steps["access"]["lastError"])
        )
        workspace_id = steps["workspace"]["created"][0]
        assert _post(stack, f"/{run_id}/retry", {}, headers=READER).status == 403
        _add_principal(stack, "dead0000-0000-4000-8000-00000000beef")  # the cause, fixed
        reply = _post(stack, f"/{run_id}/retry", {})
        assert reply.status == 202, reply.body
        assert reply.body["id"] == run_id, "retried in place, not as a new run"
    run = stack.wait(run_id)
    assert run["output"]["outcome"] == "Succeeded", run["output"]
    assert {s["name"]: s for s in run["steps"]}["access"]["status"] == "succeeded"
    # The workspace made before the failure was kept: never deleted, never created again.
    assert stack.resource(workspace_id) is not None
    calls = [(r["method"], r["path"].lower()) for r in stack.sim.simulation.request_log]
    assert ("DELETE", workspace_id.lower()) not in calls
    assert sum(1 for m, p in calls if m == "PUT" and p == workspace_id.lower()) == 1
    assert [i.instance_id for i in stack.instances()] == [run_id]


@pytest.mark.settings({"POLICY_FAILED_STEP_HOLD_HOURS": "24"})
def test_a_held_failed_step_compensates_when_nobody_decides(stack: Stack, sample) -> None:
    before = stack.resources()
    run_id = _start(stack, sample("failing-access"))
    run = stack.wait(run_id)  # the virtual clock runs through the 24-hour hold
    assert run["output"]["outcome"] == "Compensated", run["output"]
    assert stack.resources() == before


def test_an_answer_sent_before_the_notification_completes_is_taken_exactly_once(
    stack: Stack, sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An IP outside the gateway subnet, raised while the saga still publishes its ask, is
    refused once and asked again once; a valid IP then finishes the run (two asks in all)."""
    import threading

    from activities import notifications

    stack.sim.simulation.timings.gateway_exposes_private_ip = False
    publish = notifications.publish_event
    asked = threading.Event()
    answered = threading.Event()
    asks: list[dict[str, Any]] = []

    def slow_publish(event: dict[str, Any], client: Any = None) -> None:
        if event.get("kind") == "waitingOnOperator" and event.get("step") == "dns":
            asks.append(event)
            if len(asks) == 1:
                asked.set()
                answered.wait(30)  # the operator answers while this notification is in flight
        publish(event, client)

    monkeypatch.setattr(notifications, "publish_event", slow_publish)
    run_id = _start(stack, sample("injection"))
    with stack.host.clock.hold():
        stack.advance_until(asked.is_set)
        outside = _post(stack, f"/{run_id}/events/private_ip", {"ip": "10.99.0.4"})
        answered.set()
        assert outside.status == 202, outside.body
        stack.advance_until(lambda: len(asks) >= 2 and stack.waiting_for(run_id, "subnet"))
        reply = _post(stack, f"/{run_id}/events/private_ip", {"ip": "10.20.1.9"})
        assert reply.status == 202, reply.body
    run = stack.wait(run_id)
    assert run["output"]["outcome"] == "Succeeded"
    assert [a["event"] for a in asks] == ["private_ip-1", "private_ip-2"]
    assert "not in the gateway subnet" in asks[1]["waitingFor"]
