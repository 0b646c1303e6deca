"""The Function App's app settings as ``infra/`` writes them, per deployment variant.

``function-app.bicep`` writes ``union(baseSettings, appSettings)``; main.bicep passes
``appSettings`` as a union of its own setting objects, some chosen by a condition
(``useScheduler ? {...} : {}``). :func:`variants` follows those expressions through pycep's
parse tree and returns one settings object per combination of conditions, each with the
conditions that select it.
"""

from __future__ import annotations

from itertools import product
from typing import Any

from tests.infra import bicep_model as bm

Conditions = dict[str, bool]
Variant = tuple[Conditions, dict[str, Any]]


def variants() -> list[Variant]:
    app = bm.module("function-app.bicep")
    props = bm.body(app["resources"]["settings"])["properties"]
    return _resolve(props, "app")


def keys_when(**conditions: bool) -> dict[str, Any]:
    """The settings of the one variant whose conditions agree with ``conditions``."""
    found = [s for c, s in variants() if all(c.get(k, v) == v for k, v in conditions.items())]
    merged: dict[str, Any] = {}
    for settings in found:
        merged.update(settings)
    assert found, f"no variant matches {conditions}"
    return merged


def all_keys() -> set[str]:
    return {k for _, settings in variants() for k in settings}


def _resolve(expr: Any, where: str) -> list[Variant]:
    parsed = bm.module("function-app.bicep") if where == "app" else bm.main()
    if isinstance(expr, dict) and "function" in expr:
        fn = expr["function"]
        assert fn["type"] == "union", f"cannot follow {fn['type']}() in app settings"
        return _union([_resolve(arg, where) for arg in fn["parameters"].values()])
    if isinstance(expr, dict) and "operator" in expr:
        op = expr["operator"]
        assert op["type"] == "conditional", f"cannot follow operator {op['type']}"
        cond = op["operands"]["condition"]
        assert isinstance(cond, str), f"condition {cond!r} must be a variable"
        out: list[Variant] = []
        for branch, value in (("true_value", True), ("false_value", False)):
            for c, s in _resolve(op["operands"][branch], where):
                if c.get(cond, value) == value:
                    out.append(({**c, cond: value}, s))
        return out
    if isinstance(expr, dict):
        return [({}, expr)]
    if isinstance(expr, str) and expr in (parsed.get("variables") or {}):
        return _resolve(bm.variable(parsed, expr), where)
    if isinstance(expr, str) and where == "app" and expr in parsed["parameters"]:
        passed = bm.body(bm.main()["modules"]["functionApp"])["params"]
        if expr in passed:
            return _resolve(passed[expr], "main")
        return _resolve(parsed["parameters"][expr].get("default", {}), "app")
    raise AssertionError(f"cannot resolve app settings expression {expr!r} in {where}")


def _union(parts: list[list[Variant]]) -> list[Variant]:
    out: list[Variant] = []
    for combo in product(*parts):
        conds: Conditions = {}
        settings: dict[str, Any] = {}
        consistent = True
        for c, s in combo:
            if any(conds.get(k, v) != v for k, v in c.items()):
                consistent = False
                break
            conds.update(c)
            settings.update(s)
        if consistent:
            out.append((conds, settings))
    return out
