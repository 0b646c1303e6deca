"""Role assignments at service, workspace and gateway scope: who made them, who relies on them.

Names are deterministic, uuid5(scope | role definition | principal), so every onboarding that
grants the same thing meets the same assignment. That makes grants shared facts (DESIGN.md §2):

* **Ownership.** An assignment is a run's only if it did not exist before the run. The grant
  reads before it writes: found, it is someone else's (``created=False``) unless its
  ``description`` carries this run's mark ``[onboarding:<instance id>]``, which the run writes
  on what it creates, so a retried activity whose result was lost still knows its own work.
  ``RoleAssignmentExists`` (the same grant under another name, made by someone else) is done,
  never ours.
* **Reliance.** Every grant the run made or found gets a reliance row in the run index
  (shared/run_index.py), written before the assignment is read or made and kept when the run
  succeeds. An undo removes its own row, and deletes the assignment only if it is this run's
  and no other run's row remains. When it keeps an assignment it made for a run that still
  relies on it, it hands the mark over to that run, so the last run out removes it and no
  onboarding leaves an orphan grant behind. A run that started relying between the undo's
  look and its delete gets the assignment back at once (marked for it).
* **Index off** (``RUN_INDEX_ENDPOINT`` unset): an undo deletes only what its run created,
  without knowing who else relies on it, and logs that it did so.

**Principals.** The write sends no ``principalType``: with it ARM skips its directory check, so
a mistyped principal id would become a grant to nobody. ARM then answers ``PrincipalNotFound``
for a principal it cannot find (transient, retried on the orchestrator's bounded 'principal'
schedule for directory replication: arm-behaviour.md §3.9) and reports the principal's type
in the assignment; a type other than the requested one fails the step for good, naming the
principal and both types, after taking back the grant this run made.
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.authorization.v2022_04_01.models import (
    RoleAssignment,
    RoleAssignmentCreateParameters,
)

from activities.arm_action import arm_action, undo_action
from shared.access_models import AssignRoleInput, RoleRecord
from shared.arm_ids import ArmId
from shared.azure_clients import ClientFactory, clients
from shared.run_index_store import RunIndex, index_enabled, run_index_table
from shared.step_errors import StepError

NAMESPACE = uuid.UUID("6f1c7e0a-2b4d-4f58-9c3e-8a1b2c3d4e5f")
_MARK = re.compile(r"\[onboarding:(?P<id>[^\]\s]+)\]")
log = logging.getLogger("onboarding.authorization")
T = TypeVar("T")


def assignment_name(scope: str, role_definition_id: str, principal_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{scope}|{role_definition_id}|{principal_id}".lower()))


def mark(instance_id: str) -> str:
    """The description of an assignment run ``instance_id`` created."""
    return f"[onboarding:{instance_id}] granted by the APIM workspace onboarding"


def marked_by(description: str | None) -> str | None:
    """The instance id in an assignment's mark, or None when it carries none."""
    found = _MARK.search(description or "")
    return found.group("id") if found else None


def assign_role(inp: AssignRoleInput, factory: ClientFactory | None = None) -> RoleRecord:
    authz = (factory or clients()).authorization(ArmId.parse(inp.scope).subscription)
    action = f"grant '{inp.role_name}' to {inp.principal_id} at {inp.scope}"
    index = _index()
    # Set once a grant of this run exists (made by this call, or a read found it marked):
    # a failure after that carries it as the undo record (StepError.partial), so a grant whose
    # take-back failed is removed by compensation; remove_role deletes only what bears this
    # run's mark and no other run relies on.
    made: list[RoleRecord] = []

    def partial() -> RoleRecord | None:
        return made[0] if made else None

    with arm_action(action, partial):
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
        if index is None or not inp.instance_id:
            return _grant(authz, inp, role_id, name, assignment_id, made)
        instance_id = inp.instance_id
        # Before the read: an undo that looks after this sees the run relying on it.
        _indexed(action, lambda: index.rely(name, instance_id, assignment_id))
        try:
            return _grant(authz, inp, role_id, name, assignment_id, made)
        except BaseException:
            # No record, so no undo would remove the row: a stale row would keep the grant
            # for a run that has none. A retry writes it again.
            with contextlib.suppress(Exception):
                index.release(name, instance_id)
            raise


def remove_role(record: RoleRecord, factory: ClientFactory | None = None) -> None:
    assignment = ArmId.parse(record.assignment_id)
    scope, name = str(assignment.parent), assignment.name
    authz = (factory or clients()).authorization(assignment.subscription)
    action = f"remove role assignment {name}"
    index = _index()
    with undo_action(action):  # a 404 anywhere: already gone, done
        if index is None:
            if record.created:
                log.info(
                    "run index is off: deleting role assignment %s because this run created "
                    "it, without checking whether another onboarding relies on it",
                    record.assignment_id,
                    extra={"instanceId": record.instance_id},
                )
                _delete(authz, scope, name)
            return
        if record.instance_id:
            _indexed(action, lambda: index.release(name, str(record.instance_id)))
        others = _indexed(action, lambda: index.reliers(name))
        existing = _get(authz, scope, name)
        if existing is None:
            return
        if not _ours(record, existing):
            return
        if others:
            # Kept for the runs that rely on it; the first of them now owns it.
            log.info(
                "role assignment %s kept: onboardings %s rely on it",
                record.assignment_id,
                ", ".join(others),
                extra={"instanceId": record.instance_id},
            )
            _hand_over(authz, scope, name, existing, others[0], record.assignment_id)
            return
        _delete(authz, scope, name)
        late = _indexed(action, lambda: index.reliers(name))
        if late:
            # A run began relying on it between the look and the delete: it gets it back.
            log.warning(
                "role assignment %s restored: onboarding %s began relying on it during the undo",
                record.assignment_id,
                late[0],
                extra={"instanceId": record.instance_id},
            )
            _put_back(authz, scope, name, existing, late[0])


# --- internals ----------------------------------------------------------------------------


def _grant(
    authz: Any,
    inp: AssignRoleInput,
    role_id: str,
    name: str,
    assignment_id: str,
    mine: list[RoleRecord],
) -> RoleRecord:
    """Read, then make the assignment only if it is not there; whose it is. ``mine`` gets the
    record of a grant of this run as soon as one may exist."""
    # The read is the ownership check and stays (issue 17, item 4): the PUT is "create or
    # update a role assignment by scope and name" (learn.microsoft.com/rest/api/authorization/
    # roleassignments/create; Set-AzRoleAssignment and az role assignment update change the
    # description of an existing one that way, Azure/azure-cli#14958), and no create-only
    # condition is documented, so a PUT without it would overwrite another owner's mark.
    existing = _get(authz, inp.scope, name)
    if existing is not None:
        ours = inp.instance_id is not None and marked_by(existing.description) == inp.instance_id
        if ours:
            mine.append(_record(assignment_id, True, inp))
        _check_type(authz, inp, existing, name, ours)
        return _record(assignment_id, ours, inp)
    try:
        made = authz.role_assignments.create(
            inp.scope,
            name,
            RoleAssignmentCreateParameters(
                role_definition_id=role_id,
                principal_id=inp.principal_id,
                # No principalType: with it ARM skips its directory check and a mistyped id
                # becomes a grant to nobody. Without it ARM answers PrincipalNotFound (transient
                # for a while: replication) and reports the principal's real type. It must be
                # None explicitly: the SDK's model defaults it to 'User'.
                principal_type=None,  # type: ignore[arg-type]
                description=mark(inp.instance_id) if inp.instance_id else None,
            ),
        )
    except HttpResponseError as exc:
        if exc.error is not None and exc.error.code == "RoleAssignmentExists":
            return _record(assignment_id, False, inp)
        raise
    if inp.instance_id:  # made and marked: its undo can tell it is this run's
        mine.append(_record(assignment_id, True, inp))
    _check_type(authz, inp, made, name, ours=True)
    return _record(assignment_id, True, inp)


def _check_type(
    authz: Any, inp: AssignRoleInput, assignment: RoleAssignment, name: str, ours: bool
) -> None:
    """The principal is of the requested type, else a permanent failure (after taking back a
    grant this run made for it: the request meant someone else)."""
    actual = assignment.principal_type
    if actual is None or str(actual) == inp.principal_type:
        return
    if ours:
        _delete(authz, inp.scope, name)
    raise StepError(
        "permanent",
        "PrincipalTypeMismatch",
        f"grant '{inp.role_name}' at {inp.scope}: principal {inp.principal_id} is a "
        f"'{actual}' in the directory, not the '{inp.principal_type}' the request names; "
        "correct the request's principalId or principalType.",
    )


def _record(assignment_id: str, created: bool, inp: AssignRoleInput) -> RoleRecord:
    return RoleRecord(
        assignment_id=assignment_id, created=created, instance_id=inp.instance_id,
        role_name=inp.role_name, principal_id=inp.principal_id, principal_type=inp.principal_type,
    )  # fmt: skip


def _ours(record: RoleRecord, existing: RoleAssignment) -> bool:
    """This run's to delete: its mark is on it (a record without an instance id: it made it)."""
    if record.instance_id is None:
        return record.created
    return marked_by(existing.description) == record.instance_id


def _index() -> RunIndex | None:
    return run_index_table() if index_enabled() else None


def _indexed(action: str, call: Callable[[], T]) -> T:
    """A run index call; any failure is transient (the step is retried, never half-done)."""
    try:
        return call()
    except Exception as exc:
        raise StepError(
            "transient",
            "RunIndexUnavailable",
            f"{action}: the run index (who relies on this grant) could not be read or "
            f"written: {type(exc).__name__}.",
        ) from None


def _get(authz: Any, scope: str, name: str) -> RoleAssignment | None:
    try:
        return authz.role_assignments.get(scope, name)
    except ResourceNotFoundError:
        return None


def _delete(authz: Any, scope: str, name: str) -> None:
    try:
        authz.role_assignments.delete(scope, name)
    except ResourceNotFoundError:
        return


def _put_back(authz: Any, scope: str, name: str, existing: RoleAssignment, owner: str) -> None:
    """The same assignment under the same name, marked as ``owner``'s."""
    authz.role_assignments.create(
        scope,
        name,
        RoleAssignmentCreateParameters(
            role_definition_id=str(existing.role_definition_id),
            principal_id=str(existing.principal_id),
            # The principal held this grant a moment ago: its recorded type lets ARM skip a
            # directory look-up that replication or a since-deleted principal could fail.
            principal_type=existing.principal_type,
            description=mark(owner),
            condition=existing.condition,
            condition_version=existing.condition_version,
        ),
    )


def _hand_over(
    authz: Any, scope: str, name: str, existing: RoleAssignment, owner: str, assignment_id: str
) -> None:
    """Mark the kept assignment as ``owner``'s; best effort (if it fails, it stays kept)."""
    try:
        _put_back(authz, scope, name, existing, owner)
    except HttpResponseError as exc:
        log.warning(
            "role assignment %s kept but not handed over to %s (%s): remove it by hand once "
            "no onboarding relies on it",
            assignment_id,
            owner,
            exc.error.code if exc.error else exc.status_code,
        )
