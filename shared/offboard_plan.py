"""An offboarding as a plan (issue 15, item 3): pure, from the team's record and what preflight
read. What is removed, what stays and why, and whether the request is refused.

* A workspace that holds APIs or products is not offboarded unless the request says ``force``
  (they go with the workspace); the refusal names them.
* The gateway goes only if this team's run created it and no other workspace is linked to it.
  Its network (the subnet's delegation and NSG association, the NSG this team created) and its
  private DNS (zone named after its hostname, VNet link, A record) serve the gateway, so they
  go with it and stay with it.
* Grants go as in a change of access (only what this product made for this team and no other
  team relies on; activities/authorization.py remove_role).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.team_models import OffboardFacts
from shared.team_record import TeamRecord


@dataclass
class OffboardPlan:
    refusal: str | None = None
    delete_gateway: bool = False
    remove_network: bool = False
    remove_dns: bool = False
    hand_over: bool = False  # the team made the gateway, others still link it
    kept: list[str] = field(default_factory=list)  # what stays on purpose, and why

    def summary(self, record: TeamRecord) -> dict[str, object]:
        """What an approver approves (the custom status ``asks.approval``)."""
        return {
            "team": record.team, "workspace": record.workspace_name,
            "grants": [f"{g.role} at {g.scope} for {g.principal_id}" for g in record.grants],
            "deleteWorkspace": bool(record.workspace and record.workspace.record.created),
            "unlink": record.link.record.link_id if record.link else None,
            "deleteGateway": record.gateway_id if self.delete_gateway else None,
            "removeDns": self.remove_dns, "restoreSubnet": self.remove_network,
            "kept": self.kept,
        }  # fmt: skip


def plan_offboarding(record: TeamRecord, facts: OffboardFacts, force: bool) -> OffboardPlan:
    plan = OffboardPlan()
    held = [f"API {a}" for a in facts.apis] + [f"product {p}" for p in facts.products]
    if held and not force:
        plan.refusal = (
            f"the workspace {record.workspace_name} still holds {', '.join(held)}; move or "
            "delete them, or offboard with force: true (they are deleted with the workspace)"
        )
        return plan
    gateway = record.gateway
    if gateway is not None:
        if not gateway.record.created:
            plan.kept.append(f"gateway {gateway.record.gateway_id}: not made by this team's run")
        elif facts.other_links:
            plan.hand_over = True
            plan.kept.append(f"gateway {gateway.record.gateway_id}: still linked by "
                             f"{', '.join(facts.other_links)}")  # fmt: skip
        else:
            plan.delete_gateway = True
    plan.remove_network = record.network is not None and (plan.delete_gateway or gateway is None)
    plan.remove_dns = record.dns is not None and (plan.delete_gateway or gateway is None)
    if record.network is not None and not plan.remove_network:
        plan.kept.append("network (subnet delegation, NSG): the kept gateway uses it")
    if record.dns is not None and not plan.remove_dns:
        plan.kept.append("private DNS zone: the kept gateway's name resolves through it")
    return plan
