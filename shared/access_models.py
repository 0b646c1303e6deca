"""Typed inputs and outputs of the role-assignment activities."""

from __future__ import annotations

from typing import Literal

from shared.wire_model import WireModel


class AssignRoleInput(WireModel):
    scope: str
    role_name: str
    principal_id: str
    principal_type: Literal["User", "Group", "ServicePrincipal"]
    # The run granting it: marks what the run creates and records that the run relies on it.
    instance_id: str | None = None


class RoleRecord(WireModel):
    assignment_id: str
    created: bool
    # The run that recorded it (None in records of runs started before reliance was recorded).
    instance_id: str | None = None
    # Who holds what (the team record's grant, issue 15); None in records of older runs.
    role_name: str | None = None
    principal_id: str | None = None
    principal_type: Literal["User", "Group", "ServicePrincipal"] | None = None
