"""The run's custom status stays under the host's 16 KB limit for the largest request allowed."""

from __future__ import annotations

import datetime as dt

from shared import names
from shared.custom_status import HOST_LIMIT, LIMIT, bounded, size
from tests.unit.fake_azure import ALICE, fake_world, request, run

LONG_RG = "rg-" + "x" * 86  # resource group names go up to 90 characters


def _largest_request() -> dict:
    body = request("injection")
    body["apimServiceId"] = body["apimServiceId"].replace("rg-apim", LONG_RG)
    roles = {
        "service": "API Management Service Workspace API Developer",
        "workspace": "API Management Workspace Contributor",
        "gateway": "Reader",
    }
    scopes = list(roles)
    body["access"] = [
        {"principalId": f"{ALICE[:-4]}{n:04d}", "principalType": "User",
         "scope": scopes[n % 3], "role": roles[scopes[n % 3]]}
        for n in range(50)  # the contract's maximum
    ]  # fmt: skip
    return body


def test_a_small_status_is_left_as_it_is():
    custom = {"step": "wait", "waitingFor": "gateway build", "steps": [{"name": "x"}]}
    assert bounded(custom) is custom


def test_a_large_status_is_shortened_saying_what_it_left_out():
    custom = {"step": "access", "steps": [
        {"name": "access", "created": [f"/subscriptions/s/{'y' * 300}/{n}" for n in range(100)]}
    ]}  # fmt: skip
    small = bounded(custom)
    assert size(small) <= LIMIT
    assert small["steps"][0]["createdOmitted"] == 97 and len(small["steps"][0]["created"]) == 3
    assert len(custom["steps"][0]["created"]) == 100  # the original is not changed


def test_every_status_of_the_largest_allowed_request_fits_the_host_limit():
    world = fake_world(vip=None)
    world.raise_event(names.EVENT_APPROVAL, dt.timedelta(hours=1), {"approved": True})
    world.raise_event(names.EVENT_PRIVATE_IP, dt.timedelta(hours=8), {"ip": "10.20.1.9"})
    result = run(world, _largest_request(), requireApproval=True)
    assert result["outcome"] == "Succeeded"
    sizes = [size(s) for s in world.statuses]
    assert max(sizes) <= HOST_LIMIT, max(sizes)
    unbounded = max(size({**s, "steps": result["steps"]}) for s in world.statuses)
    assert unbounded > HOST_LIMIT  # without the bound this request would fail in Azure


def test_every_status_of_the_largest_allowed_request_passes_the_hosts_own_check():
    # The host serialises the status without escaping and counts UTF-16 bytes (2 per ASCII
    # character), so the budget is about 8,700 characters, not 16 KB of UTF-8
    # (extension MessagePayloadDataConverter.Serialize; devhost/host_limits.py applies it).
    from devhost.host_limits import custom_status_problem

    world = fake_world(vip=None)
    world.raise_event(names.EVENT_APPROVAL, dt.timedelta(hours=1), {"approved": True})
    world.raise_event(names.EVENT_PRIVATE_IP, dt.timedelta(hours=8), {"ip": "10.20.1.9"})
    result = run(world, _largest_request(), requireApproval=True)
    assert result["outcome"] == "Succeeded"
    problems = {p for p in map(custom_status_problem, world.statuses) if p}
    assert not problems


def test_a_shortened_status_fits_the_host_in_utf16():
    from devhost.host_limits import custom_status_problem

    custom = {"step": "access", "waitingFor": "é" * 500, "steps": [
        {"name": "access", "created": [f"/subscriptions/s/{'y' * 300}/{n}" for n in range(100)]}
    ]}  # fmt: skip
    assert custom_status_problem(custom) is not None
    assert custom_status_problem(bounded(custom)) is None
