"""What infra/ grants the app identity, read from the Bicep, as a simulator seed.

The local stack runs the app as an identity holding exactly the role definitions and role
assignments ``infra/main.bicep`` would create for it (``rbac-*.bicep``), so a permission missing
from infra/ fails locally the way it would in Azure, and one the app never uses shows up too
(tests/infra/test_infra_grants.py). Nothing is restated by hand: the Bicep files are parsed with
pycep-parser (the parser tests/infra already uses; the bicep CLI is not available here) and the
subset of the language they use is evaluated by :class:`_Deployment`: parameters and their
defaults, variables, ``[for ...]`` loops, ``if`` conditions, ``existing`` resources and
``parent``, module scopes (``resourceGroup(s, g)``, ``subscription(s)``), string interpolation of
names and paths, and the functions ``concat union join split empty flatten string toLower
toUpper guid uniqueString resourceGroup subscription subscriptionResourceId loadJsonContent``.

Modules outside ``rbac-*.bicep`` are not evaluated: their outputs are opaque, except the app
identity's ``principalId``, which is the principal the caller names. ``rbac-app.bicep`` (data-plane
roles on the app's own storage, Service Bus, Application Insights, scheduler) is left out because
the simulator has no ARM model of those resources; its roles are never used against ARM.

``guid()`` and ``uniqueString()`` are deterministic here but not ARM's algorithms: names of
roles and assignments differ from a real deployment's, their content does not.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
MAIN = REPO / "infra" / "main.bicep"
_ROLE_DEFINITIONS = "microsoft.authorization/roledefinitions"
_ROLE_ASSIGNMENTS = "microsoft.authorization/roleassignments"
_EVALUATED = re.compile(r"(^|/)rbac-(?!app\b)[\w-]+\.bicep$")
_INTERPOLATION = re.compile(r"\$\{([^}]*)\}")
_PATH_EXPR = re.compile(r"^[A-Za-z_]\w*(?:\.\w+|\[\d+\])*$")
_GUID_NAMESPACE = uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830")

# The targets of the default simulator seed (simulator/seeds/default.json), in main.bicep's
# parameter shapes: what the local stack deploys infra/ against. Every seeded APIM service, VNet
# and DNS group is a target, so local requests reach the app's own checks (policy, preflight)
# rather than ARM's 403; the gateway groups default to the services' group, as in main.bicep.
_PLATFORM = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"
_SANDBOX = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
LOCAL_PARAMETERS: dict[str, Any] = {
    "environmentName": "local",
    "location": "westeurope",
    "entraClientId": "00000000-0000-0000-0000-00000000c11e",
    "alertEmail": "platform-team@contoso.example",
    "apimServices": [
        {
            "subscriptionId": _PLATFORM,
            "resourceGroupName": "rg-apim",
            "serviceName": "apim-contoso",
        },
        {
            "subscriptionId": _PLATFORM,
            "resourceGroupName": "rg-apim",
            "serviceName": "apim-contoso-dev",
        },
    ],
    "allowedVnets": [
        {
            "subscriptionId": _PLATFORM,
            "resourceGroupName": "rg-network",
            "vnetName": "vnet-apim",
            "subnetNames": [
                "snet-gw-a",
                "snet-gw-b",
                "snet-small",
                "snet-nic",
                "snet-gw-c",
                "snet-shared",
            ],
        },
        {
            "subscriptionId": _PLATFORM,
            "resourceGroupName": "rg-network-eastus",
            "vnetName": "vnet-eastus",
            "subnetNames": ["snet-gw"],
        },
        {
            "subscriptionId": _SANDBOX,
            "resourceGroupName": "rg-sandbox",
            "vnetName": "vnet-sandbox",
            "subnetNames": ["snet-gw"],
        },
    ],
    "dnsResourceGroups": [{"subscriptionId": _PLATFORM, "resourceGroupName": "rg-dns"}],
}
# The app identity of the local stack (a service principal, like the user-assigned identity).
LOCAL_APP_PRINCIPAL_ID = "a9900000-0000-4000-8000-0000000000a1"
LOCAL_APP_CLIENT_ID = "a9900000-0000-4000-8000-0000000000c1"
# The app settings that make the app's static token name that identity (shared/azure_clients.py).
LOCAL_APP_SETTINGS = {
    "ARM_STATIC_PRINCIPAL_ID": LOCAL_APP_PRINCIPAL_ID,
    "AZURE_CLIENT_ID": LOCAL_APP_CLIENT_ID,
}


class BicepError(ValueError):
    """infra/ uses Bicep this reader does not evaluate; the message names it."""


@dataclass
class Grants:
    """The role definitions and assignments infra/ makes for one principal."""

    role_definitions: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)

    def seed(
        self, principal_id: str, display_name: str = "onboarding app identity"
    ) -> dict[str, Any]:
        """A simulator scenario (simulator/README.md "Seed format") holding these grants."""
        mine = [a for a in self.assignments if a["properties"]["principalId"] == principal_id]
        return {
            "principals": [
                {"id": principal_id, "type": "ServicePrincipal", "displayName": display_name}
            ],
            "roleDefinitions": self.role_definitions,
            "resources": mine,
        }

    def custom_actions(self) -> set[str]:
        """Every action string of the custom roles (what infra/ writes by hand)."""
        return {a for d in self.role_definitions for p in d["permissions"] for a in p["actions"]}


def infra_grants(
    principal_id: str,
    parameters: dict[str, Any] | None = None,
    *,
    main: Path = MAIN,
    subscription_id: str = _PLATFORM,
    tenant_id: str = "7e1f0c2a-5b4d-4e6f-8a9b-0c1d2e3f4a5b",
) -> Grants:
    """Evaluate ``main`` (a subscription-scope deployment) and collect its RBAC resources."""
    grants = Grants()
    root = _Deployment(
        main,
        dict(LOCAL_PARAMETERS if parameters is None else parameters),
        (subscription_id, None),
        tenant_id,
        grants,
        {"principalId": principal_id},
    )
    root.collect()
    return grants


def local_seed(main: Path = MAIN) -> dict[str, Any]:
    """The local stack's app identity with exactly what infra/ grants it on the default seed."""
    return infra_grants(LOCAL_APP_PRINCIPAL_ID, main=main).seed(LOCAL_APP_PRINCIPAL_ID)


# --- the evaluator -------------------------------------------------------------------------------


class _Opaque(str):
    """A value this reader does not compute (another module's output, a name hash)."""


def _parse(path: Path) -> dict[str, Any]:
    # Parsing is the slow part (about a second per file); a file is read again when it changes.
    stat = path.stat()
    return _parse_cached(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _parse_cached(path: Path, _mtime: int, _size: int) -> dict[str, Any]:
    from pycep import BicepParser  # dev dependency (requirements-dev.txt), as for tests/infra

    return dict(BicepParser().parse(file_path=path))


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) > 1 and text[0] == text[-1] == "'" else text


class _Deployment:
    """One Bicep file deployed at one scope with given parameters."""

    def __init__(
        self,
        path: Path,
        params: dict[str, Any],
        scope: tuple[str, str | None],
        tenant_id: str,
        grants: Grants,
        identity: dict[str, str],
    ) -> None:
        self.path = path
        self.parsed = _parse(path)
        self.scope = scope
        self.tenant_id = tenant_id
        self.grants = grants
        self.identity = identity
        self.params: dict[str, Any] = {}
        for name, decl in (self.parsed.get("parameters") or {}).items():
            if name in params:
                self.params[name] = params[name]
            else:
                self.params[name] = self.eval(decl.get("default"), {})
        self._vars: dict[str, Any] = {}
        self._resources: dict[str, Any] = {}

    # -- collection ------------------------------------------------------------------------------
    def collect(self) -> None:
        for name, decl in (self.parsed.get("resources") or {}).items():
            if decl.get("existing"):
                continue
            rtype = str(decl["type"]).lower()
            if rtype not in (_ROLE_DEFINITIONS, _ROLE_ASSIGNMENTS):
                continue
            for instance in self._instances(name):
                if rtype == _ROLE_DEFINITIONS:
                    self.grants.role_definitions.append(self._definition(instance))
                else:
                    self.grants.assignments.append(self._assignment(instance))
        for decl in (self.parsed.get("modules") or {}).values():
            target = str(decl.get("detail", {}).get("path", ""))
            if not _EVALUATED.search(target):
                continue
            for body, env in self._bodies(decl["config"], {}):
                scope = self.scope
                if body.get("scope") is not None:
                    scope = self.eval(body["scope"], env)["_scope"]
                params = {k: self.eval(v, env) for k, v in (body.get("params") or {}).items()}
                child = _Deployment(
                    (self.path.parent / target).resolve(),
                    params,
                    scope,
                    self.tenant_id,
                    self.grants,
                    self.identity,
                )
                child.collect()

    def _definition(self, instance: dict[str, Any]) -> dict[str, Any]:
        props = instance["properties"]
        perms = []
        for block in props.get("permissions") or []:
            perm = {
                k: list(block.get(k) or [])
                for k in ("actions", "notActions", "dataActions", "notDataActions")
            }
            for k, values in perm.items():
                for v in values:
                    if not isinstance(v, str) or isinstance(v, _Opaque):
                        where = f"{self.path.name}: role {instance['name']}"
                        raise BicepError(f"{where}: {k} entry {v!r} is not a literal")
            perms.append(perm)
        return {
            "id": instance["name"],
            "roleName": props.get("roleName", ""),
            "description": props.get("description", ""),
            "permissions": perms,
            "assignableScopes": list(props.get("assignableScopes") or ["/"]),
        }

    def _assignment(self, instance: dict[str, Any]) -> dict[str, Any]:
        props = dict(instance["properties"])
        for needed in ("principalId", "roleDefinitionId"):
            if isinstance(props.get(needed), _Opaque) or not props.get(needed):
                raise BicepError(
                    f"{self.path.name}: assignment {instance['name']}: {needed} unknown"
                )
        return {"id": instance["id"], "properties": props}

    # -- resources ---------------------------------------------------------------------------------
    def _instances(self, name: str) -> list[dict[str, Any]]:
        value = self._resource(name)
        return value if isinstance(value, list) else [value] if value is not None else []

    def _resource(self, name: str) -> Any:
        if name not in self._resources:
            decl = self.parsed["resources"][name]
            config = decl["config"]
            looped = "loop_type" in config and config.get("loop_type") is not None
            built = [self._build(decl, body, env) for body, env in self._bodies(config, {})]
            self._resources[name] = built if looped else (built[0] if built else None)
        return self._resources[name]

    def _build(
        self, decl: dict[str, Any], body: dict[str, Any], env: dict[str, Any]
    ) -> dict[str, Any]:
        rtype = str(decl["type"])
        name = str(self.eval(body.get("name"), env))
        sub, group = self.scope
        if rtype.lower() == _ROLE_DEFINITIONS:
            rid = f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{name}"
        elif rtype.lower() == _ROLE_ASSIGNMENTS:
            target = self.eval(body["scope"], env)["id"] if body.get("scope") else self._scope_id()
            rid = f"{target}/providers/Microsoft.Authorization/roleAssignments/{name}"
        elif body.get("parent") is not None:
            parent = self.eval(body["parent"], env)
            rid = f"{parent['id']}/{rtype.rsplit('/', 1)[1]}/{name}"
        else:
            namespace, _, types = rtype.partition("/")
            if types.count("/"):
                raise BicepError(f"{self.path.name}: child resource {rtype} {name} needs parent:")
            rid = (
                f"/subscriptions/{sub}/resourceGroups/{group}/providers/{namespace}/{types}/{name}"
            )
        props = self.eval(body.get("properties") or {}, env)
        return {"id": rid, "name": name, "type": rtype, "properties": props}

    def _bodies(
        self, config: dict[str, Any], env: dict[str, Any]
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """The bodies of a declaration with their loop variables, after its ``if``."""
        if "loop_type" not in config and "condition" not in config:
            return [(config, env)]
        loop = config.get("loop_type")
        out: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for item_env in self._loop(loop, env) if loop else [env]:
            cond = config.get("condition")
            if cond is not None and not self.eval(cond, item_env):
                continue
            out.append((config["config"], item_env))
        return out

    def _loop(self, loop: dict[str, Any], env: dict[str, Any]) -> list[dict[str, Any]]:
        detail = loop["detail"]
        kind = loop["type"]
        if kind in ("array", "array_index"):
            items = self.eval(detail["array_name"], env)
            out = []
            for i, item in enumerate(items):
                scope = {**env, detail["item_name"]: item}
                if kind == "array_index":
                    scope[detail["index_name"]] = i
                out.append(scope)
            return out
        raise BicepError(f"{self.path.name}: loop kind {kind} is not evaluated")

    def _scope_id(self) -> str:
        sub, group = self.scope
        return f"/subscriptions/{sub}" + (f"/resourceGroups/{group}" if group else "")

    # -- expressions -------------------------------------------------------------------------------
    def eval(self, node: Any, env: dict[str, Any]) -> Any:
        if node is None or isinstance(node, bool | int | float):
            return node
        if isinstance(node, str):
            return self._name(node, env)
        if isinstance(node, list):
            return [self.eval(n, env) for n in node]
        if isinstance(node, dict):
            if "function" in node and isinstance(node["function"], dict):
                return self._call(node["function"], env)
            if "operator" in node and isinstance(node["operator"], dict):
                return self._operator(node["operator"], env)
            if "loop_type" in node:
                out = []
                for item_env in self._loop(node["loop_type"], env):
                    cond = node.get("condition")
                    if cond is None or self.eval(cond, item_env):
                        out.append(self.eval(node.get("config"), item_env))
                return out
            return {_unquote(k): self.eval(v, env) for k, v in node.items()}
        raise BicepError(f"{self.path.name}: cannot evaluate {node!r}")

    def _name(self, text: str, env: dict[str, Any]) -> Any:
        if text in env:
            return env[text]
        if text in self.params:
            return self.params[text]
        variables = self.parsed.get("variables") or {}
        if text in variables:
            if text not in self._vars:
                self._vars[text] = self.eval(variables[text]["value"], env)
            return self._vars[text]
        if text in (self.parsed.get("resources") or {}):
            return self._resource(text)
        if text in (self.parsed.get("modules") or {}):
            return {"outputs": _Outputs(text, self.identity)}
        if "${" in text:
            text = _INTERPOLATION.sub(lambda m: self._interpolate(m.group(1), env), text)
        return text.replace("\\'", "'")

    def _interpolate(self, expr: str, env: dict[str, Any]) -> str:
        expr = expr.strip()
        if not _PATH_EXPR.match(expr):
            # A function call inside a name (uniqueString(...)): a stable stand-in.
            return _Opaque(hashlib.sha256(expr.encode()).hexdigest()[:13])
        parts = re.findall(r"[A-Za-z_]\w*|\[\d+\]", expr)
        value = self._name(parts[0], env)
        for part in parts[1:]:
            value = value[int(part[1:-1])] if part.startswith("[") else _get(value, part)
        return str(value)

    def _operator(self, op: dict[str, Any], env: dict[str, Any]) -> Any:
        kind = op["type"]
        args = op.get("operands") or {}
        if kind == "property_accessor":
            return self._access(self.eval(args["operand_1"], env), args["operand_2"], env)
        if kind == "index_accessor":
            base = self.eval(args["operand_1"], env)
            index = self.eval(args["operand_2"], env)
            return base[index] if not isinstance(base, dict) else base[_unquote(str(index))]
        if kind == "conditional":
            branch = "true_value" if self.eval(args["condition"], env) else "false_value"
            return self.eval(args[branch], env)
        values = [self.eval(v, env) for v in args.values()]
        if kind == "not":
            return not values[0]
        if kind == "equals":
            return values[0] == values[1]
        if kind == "not_equals":
            return values[0] != values[1]
        if kind == "and":
            return all(values)
        if kind == "or":
            return any(values)
        raise BicepError(f"{self.path.name}: operator {kind} is not evaluated")

    def _access(self, base: Any, accessor: Any, env: dict[str, Any]) -> Any:
        if isinstance(accessor, dict) and "operator" in accessor:
            inner = accessor["operator"]
            if inner["type"] == "property_accessor":
                first = _get(base, str(inner["operands"]["operand_1"]))
                return self._access(first, inner["operands"]["operand_2"], env)
            raise BicepError(f"{self.path.name}: accessor {inner['type']} is not evaluated")
        return _get(base, str(accessor))

    def _call(self, fn: dict[str, Any], env: dict[str, Any]) -> Any:
        kind = fn["type"]
        raw = fn.get("parameters") or {}
        sub, group = self.scope
        if kind == "resource_group":
            named_group = self.eval(raw.get("resource_group_name"), env)
            named_sub = self.eval(raw.get("subscription_id"), env)
            g = named_group or group
            s = named_sub or sub
            if g is None:
                raise BicepError(f"{self.path.name}: resourceGroup() at subscription scope")
            return {"id": f"/subscriptions/{s}/resourceGroups/{g}", "name": g, "_scope": (s, g)}
        if kind == "subscription":
            s = self.eval(raw.get("subscription_id"), env) or sub
            return {
                "id": f"/subscriptions/{s}",
                "subscriptionId": s,
                "tenantId": self.tenant_id,
                "_scope": (s, None),
            }
        if kind == "tenant":
            return {"tenantId": self.tenant_id}
        args = [self.eval(v, env) for v in raw.values()]
        if kind == "load_json_content":
            return json.loads((self.path.parent / str(args[0])).read_text())
        if kind == "guid":
            return str(uuid.uuid5(_GUID_NAMESPACE, "-".join(str(a) for a in args)))
        if kind == "unique_string":
            return _Opaque(hashlib.sha256("|".join(str(a) for a in args).encode()).hexdigest()[:13])
        if kind == "concat":
            if all(isinstance(a, list) for a in args):
                return [x for a in args for x in a]
            return "".join(str(a) for a in args)
        if kind == "union":
            if all(isinstance(a, dict) for a in args):
                merged: dict[str, Any] = {}
                for a in args:
                    merged.update(a)
                return merged
            out: list[Any] = []
            for a in args:
                for x in a:
                    if x not in out:
                        out.append(x)
            return out
        if kind == "join":
            return str(args[1]).join(str(a) for a in args[0])
        if kind == "split":
            return str(args[0]).split(str(args[1]))
        if kind == "empty":
            return args[0] is None or len(args[0]) == 0
        if kind == "flatten":
            return [x for a in args[0] for x in a]
        if kind == "string":
            return (
                args[0] if isinstance(args[0], str) else json.dumps(args[0], separators=(",", ":"))
            )
        if kind == "to_lower":
            return str(args[0]).lower()
        if kind == "to_upper":
            return str(args[0]).upper()
        if kind == "subscription_resource_id":
            rtype, *names = (str(a) for a in args if a is not None)
            return f"/subscriptions/{sub}/providers/{rtype}/{'/'.join(names)}"
        raise BicepError(f"{self.path.name}: function {kind} is not evaluated")


class _Outputs(dict[str, Any]):
    """Outputs of a module this reader does not deploy: opaque, but the identity's principal."""

    def __init__(self, module: str, identity: dict[str, str]) -> None:
        super().__init__()
        self.module = module
        self.identity = identity

    def __missing__(self, name: str) -> Any:
        if self.module == "identity" and name in self.identity:
            return self.identity[name]
        return _Opaque(f"<{self.module}.outputs.{name}>")


def _get(base: Any, name: str) -> Any:
    if isinstance(base, dict):
        return base[name]
    raise BicepError(f"cannot read .{name} of {base!r}")
