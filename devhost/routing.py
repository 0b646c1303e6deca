"""HTTP route templates the way the Functions host matches them.

Supports literal segments, ``{name}``, optional ``{name?}``, constrained ``{name:int}`` (and
``alpha``, ``guid``, ``bool``, ``long``, ``double``; other constraints match any segment) and a
catch-all ``{*rest}``. More literal segments win over parameters, as ASP.NET routing prefers the
more specific template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_CONSTRAINTS = {
    "int": r"-?\d+",
    "long": r"-?\d+",
    "double": r"-?\d+(?:\.\d+)?",
    "alpha": r"[A-Za-z]+",
    "bool": r"(?i:true|false)",
    "guid": r"[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}",
}
_PARAM = re.compile(r"^\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z]+)[^}?]*)?(\?)?(?:=[^}]*)?\}$")


@dataclass
class Route:
    """A compiled template bound to a target (the function entry)."""

    template: str
    pattern: re.Pattern[str]
    literals: int
    methods: set[str] | None
    target: Any

    def match(self, path: str, method: str) -> dict[str, str] | None:
        """Route params when ``path`` matches and the method is allowed, else None."""
        if self.methods is not None and method.upper() not in self.methods:
            return None
        found = self.pattern.fullmatch(path.strip("/"))
        if not found:
            return None
        return {k: v for k, v in found.groupdict().items() if v is not None}


def compile_route(template: str, methods: list[str] | None, target: Any) -> Route:
    """Compile a route template into a regex over the path below the route prefix."""
    parts: list[str] = []
    literals = 0
    for segment in [s for s in template.strip("/").split("/") if s]:
        param = _PARAM.match(segment)
        if param is None:
            parts.append("/" + re.escape(segment))
            literals += 1
            continue
        catch_all, name, constraint, optional = param.groups()
        body = ".*" if catch_all else _CONSTRAINTS.get((constraint or "").lower(), r"[^/]+")
        if catch_all or optional:
            parts.append(f"(?:/(?P<{name}>{body}))?")
        else:
            parts.append(f"/(?P<{name}>{body})")
    regex = "".join(parts)
    # Paths are matched without the leading slash.
    pattern = re.compile(regex[1:] if regex.startswith("/") else regex.replace("(?:/", "(?:", 1))
    allowed = {m.upper() for m in methods} if methods else None
    return Route(template, pattern, literals, allowed, target)


class Router:
    """A set of routes, most specific first."""

    def __init__(self) -> None:
        """Start empty."""
        self.routes: list[Route] = []

    def add(self, template: str, methods: list[str] | None, target: Any) -> None:
        """Register a template."""
        self.routes.append(compile_route(template, methods, target))
        self.routes.sort(key=lambda r: -r.literals)

    def resolve(self, path: str, method: str) -> tuple[Any, dict[str, str]] | None:
        """The first matching target and its route params."""
        for route in self.routes:
            params = route.match(path, method)
            if params is not None:
                return route.target, params
        return None

    def path_exists(self, path: str) -> bool:
        """True if some route matches the path with any method (405 vs 404)."""
        return any(r.pattern.fullmatch(path.strip("/")) for r in self.routes)
