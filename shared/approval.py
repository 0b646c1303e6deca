"""What an approver approves: a bounded summary of the request, built before anything is written.

The approval gate sits right after preflight (DESIGN.md §2). The approver sees the team, the
workspace, the gateway (new or shared, units, network mode, subnet), the private DNS it will
add, every grant, and, for a new gateway, its monthly cost from the price table setting
(``POLICY_GATEWAY_UNIT_MONTHLY_PRICE`` per gateway unit, ``POLICY_PRICE_CURRENCY``; see
docs/operators.md). The summary goes into the run's custom status, whose whole size the host
limits to 16 KB, so the grant list is cut after ``MAX_LISTED_GRANTS`` with a count of the rest
(the full request stays in the run's input).
"""

from __future__ import annotations

from typing import Any

from shared.request import OnboardingRequest
from shared.saga_models import SagaPolicy

MAX_LISTED_GRANTS = 20


def approval_summary(request: OnboardingRequest, policy: SagaPolicy) -> dict[str, Any]:
    gateway = request.gateway
    shared = gateway.existing_gateway_id is not None
    summary: dict[str, Any] = {
        "ticketId": request.ticket_id,
        "team": request.team,
        "requestedBy": request.requested_by,
        "workspace": request.workspace.name,
        "gateway": (
            {"shared": True, "id": gateway.existing_gateway_id}
            if shared
            else {"shared": False, "name": gateway.name, "units": gateway.capacity}
        ),
        "networkMode": gateway.network.mode,
        "subnetId": gateway.network.subnet_id,
        "privateDns": request.dns.resource_group_id if request.dns else None,
        "grants": [
            f"{g.role} at {g.scope} scope to {g.principal_type} {g.principal_id}"
            for g in request.access[:MAX_LISTED_GRANTS]
        ],
        "grantCount": len(request.access),
    }
    if not shared:
        summary["monthlyCost"] = monthly_cost(gateway.capacity, policy)
    return summary


def monthly_cost(units: int, policy: SagaPolicy) -> dict[str, Any]:
    """The new gateway's monthly price, or why it is not known."""
    price = policy.gateway_unit_monthly_price
    if price is None:
        return {"known": False, "why": "POLICY_GATEWAY_UNIT_MONTHLY_PRICE is not set"}
    return {"known": True, "amount": round(price * units, 2), "currency": policy.price_currency,
            "units": units, "unitPrice": price}  # fmt: skip
