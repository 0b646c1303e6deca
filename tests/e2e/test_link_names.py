"""Workspaces whose names are no valid config connection name onboard end to end (issue 12, #6).

A config connection name is 1-30 letters, digits and hyphens; the default guardrail lets
workspace names reach 80 characters, and a deployment may allow more (``_``) with
POLICY_WORKSPACE_NAME_PATTERN.
"""

from __future__ import annotations

import pytest

from shared.apim_names import link_name
from tests.e2e.conftest import Stack

GATEWAYS = (
    "/subscriptions/3f2e1d0c-9b8a-4765-8432-10fedcba9876/resourceGroups/rg-apim"
    "/providers/Microsoft.ApiManagement/gateways"
)


def _onboard(stack: Stack, sample, name: str) -> None:
    body = sample("injection")
    body["workspace"] = {"name": name, "displayName": "Payments"}
    reply = stack.submit(body)
    assert reply.status == 202, reply.body
    run = stack.wait(reply.body["id"])
    assert run["output"]["outcome"] == "Succeeded", run["output"]
    link = stack.resource(f"{GATEWAYS}/gw-payments/configConnections/{link_name(name)}")
    assert link is not None and link["properties"]["sourceId"].endswith(f"/workspaces/{name}")


def test_a_workspace_name_longer_than_a_link_name_under_the_default_policy(stack, sample):
    _onboard(stack, sample, "ws-payments-with-a-rather-long-name-0001")


@pytest.mark.settings({"POLICY_WORKSPACE_NAME_PATTERN": "[a-z0-9_]{1,80}"})
def test_a_workspace_name_with_underscores_where_the_policy_allows_them(stack, sample):
    _onboard(stack, sample, "ws_payments_with_a_rather_long_name_01")
