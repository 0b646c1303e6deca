"""Dry run = a plan (issue 14, item 6), over the running app and the CLI.

``?dryRun=true`` lists every change a run would make per resource (create, modify with
before -> after for the subnet, reuse, skip), the grants with what was checked, and the
findings; a failing finding is a 422 problem (the CLI exits non-zero) that still shows the plan;
for a ticket that already has a run the answer says so instead of blaming that run's own
resources (its gateway uses the subnet). Before, the dry run answered 200 with a list of calls
whatever preflight found, and a succeeded ticket's dry run failed on its own subnet.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.test_servicebus_e2e import _onboard, _sample

pytestmark = pytest.mark.timeout(120)


def _changes(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["resource"]: c for c in body["changes"]}


def _cli(stack: Stack, tmp_path: Path, request: dict[str, Any]) -> Any:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request))
    env = {**os.environ, "ONBOARD_API": stack.api}
    return _onboard("submit", str(path), "--dry-run", env=env)


def test_a_dry_run_lists_every_change_and_grant(stack: Stack, tmp_path: Path) -> None:
    request = _sample("injection")
    reply = stack.submit(request, query="?dryRun=true")
    assert reply.status == 200, reply.body
    changes = _changes(reply.body)
    assert {k: c["action"] for k, c in changes.items()} == {
        "workspace": "create", "nsg": "create", "subnet": "modify", "gateway": "create",
        "link": "create", "dns": "create"}  # fmt: skip
    subnet = changes["subnet"]
    assert subnet["before"] == {"delegations": [], "networkSecurityGroup": None}
    assert subnet["after"]["delegations"] == ["Microsoft.Web/hostingEnvironments"]
    assert subnet["after"]["networkSecurityGroup"] == changes["nsg"]["id"]
    assert len(reply.body["grants"]) == len(request["access"])
    assert {g["action"] for g in reply.body["grants"]} == {"create"}
    assert all(g["principalCheck"] for g in reply.body["grants"])
    assert stack.instances() == [] or all(
        not i.instance_id.startswith("onboard-") for i in stack.instances())  # fmt: skip

    cli = _cli(stack, tmp_path, request)
    assert cli.returncode == 0, cli.stderr
    assert "modify subnet" in " ".join(cli.stdout.split())
    assert "delegations: [] -> [Microsoft.Web/hostingEnvironments]" in cli.stdout
    assert "✓ subnetDedicated" in cli.stdout


def test_a_failing_finding_is_a_422_with_the_plan_and_the_cli_fails(stack: Stack,
                                                                   tmp_path: Path) -> None:  # fmt: skip
    request = _sample("injection")
    request["gateway"]["network"]["subnetId"] = request["gateway"]["network"]["subnetId"].replace(
        "snet-gw-a", "snet-nic")  # fmt: skip
    reply = stack.submit(request, query="?dryRun=true")
    assert reply.status == 422, reply.body
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    assert reply.body["type"].endswith("/dry-run-failed") and "subnetDedicated" in reply.body[
        "detail"]  # fmt: skip
    assert [f["check"] for f in reply.body["findings"] if not f["ok"]] == ["subnetDedicated"]
    assert _changes(reply.body)["workspace"]["action"] == "create"  # the plan is still shown
    cli = _cli(stack, tmp_path, request)
    assert cli.returncode == 1
    assert "✗ subnetDedicated" in cli.stderr and "preflight FAILED" in cli.stderr


def test_a_ticket_with_a_run_says_so_instead_of_blaming_its_resources(stack: Stack) -> None:
    request = _sample("injection")
    run_id = stack.submit(request).body["id"]
    stack.advance_until(lambda: stack.waiting_for(run_id, "private IP"))
    stack.raise_event(run_id, "private_ip", {"ip": "10.20.1.4"})
    assert stack.wait(run_id)["outcome"] == "Succeeded"

    reply = stack.submit(request, query="?dryRun=true")
    assert reply.status == 200, reply.body
    existing = reply.body["existingRun"]
    assert (existing["id"], existing["outcome"], existing["resubmission"]) == (
        run_id, "Succeeded", "identical")  # fmt: skip
    assert run_id in existing["detail"] and "start nothing" in existing["detail"]
    changes = _changes(reply.body)
    assert changes["workspace"]["action"] == "reuse" and changes["gateway"]["action"] == "reuse"
    failed = [f["check"] for f in reply.body["findings"] if not f["ok"]]
    assert all(check in existing["detail"] for check in failed)
    assert {g["action"] for g in reply.body["grants"]} == {"reuse"}
