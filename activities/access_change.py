"""Removing a team's grant, and putting it back (issue 15, item 2): the release beside its undo.

A change of access removes a grant through :func:`release_grant`: the run that relied on it
(the record's ``instance_id``) stops relying on it (its reliance row goes), and the assignment
is deleted only if that run's mark is on it and no other run relies on it, exactly as an
onboarding's undo does (activities/authorization.py ``remove_role``; when another team relies
on it and the mark is the leaving run's, the mark is handed to that team). The answer records
what was removed, so :func:`restore_grant` (the undo, when a later step of the change fails)
puts the reliance row and, if it was deleted, the same assignment with the same mark back.
"""

from __future__ import annotations

import logging

from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

from activities.arm_action import arm_action, undo_action
from activities.authorization import _get, _index, _indexed, marked_by, remove_role
from shared.arm_ids import ArmId
from shared.azure_clients import ClientFactory, clients
from shared.team_models import ReleaseGrantInput, ReleaseRecord

log = logging.getLogger("onboarding.access_change")


def release_grant(inp: ReleaseGrantInput, factory: ClientFactory | None = None) -> ReleaseRecord:
    record = inp.record
    assignment = ArmId.parse(record.assignment_id)
    scope, name = str(assignment.parent), assignment.name
    authz = (factory or clients()).authorization(assignment.subscription)
    with arm_action(f"release role assignment {name}"):
        before = _get(authz, scope, name)
        remove_role(record, factory)
        after = _get(authz, scope, name)
    deleted = before is not None and after is None
    kept = None
    if after is not None:
        owner = marked_by(after.description)
        kept = ("another onboarding relies on it" if owner and owner != record.instance_id
                else "not made by this product for this team")  # fmt: skip
    log.info("released role assignment %s (%s)", record.assignment_id,
             "deleted" if deleted else f"kept: {kept}" if kept else "already gone",
             extra={"instanceId": inp.by})  # fmt: skip
    return ReleaseRecord(
        record=record, deleted=deleted, kept=kept,
        role_definition_id=str(before.role_definition_id) if before else None,
        principal_id=str(before.principal_id) if before else None,
        principal_type=str(before.principal_type) if before and before.principal_type else None,
        description=before.description if before else None,
    )  # fmt: skip


def restore_grant(rec: ReleaseRecord, factory: ClientFactory | None = None) -> None:
    """Undo of a release: the relying run's reliance row, and the assignment if it was deleted."""
    record = rec.record
    assignment = ArmId.parse(record.assignment_id)
    scope, name = str(assignment.parent), assignment.name
    authz = (factory or clients()).authorization(assignment.subscription)
    index = _index()
    with undo_action(f"restore role assignment {name}"):
        if index is not None and record.instance_id:
            relier = str(record.instance_id)
            _indexed("restore reliance", lambda: index.rely(name, relier, record.assignment_id))
        if not rec.deleted or _get(authz, scope, name) is not None:
            return
        authz.role_assignments.create(
            scope,
            name,
            RoleAssignmentCreateParameters(
                role_definition_id=str(rec.role_definition_id),
                principal_id=str(rec.principal_id or record.principal_id),
                # It was held a moment ago by this principal: its type lets ARM skip a
                # directory look-up that replication could fail.
                principal_type=rec.principal_type,  # type: ignore[arg-type]
                description=rec.description,
            ),
        )
