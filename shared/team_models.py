"""Typed inputs and outputs of the team-record activities (issue 15)."""

from __future__ import annotations

from pydantic import Field

from shared.team_record import GrantPart, RunRef, TeamRecord
from shared.wire_model import WireModel


class ReadTeamInput(WireModel):
    team: str
    apim_service_id: str
    workspace: str


class TeamLookup(WireModel):
    found: bool
    record: TeamRecord | None = None


class UpdateTeamInput(WireModel):
    """What a finished run changed: grants added/removed, or what an offboarding left."""

    team: str
    apim_service_id: str
    workspace: str
    run: RunRef
    added: list[GrantPart] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)  # assignment ids
    offboarded: bool = False
    left: TeamRecord | None = None  # an offboarding that left parts behind
