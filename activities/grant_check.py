"""A dry run's look at each grant (issue 14, item 6): read only, never a write.

The grant's assignment has a deterministic name (activities/authorization.py
assignment_name), so one GET says whether it is there and, when it is, the principal's type
the directory reports. A scope that does not exist yet (the workspace or gateway the run would
make) holds no assignment; a read that fails is reported as "not checked", never as a finding.
"""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from activities.authorization import assignment_name
from shared.access_models import AssignRoleInput
from shared.arm_ids import ArmId
from shared.azure_clients import ClientFactory, clients
from shared.dry_run_plan import ExistingGrant


def inspect_grant(
    inp: AssignRoleInput, factory: ClientFactory | None = None
) -> ExistingGrant | None:
    """What ARM has of this grant now; None when it cannot be read (not checked)."""
    if "<planned>" in inp.scope:
        return ExistingGrant(exists=False)
    try:
        authz: Any = (factory or clients()).authorization(ArmId.parse(inp.scope).subscription)
        found = list(
            authz.role_definitions.list(inp.scope, filter=f"roleName eq '{inp.role_name}'")
        )
        if len(found) != 1:
            return ExistingGrant(exists=False, role_found=False)
        name = assignment_name(inp.scope, ArmId.parse(str(found[0].id)).name, inp.principal_id)
        try:
            existing = authz.role_assignments.get(inp.scope, name)
        except ResourceNotFoundError:
            return ExistingGrant(exists=False)
        kind = getattr(existing, "principal_type", None)
        return ExistingGrant(exists=True, principal_type=str(kind) if kind else None)
    except ResourceNotFoundError:  # the scope itself is not there yet: nothing is granted on it
        return ExistingGrant(exists=False)
    except (HttpResponseError, ValueError):
        return None
