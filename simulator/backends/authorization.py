"""Microsoft.Authorization: role definitions, role assignments at any scope, the directory.

Behaviour (arm-behaviour.md §3.9, api 2022-04-01):

* The nine built-in roles of §3.9 always exist; seeds may add custom ones. A lookup with
  ``$filter=roleName eq '...'`` matches case-insensitively and returns the id qualified with
  the subscription of the scope (REC-role test_role_assignment_create_using_principal_type).
* Role assignment PUT is synchronous (201, no LRO) and answers the full real body with a
  subscription-qualified ``roleDefinitionId`` even when the request sent ``/providers/...``.
* A second name for an existing (scope, role, principal) is 409 ``RoleAssignmentExists``
  naming the existing assignment (azure-cli#31995); a re-PUT of the same name with the same
  properties succeeds (azure-cli#23770); changing role or principal under the same name is
  ``RoleAssignmentUpdateNotPermitted``.
* Principals come from the seeded directory. Without ``principalType`` the PUT checks it: an
  unknown principal is 400 ``PrincipalNotFound``; so is a principal whose
  ``replicationDelaySeconds`` has not yet passed on the simulator clock since it was added
  (Entra replication), and the assignment takes the principal's type from the directory.
* With ``principalType`` ARM skips that check (the switch ``directoryCheckWithPrincipalType``,
  default ``skipped``): a principal it cannot find, missing or still replicating, gets the
  grant with the type the caller sent, so a mistyped id becomes an orphan grant (Azure
  service team in hashicorp/terraform-provider-azurerm#4168; Azure/AgentBaker#8251: "tells ARM
  to skip the AAD principal lookup"; the PrincipalNotFound message itself). A principal it does
  find with another type is 400 ``UnmatchedPrincipalType`` either way
  (Azure/modern-web-app-pattern-dotnet#129). ``performed`` checks as without ``principalType``,
  except for a principal seeded with ``"principalTypeSkipsReplicationDelay": true``, whose
  replication delay ``principalType`` does avoid (MicrosoftDocs/azure-docs#103085 reports the
  delay happening despite principalType).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from simulator import errors
from simulator.backends.base import Backend
from simulator.clock import iso
from simulator.ids import ResourceId, is_guid, key, parse

ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments"
DEFINITION_TYPE = "Microsoft.Authorization/roleDefinitions"
PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal")
# The caller the simulator pretends to be (it checks no tokens); same id as AuthorizationFailed.
CALLER_OBJECT_ID = "00000000-0000-0000-0000-000000000000"
# Built-in roles carry fixed timestamps in real responses; these are the simulator's.
_BUILTIN_CREATED = "2015-02-02T21:55:09.8806423Z"
_BUILTIN_UPDATED = "2024-01-01T00:00:00.0000000Z"
_ROLE_DEF_ID = re.compile(
    r"^(?:/subscriptions/(?P<sub>[^/]+))?/providers/Microsoft\.Authorization/roleDefinitions/"
    r"(?P<guid>[^/]+)$",
    re.IGNORECASE,
)
_ROLE_NAME_FILTER = re.compile(r"^\s*roleName\s+eq\s+'(?P<name>(?:[^']|'')*)'\s*$", re.IGNORECASE)
_TYPE_FILTER = re.compile(r"^\s*type\s+eq\s+'(?P<type>[^']*)'\s*$", re.IGNORECASE)
_PRINCIPAL_FILTER = re.compile(r"^principalId\s+eq\s+'(?P<id>[^']*)'$", re.IGNORECASE)
_ASSIGNMENT_SEGMENT = "/providers/microsoft.authorization/roleassignments/"


def _perm(
    actions: list[str], not_actions: list[str] | None = None, data: list[str] | None = None
) -> list[dict[str, list[str]]]:
    return [
        {
            "actions": actions,
            "notActions": not_actions or [],
            "dataActions": data or [],
            "notDataActions": [],
        }
    ]


_APIM_READS = ["Microsoft.Authorization/*/read"]
_SERVICE_DEV = [
    "Microsoft.ApiManagement/service/tags/read",
    "Microsoft.ApiManagement/service/tags/apiLinks/*",
    "Microsoft.ApiManagement/service/tags/operationLinks/*",
    "Microsoft.ApiManagement/service/tags/productLinks/*",
    "Microsoft.ApiManagement/service/products/read",
    "Microsoft.ApiManagement/service/products/apiLinks/*",
    "Microsoft.ApiManagement/service/read",
]

# The nine built-ins of arm-behaviour.md §3.9, plus the two role-assignment administrators
# (infra/ grants the app "Role Based Access Control Administrator" under an ABAC condition).
# Permissions as published (MicrosoftDocs azure-docs articles/role-based-access-control/
# built-in-roles/privileged.md and integration.md); simulator/access.py evaluates them.
BUILTIN_ROLES: dict[str, dict[str, Any]] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": {
        "roleName": "Owner",
        "description": "Grants full access to manage all resources, including the ability to "
        "assign roles in Azure RBAC.",
        "permissions": _perm(["*"]),
    },
    "b24988ac-6180-42a0-ab88-20f7382dd24c": {
        "roleName": "Contributor",
        "description": "Grants full access to manage all resources, but does not allow you to "
        "assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image "
        "galleries.",
        "permissions": _perm(
            ["*"],
            [
                "Microsoft.Authorization/*/Delete",
                "Microsoft.Authorization/*/Write",
                "Microsoft.Authorization/elevateAccess/Action",
                "Microsoft.Blueprint/blueprintAssignments/write",
                "Microsoft.Blueprint/blueprintAssignments/delete",
                "Microsoft.Compute/galleries/share/action",
                "Microsoft.Purview/consents/write",
                "Microsoft.Purview/consents/delete",
                "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
                "Microsoft.Subscription/cancel/action",
                "Microsoft.Subscription/enable/action",
            ],
        ),
    },
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": {
        "roleName": "Reader",
        "description": "View all resources, but does not allow you to make any changes.",
        "permissions": _perm(["*/read"]),
    },
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": {
        "roleName": "Role Based Access Control Administrator",
        "description": "Manage access to Azure resources by assigning roles using Azure RBAC. "
        "This role does not allow you to manage access using other ways, such as Azure Policy.",
        "permissions": _perm(
            [
                "Microsoft.Authorization/roleAssignments/write",
                "Microsoft.Authorization/roleAssignments/delete",
                "*/read",
                "Microsoft.Support/*",
            ]
        ),
    },
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": {
        "roleName": "User Access Administrator",
        "description": "Lets you manage user access to Azure resources.",
        "permissions": _perm(["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"]),
    },
    "9565a273-41b9-4368-97d2-aeb0c976a9b3": {
        "roleName": "API Management Service Workspace API Developer",
        "description": "Has read access to tags and products and write access to allow: "
        "assigning APIs to products, assigning tags to products and APIs. This role should be "
        "assigned on the service scope.",
        "permissions": _perm([*_SERVICE_DEV, *_APIM_READS]),
    },
    "d59a3e9c-6d52-4a5a-aeed-6bf3cf0e31da": {
        "roleName": "API Management Service Workspace API Product Manager",
        "description": "Has the same access as API Management Service Workspace API Developer "
        "as well as read access to users and write access to allow assigning users to groups. "
        "This role should be assigned on the service scope.",
        "permissions": _perm(
            [
                "Microsoft.ApiManagement/service/users/read",
                *_SERVICE_DEV[:6],
                "Microsoft.ApiManagement/service/groups/read",
                "Microsoft.ApiManagement/service/groups/users/*",
                "Microsoft.ApiManagement/service/read",
                *_APIM_READS,
            ]
        ),
    },
    "ef1c2c96-4a77-49e8-b9a4-6179fe1d2fd2": {
        "roleName": "API Management Workspace Reader",
        "description": "Has read-only access to entities in the workspace. This role should be "
        "assigned on the workspace scope.",
        "permissions": _perm(["Microsoft.ApiManagement/service/workspaces/*/read", *_APIM_READS]),
    },
    "0c34c906-8d99-4cb7-8bb7-33f5b0a1a799": {
        "roleName": "API Management Workspace Contributor",
        "description": "Can manage the workspace and view, but not modify its members. This "
        "role should be assigned on the workspace scope.",
        "permissions": _perm(["Microsoft.ApiManagement/service/workspaces/*", *_APIM_READS]),
    },
    "56328988-075d-4c6a-8766-d93edd6725b6": {
        "roleName": "API Management Workspace API Developer",
        "description": "Has read access to entities in the workspace and read and write access "
        "to entities for editing APIs. This role should be assigned on the workspace scope.",
        "permissions": _perm(
            [
                "Microsoft.ApiManagement/service/workspaces/*/read",
                "Microsoft.ApiManagement/service/workspaces/apis/*",
                "Microsoft.ApiManagement/service/workspaces/apiVersionSets/*",
                "Microsoft.ApiManagement/service/workspaces/policies/*",
                "Microsoft.ApiManagement/service/workspaces/schemas/*",
                "Microsoft.ApiManagement/service/workspaces/products/*",
                "Microsoft.ApiManagement/service/workspaces/policyFragments/*",
                "Microsoft.ApiManagement/service/workspaces/namedValues/*",
                "Microsoft.ApiManagement/service/workspaces/tags/*",
                *_APIM_READS,
            ]
        ),
    },
    "73c2c328-d004-4c5e-938c-35c6f5679a1f": {
        "roleName": "API Management Workspace API Product Manager",
        "description": "Has read access to entities in the workspace and read and write access "
        "to entities for publishing APIs. This role should be assigned on the workspace scope.",
        "permissions": _perm(
            [
                "Microsoft.ApiManagement/service/workspaces/*/read",
                "Microsoft.ApiManagement/service/workspaces/products/*",
                "Microsoft.ApiManagement/service/workspaces/subscriptions/*",
                "Microsoft.ApiManagement/service/workspaces/groups/*",
                "Microsoft.ApiManagement/service/workspaces/tags/*",
                "Microsoft.ApiManagement/service/workspaces/notifications/*",
                *_APIM_READS,
            ]
        ),
    },
}


@dataclass
class Principal:
    """A directory object: user, group or service principal."""

    id: str
    type: str
    display_name: str
    added_at: dt.datetime
    replication_delay: float = 0.0
    user_principal_name: str | None = None
    principal_type_skips_delay: bool = False

    def visible_at(self) -> dt.datetime:
        return self.added_at + dt.timedelta(seconds=self.replication_delay)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": self.type, "displayName": self.display_name}
        if self.user_principal_name:
            out["userPrincipalName"] = self.user_principal_name
        if self.replication_delay:
            out["replicationDelaySeconds"] = self.replication_delay
            out["replicatedAt"] = iso(self.visible_at())
        if self.principal_type_skips_delay:
            out["principalTypeSkipsReplicationDelay"] = True
        out["addedAt"] = iso(self.added_at)
        return out


@dataclass
class RoleDefinition:
    guid: str
    role_name: str
    description: str
    permissions: list[dict[str, Any]]
    role_type: str = "BuiltInRole"
    assignable_scopes: list[str] = field(default_factory=lambda: ["/"])


@dataclass
class Assignment:
    scope: str  # as first written, e.g. /subscriptions/s/resourceGroups/g/providers/...
    name: str
    role_guid: str
    principal_id: str
    principal_type: str
    created_on: str
    updated_on: str
    description: str | None = None
    condition: str | None = None
    condition_version: str | None = None

    @property
    def id(self) -> str:
        return f"{self.scope}/providers/Microsoft.Authorization/roleAssignments/{self.name}"


def _scope_key(scope: str) -> tuple[str, ...]:
    return tuple(s.lower() for s in scope.split("/") if s)


class _Assignments(dict[str, Assignment]):
    """Role assignments by id, indexed by principal and scope, so an access check looks up the
    caller's assignments at each scope above the request's (a handful) instead of every
    assignment the simulator holds, which grows with every onboarding's grants."""

    def __init__(self) -> None:
        super().__init__()
        self._at: dict[tuple[str, tuple[str, ...]], dict[str, int]] = {}
        self._order = 0

    def _slot(self, assignment: Assignment) -> dict[str, int]:
        index = (assignment.principal_id.lower(), _scope_key(assignment.scope))
        return self._at.setdefault(index, {})

    def __setitem__(self, akey: str, assignment: Assignment) -> None:
        if akey in self:
            self._unindex(akey)
        super().__setitem__(akey, assignment)
        self._order += 1
        self._slot(assignment)[akey] = self._order

    def _unindex(self, akey: str) -> None:
        assignment = self[akey]
        index = (assignment.principal_id.lower(), _scope_key(assignment.scope))
        slot = self._at.get(index, {})
        slot.pop(akey, None)
        if not slot:
            self._at.pop(index, None)

    def __delitem__(self, akey: str) -> None:
        self._unindex(akey)
        super().__delitem__(akey)

    def pop(self, akey: str, *default: Any) -> Any:
        if akey not in self:
            if default:
                return default[0]
            raise KeyError(akey)
        found = self[akey]
        del self[akey]
        return found

    def at_scope(self, principal_id: str, scope: str) -> list[Assignment]:
        """The principal's assignments made exactly at ``scope``, oldest first."""
        slot = self._at.get((principal_id.lower(), _scope_key(scope)), {})
        return [self[k] for k, _ in sorted(slot.items(), key=lambda item: item[1])]

    def granted_to(self, principal_id: str, scope: str) -> list[Assignment]:
        """The principal's assignments at ``scope`` or any scope above it, oldest first."""
        inner = _scope_key(scope)
        found: list[tuple[int, str]] = []
        for n in range(len(inner) + 1):
            slot = self._at.get((principal_id.lower(), inner[:n]), {})
            found.extend((order, k) for k, order in slot.items())
        return [self[k] for _, k in sorted(found)]


class AuthorizationBackend(Backend):
    """Role definitions, role assignments and the seeded directory of principals."""

    def reset(self) -> None:
        self.tenant_id = ""
        self.principals: dict[str, Principal] = {}  # lower id -> principal
        self.definitions: dict[str, RoleDefinition] = {
            guid: RoleDefinition(guid, r["roleName"], r["description"], r["permissions"])
            for guid, r in BUILTIN_ROLES.items()
        }
        self.assignments = _Assignments()  # key(assignment id) -> assignment

    # --- the directory ----------------------------------------------------------------------

    def add_principal(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add (or replace) a directory principal; its replication delay starts now."""
        if not isinstance(body, dict):
            raise errors.bad_request("InvalidPrincipal", "A principal must be a JSON object.")
        pid = body.get("id")
        if not isinstance(pid, str) or not is_guid(pid):
            raise errors.bad_request("InvalidPrincipal", f"Principal id '{pid}' must be a GUID.")
        ptype = body.get("type")
        if ptype not in PRINCIPAL_TYPES:
            raise errors.bad_request(
                "InvalidPrincipal",
                f"Principal {pid}: type '{ptype}' must be one of {', '.join(PRINCIPAL_TYPES)}.",
            )
        name = body.get("displayName")
        if not isinstance(name, str) or not name:
            raise errors.bad_request("InvalidPrincipal", f"Principal {pid} needs a displayName.")
        delay = body.get("replicationDelaySeconds", 0)
        if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
            raise errors.bad_request(
                "InvalidPrincipal", f"Principal {pid}: replicationDelaySeconds must be >= 0."
            )
        skips = body.get("principalTypeSkipsReplicationDelay", False)
        if not isinstance(skips, bool):
            raise errors.bad_request(
                "InvalidPrincipal",
                f"Principal {pid}: principalTypeSkipsReplicationDelay must be true or false.",
            )
        upn = body.get("userPrincipalName")
        principal = Principal(
            id=pid.lower(),
            type=str(ptype),
            display_name=name,
            added_at=self.sim.clock.now(),
            replication_delay=float(delay),
            user_principal_name=str(upn) if upn else None,
            principal_type_skips_delay=skips,
        )
        self.principals[pid.lower()] = principal
        return principal.to_json()

    def directory_json(self) -> dict[str, Any]:
        return {
            "tenantId": self.tenant_id,
            "principals": [p.to_json() for p in self.principals.values()],
        }

    # --- role definitions -------------------------------------------------------------------

    def add_role_definition(self, body: dict[str, Any]) -> None:
        """Add a custom role from a seed: ``{"id": guid, "roleName", "description"?, ...}``."""
        guid = body.get("id") if isinstance(body, dict) else None
        name = body.get("roleName") if isinstance(body, dict) else None
        if not isinstance(guid, str) or not is_guid(guid) or not isinstance(name, str) or not name:
            raise errors.bad_request(
                "InvalidSeed",
                f"A seeded role definition needs a GUID 'id' and a 'roleName': {body}",
            )
        self.definitions[guid.lower()] = RoleDefinition(
            guid.lower(),
            name,
            str(body.get("description", "")),
            list(body.get("permissions") or _perm([])),
            role_type="CustomRole",
            assignable_scopes=list(body.get("assignableScopes") or ["/"]),
        )

    def list_role_definitions(self, scope: str, filter_: str | None) -> list[dict[str, Any]]:
        self._check_definition_scope(scope)
        found = list(self.definitions.values())
        if filter_:
            by_name = _ROLE_NAME_FILTER.match(filter_)
            by_type = _TYPE_FILTER.match(filter_)
            if by_name:
                wanted = by_name.group("name").replace("''", "'").lower()
                found = [d for d in found if d.role_name.lower() == wanted]
            elif by_type:
                found = [d for d in found if d.role_type.lower() == by_type.group("type").lower()]
            else:
                raise errors.unsupported_filter(
                    "role definition", filter_, "roleName eq '<name>', type eq '<type>'"
                )
        return [self.definition_json(d, scope) for d in found]

    def get_role_definition(self, scope: str, guid: str) -> dict[str, Any]:
        self._check_definition_scope(scope)
        found = self.definitions.get(guid.lower())
        if found is None:
            raise errors.role_definition_missing(guid, status=404)
        return self.definition_json(found, scope)

    def definition_json(self, d: RoleDefinition, scope: str) -> dict[str, Any]:
        sub = _subscription_of(scope)
        prefix = f"/subscriptions/{sub}" if sub else ""
        return {
            "id": f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/{d.guid}",
            "type": DEFINITION_TYPE,
            "name": d.guid,
            "properties": {
                "roleName": d.role_name,
                "type": d.role_type,
                "description": d.description,
                "assignableScopes": list(d.assignable_scopes),
                "permissions": [dict(p) for p in d.permissions],
                "createdOn": _BUILTIN_CREATED,
                "updatedOn": _BUILTIN_UPDATED,
                "createdBy": None,
                "updatedBy": None,
            },
        }

    # --- role assignments -------------------------------------------------------------------

    def put_assignment(
        self, scope: str, name: str, body: dict[str, Any]
    ) -> tuple[dict[str, Any], bool]:
        """Create (True) or idempotently re-put (False) a role assignment."""
        rid = self._assignment_scope(scope, name)
        props = body.get("properties") or {}
        role_guid = self._role_guid(props.get("roleDefinitionId"))
        principal_id = props.get("principalId")
        if not isinstance(principal_id, str) or not is_guid(principal_id):
            raise errors.invalid_principal_id(str(principal_id))
        given_type = props.get("principalType")
        principal = self._principal(principal_id, given_type)
        principal_type = principal.type
        akey = key(f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}")
        existing = self.assignments.get(akey)
        now = iso(self.sim.clock.now())
        if existing is not None:
            # Same name: identical role and principal is an idempotent re-PUT
            # (Azure/azure-cli#23770); anything else may not be changed.
            if existing.role_guid != role_guid or existing.principal_id != principal.id:
                raise errors.role_assignment_update_not_permitted()
            existing.description = props.get("description", existing.description)
            existing.condition = props.get("condition", existing.condition)
            existing.condition_version = props.get("conditionVersion", existing.condition_version)
            existing.updated_on = now
            return self.assignment_json(existing, created=False), False
        for other in self.assignments.at_scope(principal.id, scope):
            if (
                key(other.scope) == key(scope)
                and other.role_guid == role_guid
                and other.principal_id == principal.id
            ):
                raise errors.role_assignment_exists(other.name)
        assignment = Assignment(
            scope=_canonical_scope(rid),
            name=name,
            role_guid=role_guid,
            principal_id=principal.id,
            principal_type=principal_type,
            created_on=now,
            updated_on=now,
            description=props.get("description"),
            condition=props.get("condition"),
            condition_version=props.get("conditionVersion"),
        )
        self.assignments[akey] = assignment
        return self.assignment_json(assignment, created=True), True

    def get_assignment(self, scope: str, name: str) -> dict[str, Any]:
        self._assignment_scope(scope, name)
        found = self.assignments.get(
            key(f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}")
        )
        if found is None:
            raise errors.role_assignment_not_found(name)
        return self.assignment_json(found)

    def delete_assignment(self, scope: str, name: str) -> dict[str, Any] | None:
        """The deleted assignment (200 with body), or None when there was none (204)."""
        self._assignment_scope(scope, name)
        found = self.assignments.pop(
            key(f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"), None
        )
        return None if found is None else self.assignment_json(found)

    def list_assignments(self, scope: str, filter_: str | None) -> list[dict[str, Any]]:
        """Assignments seen from ``scope`` under ARM's $filter rules.

        No filter: at, above and below the scope. ``atScope()``: at or above it.
        ``principalId eq '<id>'``: at, above and below, for that principal; both may be
        combined with ``and`` (DOC role-based-access-control/role-assignments-list-rest.md).
        """
        self._check_scope_exists(scope)
        at_scope = False
        principal: str | None = None
        for clause in re.split(r"\s+and\s+", (filter_ or "").strip(), flags=re.IGNORECASE):
            if not clause:
                continue
            if clause.replace(" ", "").lower() == "atscope()":
                at_scope = True
                continue
            match = _PRINCIPAL_FILTER.match(clause.strip())
            if match is None:
                raise errors.unsupported_filter(
                    "role assignment", filter_ or "", "atScope(), principalId eq '<id>'"
                )
            principal = match.group("id").lower()
        here = _segments(scope)
        out = []
        for a in self.assignments.values():
            theirs = _segments(a.scope)
            above_or_at = here[: len(theirs)] == theirs
            below = theirs[: len(here)] == here
            if not (above_or_at or (below and not at_scope)):
                continue
            if principal is not None and a.principal_id != principal:
                continue
            out.append(self.assignment_json(a))
        return out

    def assignment_json(self, a: Assignment, created: bool = False) -> dict[str, Any]:
        sub = _subscription_of(a.scope)
        return {
            "properties": {
                "roleDefinitionId": f"/subscriptions/{sub}/providers/Microsoft.Authorization/"
                f"roleDefinitions/{a.role_guid}",
                "principalId": a.principal_id,
                "principalType": a.principal_type,
                "scope": a.scope,
                "condition": a.condition,
                "conditionVersion": a.condition_version,
                "createdOn": a.created_on,
                "updatedOn": a.updated_on,
                # REC-role: the PUT answer has createdBy null; later reads name the creator.
                "createdBy": None if created else CALLER_OBJECT_ID,
                "updatedBy": CALLER_OBJECT_ID,
                "delegatedManagedIdentityResourceId": None,
                "description": a.description,
            },
            "id": a.id,
            "type": ASSIGNMENT_TYPE,
            "name": a.name,
        }

    # --- existence, seeding, state ----------------------------------------------------------

    def exists(self, rid: ResourceId) -> bool | None:
        text = key(str(rid))
        if _ASSIGNMENT_SEGMENT not in text:
            return None
        return text in self.assignments

    def seed(self, resource: dict[str, Any]) -> bool:
        rid_text = str(resource["id"])
        lowered = rid_text.lower()
        marker = lowered.rfind(_ASSIGNMENT_SEGMENT)
        if marker < 0:
            return False
        scope, name = rid_text[:marker], rid_text[marker + len(_ASSIGNMENT_SEGMENT) :]
        if not is_guid(name):
            raise errors.invalid_role_assignment_id(name)
        props = resource.get("properties") or {}
        role_guid = self._role_guid(props.get("roleDefinitionId"))
        pid = str(props.get("principalId", "")).lower()
        principal = self.principals.get(pid)
        if principal is None:
            raise errors.principal_not_found(pid, self.tenant_id)
        now = iso(self.sim.clock.now())
        self.assignments[key(rid_text)] = Assignment(
            scope=scope,
            name=name,
            role_guid=role_guid,
            principal_id=principal.id,
            principal_type=principal.type,
            created_on=now,
            updated_on=now,
            description=props.get("description"),
            condition=props.get("condition"),
            condition_version=props.get("conditionVersion"),
        )
        return True

    def snapshot(self) -> list[dict[str, Any]]:
        return [self.assignment_json(a) for a in self.assignments.values()]

    # --- internals --------------------------------------------------------------------------

    def _assignment_scope(self, scope: str, name: str) -> ResourceId:
        if not is_guid(name):
            # Also on GET/DELETE (Azure/azure-service-operator#2586 shows DELETE).
            raise errors.invalid_role_assignment_id(name)
        return self._check_scope_exists(scope)

    def _check_scope_exists(self, scope: str) -> ResourceId:
        if not scope.lower().startswith("/subscriptions/"):
            raise errors.not_implemented(
                "role assignments at", scope or "/ (tenant root or management group)"
            )
        try:
            rid = parse(scope)
        except ValueError as exc:
            raise errors.invalid_scope(scope) from exc
        # A scope that does not exist answers the ARM 404 for it (inferred: RBAC checks the
        # scope through ARM); None means a type no backend simulates, which is accepted.
        if self.sim.resource_exists(rid) is False:
            sub = self.sim.resources.subscriptions.get(rid.subscription.lower())
            if sub is None:
                raise errors.subscription_not_found(rid.subscription)
            if rid.resource_group is not None and rid.resource_group.lower() not in sub.groups:
                raise errors.resource_group_not_found(rid.resource_group)
            parts = [rid.names[0]]
            for t, n in zip(rid.types[1:], rid.names[1:], strict=True):
                parts += [t, n]
            raise errors.resource_not_found(
                f"{rid.namespace}/{rid.types[0]}", "/".join(parts), rid.resource_group
            )
        return rid

    def _check_definition_scope(self, scope: str) -> None:
        if scope.strip("/") == "":
            return  # tenant-level: /providers/Microsoft.Authorization/roleDefinitions
        self._check_scope_exists(scope)

    def _role_guid(self, value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise errors.invalid_role_definition_id(str(value))
        match = _ROLE_DEF_ID.match(value.strip())
        if match is None or not is_guid(match.group("guid")):
            raise errors.invalid_role_definition_id(value)
        guid = match.group("guid").lower()
        if guid not in self.definitions:
            raise errors.role_definition_missing(guid)
        return guid

    def _principal(self, principal_id: str, given_type: Any) -> Principal:
        """The principal the assignment is for, as ARM's directory look-up sees it."""
        principal = self.principals.get(principal_id.lower())
        # Not yet replicated to the directory replica ARM asks (see module docstring).
        replicating = principal is not None and self.sim.clock.now() < principal.visible_at()
        found = principal if principal is not None and not replicating else None
        if found is not None and given_type is not None and given_type != found.type:
            raise errors.unmatched_principal_type(principal_id, found.type, str(given_type))
        if found is not None:
            return found
        skips = self.sim.timings.directory_check_with_principal_type == "skipped"
        if given_type is not None and (
            skips or (principal is not None and principal.principal_type_skips_delay)
        ):
            # Not found, not checked: the grant is made with the type the caller sent.
            return Principal(
                id=principal_id.lower(),
                type=str(given_type),
                display_name="",
                added_at=self.sim.clock.now(),
            )
        raise errors.principal_not_found(principal_id, self.tenant_id)


def _subscription_of(scope: str) -> str | None:
    parts = [p for p in scope.split("/") if p]
    if len(parts) >= 2 and parts[0].lower() == "subscriptions":
        return parts[1]
    return None


def _segments(scope: str) -> list[str]:
    return [p.lower() for p in scope.split("/") if p]


def _canonical_scope(rid: ResourceId) -> str:
    return str(rid)
