"""A change of a team's access as a plan (issue 15, item 2): pure, shared by intake and the run.

From the request and the team's record: which grants to make (at the scope ids the record
holds), which of the team's grants to release, which adds the team already holds (nothing to
do), and the problems that refuse the request (a removal of a grant the team does not hold, a
scope the team has no resource for, a team that is not active).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.access_models import AssignRoleInput, RoleRecord
from shared.request import AccessGrant, FieldError
from shared.team_models import ReleaseGrantInput
from shared.team_record import GrantPart, TeamRecord, grant_from_record
from shared.team_requests import ChangeAccessRequest


@dataclass
class AccessPlan:
    adds: list[AssignRoleInput] = field(default_factory=list)
    removes: list[ReleaseGrantInput] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # adds the team holds already
    problems: list[FieldError] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        """What an approver approves (the custom status ``asks.approval``)."""
        return {
            "add": [f"{a.role_name} at {a.scope} for {a.principal_id} ({a.principal_type})"
                    for a in self.adds],
            "remove": [r.record.assignment_id for r in self.removes],
            "alreadyHeld": self.held,
        }  # fmt: skip


def scope_id(record: TeamRecord, scope: str) -> str | None:
    """The resource id a grant at ``scope`` lands on, from the team's record."""
    if scope == "service":
        return record.apim_service_id
    if scope == "workspace":
        return record.workspace_id
    return record.gateway_id


def plan_access_change(
    request: ChangeAccessRequest, record: TeamRecord | None, run_id: str
) -> AccessPlan:
    plan = AccessPlan()
    if record is None:
        plan.problems.append(FieldError(
            field="team", message=f"team {request.team!r} has no onboarded workspace "
            f"{request.workspace!r} in this APIM service (GET /api/teams/{{team}})"))  # fmt: skip
        return plan
    if record.status != "active":
        plan.problems.append(FieldError(field="team", message=f"the team's workspace is "
                                        f"{record.status}; its access cannot change"))  # fmt: skip
        return plan
    for i, grant in enumerate(request.add):
        target = scope_id(record, grant.scope)
        if target is None:
            plan.problems.append(FieldError(field=f"add[{i}].scope", message=f"the team has no "
                                            f"{grant.scope} to grant on"))  # fmt: skip
            continue
        if _holds(record, grant):
            plan.held.append(f"{grant.role} at {grant.scope} for {grant.principal_id}")
            continue
        plan.adds.append(AssignRoleInput(
            scope=target, role_name=grant.role, principal_id=grant.principal_id,
            principal_type=grant.principal_type, instance_id=run_id))  # fmt: skip
    for i, grant in enumerate(request.remove):
        held = record.grant(grant.principal_id, grant.scope, grant.role)
        if held is None:
            why = "is not a grant of this team (its record lists the grants it holds)"
            plan.problems.append(FieldError(field=f"remove[{i}]", message=why))
            continue
        plan.removes.append(ReleaseGrantInput(record=held.record, by=run_id))
    return plan


def _holds(record: TeamRecord, grant: AccessGrant) -> GrantPart | None:
    return record.grant(grant.principal_id, grant.scope, grant.role)


def added_parts(outputs: list[object], service_id: str, run_id: str) -> list[GrantPart]:
    """The team record's grants for the assignments a change of access made or found."""
    parts: list[GrantPart] = []
    for output in outputs:
        if isinstance(output, RoleRecord):
            part = grant_from_record(output, service_id, run_id)
            if part is not None:
                parts.append(part)
    return parts
