"""Helpers that read infra/*.bicep through pycep-parser and walk its output.

pycep-parser turns a Bicep file into nested dicts: ``resources``/``modules`` map a symbolic
name to ``{"type", "existing", "config"}``; a loop or ``if`` wraps the body as
``{"loop_type", "condition", "config": body}``; plain identifiers stay strings; function calls
are ``{"function": {"type", "parameters"}}``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from pycep import BicepParser

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
MODULES = INFRA / "modules"
ROLE_ASSIGNMENT = "Microsoft.Authorization/roleAssignments"
ROLE_DEFINITION = "Microsoft.Authorization/roleDefinitions"

# ../shared/reference/arm-behaviour.md §3.9: the nine roles the app may ever grant, by scope.
NINE_ROLES: dict[str, dict[str, str]] = {
    "service": {
        "API Management Service Workspace API Developer": "9565a273-41b9-4368-97d2-aeb0c976a9b3",
        "API Management Service Workspace API Product Manager": (
            "d59a3e9c-6d52-4a5a-aeed-6bf3cf0e31da"
        ),
    },
    "workspace": {
        "API Management Workspace Reader": "ef1c2c96-4a77-49e8-b9a4-6179fe1d2fd2",
        "API Management Workspace Contributor": "0c34c906-8d99-4cb7-8bb7-33f5b0a1a799",
        "API Management Workspace API Developer": "56328988-075d-4c6a-8766-d93edd6725b6",
        "API Management Workspace API Product Manager": "73c2c328-d004-4c5e-938c-35c6f5679a1f",
    },
    "gateway": {
        "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
        "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    },
}
RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


@cache
def parse(path: Path) -> dict[str, Any]:
    result: dict[str, Any] = dict(BicepParser().parse(file_path=path))
    return result


def module(name: str) -> dict[str, Any]:
    return parse(MODULES / name)


def main() -> dict[str, Any]:
    return parse(INFRA / "main.bicep")


def body(decl: dict[str, Any]) -> dict[str, Any]:
    """The property body of a resource/module, unwrapping a loop or ``if`` wrapper."""
    config: dict[str, Any] = decl["config"]
    if "loop_type" in config or "condition" in config:
        inner: dict[str, Any] = config["config"]
        return inner
    return config


def condition_of(decl: dict[str, Any]) -> Any:
    config = decl["config"]
    return config.get("condition") if "config" in config else None


def loop_of(decl: dict[str, Any]) -> dict[str, Any] | None:
    loop: dict[str, Any] | None = decl["config"].get("loop_type")
    return loop


def resources_of_type(parsed: dict[str, Any], rtype: str) -> dict[str, dict[str, Any]]:
    return {
        name: decl
        for name, decl in (parsed.get("resources") or {}).items()
        if decl["type"] == rtype and not decl.get("existing")
    }


def target_scope(parsed: dict[str, Any]) -> str:
    scope: str = ((parsed.get("globals") or {}).get("scope") or {}).get("value", "resourceGroup")
    return scope


def variable(parsed: dict[str, Any], name: str) -> Any:
    return parsed["variables"][name]["value"]


def param_default(parsed: dict[str, Any], name: str) -> Any:
    return parsed["parameters"][name]["default"]


def allowed_values(parsed: dict[str, Any], name: str) -> list[str]:
    for deco in parsed["parameters"][name]["decorators"]:
        if deco["type"] == "allowed":
            values: list[str] = deco["argument"]
            return values
    raise AssertionError(f"parameter {name} has no @allowed list")


def unquote(key: str) -> str:
    return key[1:-1] if len(key) > 1 and key[0] == key[-1] == "'" else key


def bicep_string(raw: str) -> str:
    """A Bicep string literal's text as ARM sees it (pycep keeps the ``\\'`` escapes)."""
    return raw.replace("\\'", "'")


def role_actions(decl: dict[str, Any], parsed: dict[str, Any]) -> list[str]:
    """The ``actions`` of a custom role definition, resolving variables and concat()."""
    perms = body(decl)["properties"]["permissions"]
    assert len(perms) == 1, "one permission block per custom role"
    return resolve_list(perms[0]["actions"], parsed)


def resolve_list(value: Any, parsed: dict[str, Any]) -> list[str]:
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            out.extend(resolve_list(item, parsed) if not _is_literal(item, parsed) else [item])
        return out
    if isinstance(value, str) and value in (parsed.get("variables") or {}):
        return resolve_list(variable(parsed, value), parsed)
    if isinstance(value, dict) and "function" in value and value["function"]["type"] == "concat":
        out = []
        for arg in value["function"]["parameters"].values():
            out.extend(resolve_list(arg, parsed))
        return out
    raise AssertionError(f"cannot resolve {value!r} to a list of literals")


def _is_literal(item: Any, parsed: dict[str, Any]) -> bool:
    return isinstance(item, str) and item not in (parsed.get("variables") or {})
