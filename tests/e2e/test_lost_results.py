"""At-least-once activities: a step whose result is lost is run again, and still undone exactly.

The Durable host runs an activity again when its result is lost (a worker recycled after the
ARM call, before the host recorded the answer). Here the NSG and the subnet writes each do their
work and then "lose" their first result; the run retries them, later fails at access (a
principal that never appears) and compensates. The subnet must end exactly as it was, every
property included (ones the app never heard of), and the NSG this run made must be gone.
"""

from __future__ import annotations

import json
import ssl
import urllib.request
from typing import Any

import pytest

from activities import functions
from shared import activity_table as acts
from shared.step_errors import StepError
from tests.e2e.conftest import Stack

SUBNET = (
    "/subscriptions/3f2e1d0c-9b8a-4765-8432-10fedcba9876/resourceGroups/rg-network/providers/"
    "Microsoft.Network/virtualNetworks/vnet-apim/subnets/snet-gw-b"
)
NSG = SUBNET.split("/virtualNetworks/")[0] + "/networkSecurityGroups/nsg-gw-billing"
EXOTIC = {
    "sharingScope": "Tenant",
    "serviceGateway": {"id": SUBNET.split("/providers/")[0] + "/providers/x/sgw-1"},
    "futureProperty": {"mode": "Strict", "levels": [1, 2]},  # no SDK model knows it
}


def _arm(stack: Stack, method: str, resource_id: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        f"{stack.sim.url}{resource_id}?api-version=2026-03-01",
        json.dumps(body).encode() if body is not None else None, method=method,
        headers={"Content-Type": "application/json", "Authorization": "Bearer local"},
    )  # fmt: skip
    context = ssl.create_default_context(cafile=str(stack.sim.ca))
    with urllib.request.urlopen(request, context=context) as reply:
        return json.loads(reply.read() or b"null")


def _properties(stack: Stack) -> dict[str, Any]:
    props = dict(_arm(stack, "GET", SUBNET)["properties"])
    props.pop("provisioningState", None)
    return props


def _losing_first_result(monkeypatch: pytest.MonkeyPatch, name: str, lost: list[str]) -> None:
    real = functions.IMPLEMENTATIONS[name]

    def run_then_lose(inp: Any) -> Any:
        result = real(inp)  # the ARM write happened
        if name not in lost:
            lost.append(name)
            raise StepError("transient", "ResultLost", f"{name}: the host lost this result")
        return result

    monkeypatch.setitem(functions.IMPLEMENTATIONS, name, run_then_lose)


def test_lost_results_on_nsg_and_subnet_are_still_undone_to_the_exact_prior_state(
    stack: Stack, sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    subnet = _arm(stack, "GET", SUBNET)
    subnet["properties"].update(EXOTIC)
    _arm(stack, "PUT", SUBNET, subnet)
    before = _properties(stack)
    assert stack.resource(NSG) is None
    lost: list[str] = []
    _losing_first_result(monkeypatch, acts.ENSURE_NSG.name, lost)
    _losing_first_result(monkeypatch, acts.CONFIGURE_SUBNET.name, lost)

    run_id = stack.submit(sample("failing-access")).body["id"]
    run = stack.wait(run_id)

    assert sorted(lost) == [acts.CONFIGURE_SUBNET.name, acts.ENSURE_NSG.name]
    assert run["output"]["outcome"] == "Compensated", run["output"]
    network = {s["name"]: s for s in run["output"]["steps"]}["network"]
    assert network["attempts"] >= 4  # both calls ran twice
    assert stack.resource(NSG) is None  # the NSG it made (found again on retry) was deleted
    assert _properties(stack) == before  # every property, delegations and NSG as before
