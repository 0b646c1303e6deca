"""Typed inputs and outputs of the role-assignment activities."""

from __future__ import annotations

from typing import Literal

from shared.wire_model import WireModel


class AssignRoleInput(WireModel):
    scope: str
    role_name: str
    principal_id: str
    principal_type: Literal["User", "Group", "ServicePrincipal"]


class RoleRecord(WireModel):
    assignment_id: str
    created: bool
