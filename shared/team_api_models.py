"""The team routes' answers and bodies as pydantic models, and the routes themselves (issue 15).

The OpenAPI document (issue 14) can describe these routes from :data:`TEAM_ROUTES`: method,
path below ``/api``, function name, roles (any one of them) and the models of body and answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field

from shared.drift import TeamDrift
from shared.team_record import TeamRecord
from shared.wire_model import WireModel

READ = ("Onboarding.Reader", "Onboarding.Requester", "Onboarding.Operator")
START = ("Onboarding.Requester", "Onboarding.Operator")
ACT = ("Onboarding.Operator",)


class TeamSummary(WireModel):
    team: str
    workspace: str
    apim_service_id: str
    status: str
    mode: str
    gateway_id: str | None = None
    shared_gateway: bool | None = None
    grants: int
    runs: list[str]
    updated_at: str | None = None


class TeamList(WireModel):
    items: list[TeamSummary]


class TeamDetail(WireModel):
    """Every workspace the team has onboarded, each with its parts and the runs that made them."""

    team: str
    workspaces: list[TeamRecord] = Field(default_factory=list)


class DriftList(WireModel):
    items: list[TeamDrift]


class DriftCheckBody(WireModel):
    team: str | None = None


class RepairBody(WireModel):
    ticket_id: str
    apim_service_id: str
    workspace: str
    reason: str = ""


class Started(WireModel):
    id: str
    status_url: str
    existing: bool | None = None


@dataclass(frozen=True)
class TeamRoute:
    function: str
    method: str
    path: str  # below /api
    summary: str
    roles: tuple[str, ...]
    body: type[BaseModel] | None = None
    answer: type[BaseModel] | None = None


TEAM_ROUTES: tuple[TeamRoute, ...] = (
    TeamRoute("list_teams", "GET", "teams", "Every team's record, one row per workspace", READ,
              answer=TeamList),
    TeamRoute("get_team", "GET", "teams/{team}", "A team's records with the runs that made "
              "each part", READ, answer=TeamDetail),
    TeamRoute("list_drift", "GET", "drift", "Every team's latest drift findings", READ,
              answer=DriftList),
    TeamRoute("check_drift", "POST", "drift", "Check every team (or one) for drift now", ACT,
              body=DriftCheckBody, answer=Started),
    TeamRoute("repair_team_route", "POST", "teams/{team}/repair", "Re-apply a team's recorded "
              "state (approval by default)", ACT, body=RepairBody, answer=Started),
)  # fmt: skip
# Change of access and offboarding go through POST /api/onboardings with ``kind``
# (shared/team_requests.py: ChangeAccessRequest, OffboardRequest).
