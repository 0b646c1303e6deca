"""ARM authorization before every backend: who calls, which action, whether a role grants it.

ARM authorizes each request before the resource provider sees it (so a caller without
``.../read`` gets 403, never 404, for a missing resource). This module does the same for the
simulator, from the same state ARM uses: the role definitions and role assignments the
Microsoft.Authorization backend holds (seeded, or written through the API).

* **Caller**: the bearer token's ``oid`` claim (object id) and ``appid`` / ``azp`` (client id),
  read from the JWT payload without checking the signature. A token that is not a JWT with an
  ``oid`` (``local-simulator-token``, any test's ``"token"``) is the simulator's unrestricted
  operator: nothing is checked for it, so seeding and inspection through the SDK keep working.
  The local stack hands the app a JWT naming its identity (shared/azure_clients.py), which is
  then held to exactly the grants infra/ makes (cli/infra_grants.py seeds them).
* **Action**: ARM's rule, from the URL and method: ``<namespace>/<type>[/<child type>...]/``
  ``read|write|delete``, a POST's last segment as ``.../<name>/action``, a collection GET as the
  item type's read on the parent scope (DOC role-based-access-control/resource-provider-operations;
  the action names in the AuthorizationFailed messages quoted in arm-behaviour.md §2).
  Operation-status polls of Microsoft.Network (``locations/operations``, ``operationResults``)
  are checked at the scope of the resource the operation writes **(inferred)**: the poll URL is
  subscription-level, yet a caller holding rights only on a resource group or resource can
  follow its own operations (Learn "Track asynchronous Azure operations", permissions section).
* **Roles**: an assignment at the scope or any ancestor grants an action when one ``actions``
  pattern of its role matches and no ``notActions`` pattern of the same permission block does
  (``*`` matches any run of characters, ``/`` included; case is ignored), and its condition, if
  any, holds (DOC role-based-access-control/role-definitions.md "Actions" / "NotActions").
  Data actions are not simulated (no data plane goes through ARM here).
* **Linked scopes**: a write that references another resource also needs that resource's join
  action: a subnet's NSG (``networkSecurityGroups/join/action``), route table, NAT gateway; a
  gateway's subnet (``virtualNetworks/subnets/join/action``); a private DNS link's VNet
  (``virtualNetworks/join/action``). Missing it is 403 ``LinkedAuthorizationFailed`` (messages
  quoted in arm-behaviour.md §2; the join actions: Learn "Azure permissions for Networking" and
  virtual-network "Permissions" tables).
* **Conditions** (ABAC, conditionVersion 2.0): see :func:`condition_holds`; the subset evaluated
  is the one Learn documents for delegating role assignment management (``ActionMatches``,
  ``@Request`` / ``@Resource`` role assignment attributes ``RoleDefinitionId``, ``PrincipalId``,
  ``PrincipalType`` with the Guid/String operators and the ``ForAnyOfAnyValues`` family). A
  condition outside it does not hold (fail closed) and says so in the decision log.

Every decision is kept in :attr:`Access.log` (``GET /_sim/authorization``) so tests can compare
what a run exercised with what infra grants.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulator import errors
from simulator.ids import key

if TYPE_CHECKING:
    from simulator.core import Simulation
    from simulator.wire import Request

_ASSIGNMENTS = "microsoft.authorization/roleassignments"
_ATTRIBUTES = {
    f"{_ASSIGNMENTS}:{n.lower()}": f"Microsoft.Authorization/roleAssignments:{n}"
    for n in ("RoleDefinitionId", "PrincipalId", "PrincipalType")
}
_VERBS = {"GET": "read", "HEAD": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}
# Write paths whose body names another resource the caller must be allowed to join.
_SUBNET_PUT = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/"
    r"[^/]+/subnets/[^/]+/?$",
    re.IGNORECASE,
)
_GATEWAY_PUT = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.ApiManagement/gateways/"
    r"[^/]+/?$",
    re.IGNORECASE,
)
_DNS_LINK_PUT = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/privateDnsZones/"
    r"[^/]+/virtualNetworkLinks/[^/]+/?$",
    re.IGNORECASE,
)
_NETWORK_POLL = re.compile(
    r"^/subscriptions/[^/]+/providers/Microsoft\.Network/locations/[^/]+/"
    r"(?:operations|operationResults)/(?P<op>[^/]+)/?$",
    re.IGNORECASE,
)
# subnet property -> the join action ARM checks on the resource it references
_SUBNET_LINKS = {
    "networkSecurityGroup": "Microsoft.Network/networkSecurityGroups/join/action",
    "routeTable": "Microsoft.Network/routeTables/join/action",
    "natGateway": "Microsoft.Network/natGateways/join/action",
}


@dataclass(frozen=True)
class Caller:
    """Who a bearer token says is calling."""

    object_id: str
    client_id: str
    tenant_id: str | None = None


def caller_of(request: Request) -> Caller | None:
    """The token's principal, or None for a token that names none (the unrestricted operator)."""
    header = request.header("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        return None
    oid = claims.get("oid") if isinstance(claims, dict) else None
    if not isinstance(oid, str) or not oid:
        return None
    client = claims.get("appid") or claims.get("azp") or oid
    return Caller(oid.lower(), str(client), claims.get("tid"))


def unsigned_token(object_id: str, client_id: str, tenant_id: str = "") -> str:
    """A JWT-shaped token (``alg: none``) naming a principal, as the simulator reads it."""

    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    claims = {
        "oid": object_id,
        "appid": client_id,
        "tid": tenant_id,
        "aud": "https://management.azure.com/",
    }
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


# --- actions ---------------------------------------------------------------------------------


def action_for(method: str, path: str) -> tuple[str, str]:
    """ARM's action and scope for a request (see the module docstring for the rule)."""
    segs = [s for s in path.split("/") if s]
    lower = [s.lower() for s in segs]
    verb = _VERBS.get(method.upper(), "action")
    if "providers" not in lower:
        # /subscriptions/{s}[/resourceGroups[/{g}]]
        if len(segs) <= 2:
            return f"Microsoft.Resources/subscriptions/{verb}", "/" + "/".join(segs)
        scope = "/" + "/".join(segs if len(segs) % 2 == 0 else segs[:-1])
        return f"Microsoft.Resources/subscriptions/resourceGroups/{verb}", scope
    at = len(lower) - 1 - lower[::-1].index("providers")
    head = segs[:at]
    rest = segs[at + 1 :]
    if len(rest) <= 1 and method.upper() in ("GET", "HEAD"):
        # /subscriptions/{s}/providers[/{ns}]: provider registration state
        return "Microsoft.Resources/subscriptions/providers/read", "/" + "/".join(head)
    namespace, pairs = rest[0], rest[1:]
    types = pairs[0::2]
    if len(pairs) % 2 == 0:
        return f"{namespace}/{'/'.join(types)}/{verb}", "/" + "/".join(segs)
    # The parent of a collection or an action; directly under the namespace it is the scope
    # the provider segment hangs from (a subscription, group or resource).
    parent = "/" + "/".join(segs[:-1] if len(pairs) > 1 else head)
    if method.upper() == "POST":
        return "/".join([namespace, *types[:-1], types[-1], "action"]), parent
    return f"{namespace}/{'/'.join(types)}/{verb}", parent


def action_matches(pattern: str, action: str) -> bool:
    """ARM's wildcard match: ``*`` stands for any run of characters; case is ignored."""
    regex = ".*".join(re.escape(p) for p in pattern.split("*"))
    return re.fullmatch(regex, action, re.IGNORECASE) is not None


def _within(scope: str, assignment_scope: str) -> bool:
    inner = [s.lower() for s in scope.split("/") if s]
    outer = [s.lower() for s in assignment_scope.split("/") if s]
    return inner[: len(outer)] == outer


# --- conditions (ABAC 2.0) ---------------------------------------------------------------------


class UnsupportedCondition(ValueError):
    """A condition outside the evaluated subset: it does not hold (fail closed)."""


_TOKEN = re.compile(
    r"\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<not>!|\bNOT\b)|(?P<and>&&|\bAND\b)|(?P<or>\|\||\bOR\b)"
    r"|(?P<fn>ActionMatches|SubOperationMatches)\s*\{\s*'(?P<fnarg>[^']*)'\s*\}"
    r"|@(?P<source>Request|Resource|Principal|Environment)\[(?P<attr>[^\]]+)\]"
    r"|(?P<op>(?:ForAnyOfAnyValues|ForAllOfAnyValues|ForAnyOfAllValues|ForAllOfAllValues):\w+"
    r"|\w+(?:Equals|NotEquals|EqualsIgnoreCase|NotEqualsIgnoreCase|Like|NotLike|StartsWith))"
    r"|\{(?P<set>[^}]*)\}|'(?P<str>[^']*)'|(?P<word>[0-9a-fA-F-]{36}|[A-Za-z][\w.]*))",
    re.IGNORECASE,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise UnsupportedCondition(f"cannot read the condition at: {text[pos : pos + 40]!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        if kind == "fnarg":
            out.append((m.group("fn").lower(), m.group("fnarg")))
        elif kind == "attr":
            out.append(("attr", f"{m.group('source').lower()}|{m.group('attr').strip()}"))
        else:
            out.append((kind, m.group(kind)))
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


@dataclass
class _Parser:
    tokens: list[tuple[str, str]]
    action: str
    context: dict[str, list[str]]
    pos: int = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expr(self) -> bool:
        value = self.term()
        while self.peek() == "or":
            self.take()
            right = self.term()
            value = value or right
        return value

    def term(self) -> bool:
        value = self.factor()
        while self.peek() == "and":
            self.take()
            right = self.factor()
            value = value and right
        return value

    def factor(self) -> bool:
        kind = self.peek()
        if kind == "not":
            self.take()
            return not self.factor()
        if kind == "lp":
            self.take()
            value = self.expr()
            if self.peek() != "rp":
                raise UnsupportedCondition("unbalanced parentheses")
            self.take()
            return value
        if kind == "actionmatches":
            return action_matches(self.take()[1], self.action)
        if kind == "suboperationmatches":
            self.take()
            return False  # no sub-operations on the actions simulated here
        if kind == "attr":
            return self.comparison()
        raise UnsupportedCondition(f"unexpected {kind!r} in the condition")

    def comparison(self) -> bool:
        attr = self.take()[1]
        source, _, name = attr.partition("|")
        if source not in ("request", "resource") or name.lower() not in _ATTRIBUTES:
            raise UnsupportedCondition(f"attribute @{source}[{name}] is not evaluated")
        # Absent for this request (not a role assignment write/delete): no values.
        left = self.context.get(f"{source}|{_ATTRIBUTES[name.lower()]}", [])
        if self.peek() != "op":
            raise UnsupportedCondition("an attribute must be followed by an operator")
        op = self.take()[1]
        kind, raw = self.take() if self.pos < len(self.tokens) else ("", "")
        if kind == "set":
            right = [v.strip().strip("'") for v in raw.split(",") if v.strip()]
        elif kind in ("str", "word"):
            right = [raw]
        else:
            raise UnsupportedCondition(f"operator {op} needs a value")
        quantifier, _, base = op.rpartition(":")
        return _compare(quantifier.lower(), base.lower(), left, right)


def _compare(quantifier: str, base: str, left: list[str], right: list[str]) -> bool:
    def one(a: str, b: str) -> bool:
        if base in ("guidequals", "stringequalsignorecase"):
            return a.lower() == b.lower()
        if base in ("guidnotequals", "stringnotequalsignorecase"):
            return a.lower() != b.lower()
        if base == "stringequals":
            return a == b
        if base == "stringnotequals":
            return a != b
        raise UnsupportedCondition(f"operator {base} is not evaluated")

    if quantifier == "foranyofanyvalues":
        return any(any(one(a, b) for b in right) for a in left)
    if quantifier == "forallofanyvalues":
        return all(any(one(a, b) for b in right) for a in left)
    if quantifier == "foranyofallvalues":
        return any(all(one(a, b) for b in right) for a in left)
    if quantifier == "forallofallvalues":
        return all(all(one(a, b) for b in right) for a in left)
    # No quantifier: single-valued attribute against one value.
    return len(left) == 1 and len(right) == 1 and one(left[0], right[0])


def condition_holds(condition: str, action: str, context: dict[str, list[str]]) -> bool:
    """Evaluate an ABAC condition for ``action``; raises UnsupportedCondition outside the subset.

    ``context`` maps ``"request|<attribute>"`` / ``"resource|<attribute>"`` to the attribute's
    values; a missing attribute is an empty list, so ``ForAnyOfAnyValues`` on it is false.
    """
    parser = _Parser(_tokens(condition), action, context)
    value = parser.expr()
    if parser.pos != len(parser.tokens):
        raise UnsupportedCondition("text left over after the condition")
    return value


# --- the decision -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """One assignment that grants an action, and the pattern in its role that did."""

    assignment_scope: str
    role_guid: str
    role_name: str
    pattern: str


@dataclass
class Access:
    """The authorization step of the simulator's pipeline, and its decision log."""

    sim: Simulation
    log: list[dict[str, Any]] = field(default_factory=list)

    def reset(self) -> None:
        self.log.clear()

    def authorize(self, request: Request) -> None:
        """Raise 403 unless the caller may perform the request's action and its linked ones."""
        caller = caller_of(request)
        if caller is None:
            return
        action, scope = action_for(request.method, request.path)
        scope = self._poll_scope(request.path, scope)
        context = self._context(request, scope)
        grants, note = self.grants(caller.object_id, action, scope, context)
        self._record(caller, action, scope, grants, note, linked=False)
        if not grants:
            raise errors.authorization_failed(
                action, scope, client_id=caller.client_id, object_id=caller.object_id
            )
        for linked_action, linked_scope in self.linked(request):
            found, note = self.grants(caller.object_id, linked_action, linked_scope, {})
            self._record(caller, linked_action, linked_scope, found, note, linked=True)
            if not found:
                raise errors.linked_authorization_failed(
                    caller.client_id, caller.object_id, action, scope, linked_action, linked_scope
                )

    def grants(
        self, object_id: str, action: str, scope: str, context: dict[str, list[str]]
    ) -> tuple[list[Grant], str | None]:
        """Every assignment of ``object_id`` that grants ``action`` at ``scope``."""
        backend = self.sim.authorization
        found: list[Grant] = []
        note: str | None = None
        for assignment in backend.assignments.granted_to(object_id, scope):
            if assignment.principal_id != object_id.lower():
                continue
            if not _within(scope, assignment.scope):
                continue
            role = backend.definitions.get(assignment.role_guid)
            if role is None:
                continue
            for block in role.permissions:
                pattern = next(
                    (p for p in block.get("actions") or [] if action_matches(p, action)), None
                )
                if pattern is None:
                    continue
                if any(action_matches(n, action) for n in block.get("notActions") or []):
                    continue
                if assignment.condition:
                    try:
                        if not condition_holds(assignment.condition, action, context):
                            note = f"condition of '{role.role_name}' at {assignment.scope} is false"
                            continue
                    except UnsupportedCondition as exc:
                        note = f"condition not evaluated, so not met: {exc}"
                        continue
                found.append(Grant(assignment.scope, role.guid, role.role_name, pattern))
                break
        return found, note

    def linked(self, request: Request) -> list[tuple[str, str]]:
        """The (join action, referenced resource id) pairs a write needs besides its own action."""
        if request.method.upper() != "PUT" or not request.body.strip():
            return []
        try:
            body = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            return []  # the backend answers the malformed body
        props = body.get("properties") if isinstance(body, dict) else None
        if not isinstance(props, dict):
            return []
        out: list[tuple[str, str]] = []
        if _SUBNET_PUT.match(request.path):
            for prop, action in _SUBNET_LINKS.items():
                ref = _ref_id(props.get(prop))
                if ref:
                    out.append((action, ref))
        elif _GATEWAY_PUT.match(request.path):
            backend = props.get("backend")
            subnet = _ref_id(backend.get("subnet")) if isinstance(backend, dict) else None
            if subnet:
                out.append(("Microsoft.Network/virtualNetworks/subnets/join/action", subnet))
        elif _DNS_LINK_PUT.match(request.path):
            vnet = _ref_id(props.get("virtualNetwork"))
            if vnet:
                out.append(("Microsoft.Network/virtualNetworks/join/action", vnet))
        return out

    # --- internals ------------------------------------------------------------------------

    def _poll_scope(self, path: str, scope: str) -> str:
        match = _NETWORK_POLL.match(path)
        if match is None:
            return scope
        op = self.sim.operations.get(match.group("op"))
        return op.resource_id if op is not None else scope

    def _context(self, request: Request, scope: str) -> dict[str, list[str]]:
        """Role assignment attributes for conditions: @Request from the body, @Resource stored."""
        if _ASSIGNMENTS not in key(request.path):
            return {}
        attrs = "Microsoft.Authorization/roleAssignments:"
        context: dict[str, list[str]] = {}
        if request.method.upper() == "PUT":
            try:
                props = (json.loads(request.body) or {}).get("properties") or {}
            except (ValueError, UnicodeDecodeError, AttributeError):
                props = {}
            if isinstance(props, dict):
                _put(
                    context,
                    "request",
                    attrs + "RoleDefinitionId",
                    _guid(props.get("roleDefinitionId")),
                )
                _put(context, "request", attrs + "PrincipalId", props.get("principalId"))
                _put(context, "request", attrs + "PrincipalType", props.get("principalType"))
        existing = self.sim.authorization.assignments.get(key(request.path))
        if existing is not None:
            _put(context, "resource", attrs + "RoleDefinitionId", existing.role_guid)
            _put(context, "resource", attrs + "PrincipalId", existing.principal_id)
            _put(context, "resource", attrs + "PrincipalType", existing.principal_type)
        return context

    def _record(
        self,
        caller: Caller,
        action: str,
        scope: str,
        grants: list[Grant],
        note: str | None,
        *,
        linked: bool,
    ) -> None:
        entry: dict[str, Any] = {
            "principal": caller.object_id,
            "action": action,
            "scope": scope,
            "allowed": bool(grants),
            "linked": linked,
            "grantedBy": [
                {
                    "roleDefinitionId": g.role_guid,
                    "roleName": g.role_name,
                    "pattern": g.pattern,
                    "assignmentScope": g.assignment_scope,
                }
                for g in grants
            ],
        }
        if note and not grants:
            entry["note"] = note
        self.log.append(entry)


def _ref_id(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("id"), str) and value["id"].strip():
        return str(value["id"]).strip()
    return None


def _guid(role_definition_id: Any) -> str | None:
    if not isinstance(role_definition_id, str) or not role_definition_id.strip():
        return None
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1]


def _put(context: dict[str, list[str]], source: str, name: str, value: Any) -> None:
    if isinstance(value, str) and value:
        context[f"{source}|{name}"] = [value]
