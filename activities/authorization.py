"""Role assignments at service, workspace and gateway scope, with deterministic names.

The assignment name is uuid5(scope | role definition | principal), so a retried or replayed
activity PUTs the same assignment again instead of making a second one; ``RoleAssignmentExists``
(another name for the same grant, made by someone else) counts as done but not as ours, so undo
leaves it. ``PrincipalNotFound`` is transient: directory replication (arm-behaviour.md §3.9).
"""

from __future__ import annotations

import uuid

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

from activities.arm_errors import classify
from shared.access_models import AssignRoleInput, RoleRecord
from shared.arm_ids import ArmId
from shared.azure_clients import ClientFactory, clients
from shared.step_errors import StepError

NAMESPACE = uuid.UUID("6f1c7e0a-2b4d-4f58-9c3e-8a1b2c3d4e5f")


def assignment_name(scope: str, role_definition_id: str, principal_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{scope}|{role_definition_id}|{principal_id}".lower()))


def assign_role(inp: AssignRoleInput, factory: ClientFactory | None = None) -> RoleRecord:
    authz = (factory or clients()).authorization(ArmId.parse(inp.scope).subscription)
    action = f"grant '{inp.role_name}' to {inp.principal_id} at {inp.scope}"
    try:
        found = list(
            authz.role_definitions.list(inp.scope, filter=f"roleName eq '{inp.role_name}'")
        )
        if len(found) != 1:
            raise StepError(
                "permanent", "RoleNotFound", f"{action}: no role named '{inp.role_name}'."
            )
        role_id = str(found[0].id)
        name = assignment_name(inp.scope, ArmId.parse(role_id).name, inp.principal_id)
        assignment_id = f"{inp.scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
        try:
            authz.role_assignments.create(
                inp.scope,
                name,
                RoleAssignmentCreateParameters(
                    role_definition_id=role_id,
                    principal_id=inp.principal_id,
                    principal_type=inp.principal_type,
                ),
            )
        except HttpResponseError as exc:
            if exc.error is not None and exc.error.code == "RoleAssignmentExists":
                return RoleRecord(assignment_id=assignment_id, created=False)
            raise
        return RoleRecord(assignment_id=assignment_id, created=True)
    except HttpResponseError as exc:
        raise classify(exc, action) from None


def remove_role(record: RoleRecord, factory: ClientFactory | None = None) -> None:
    if not record.created:
        return
    assignment = ArmId.parse(record.assignment_id)
    scope, name = str(assignment.parent), assignment.name
    authz = (factory or clients()).authorization(assignment.subscription)
    try:
        authz.role_assignments.delete(scope, name)
    except ResourceNotFoundError:
        return
    except HttpResponseError as exc:
        raise classify(exc, f"remove role assignment {name}") from None
