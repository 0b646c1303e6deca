"""Maps ARM paths to handlers: a table of (method, path template) compiled to regexes.

Templates use ``{name}`` for one path segment and ``{scope*}`` for any number of segments
(role assignments and definitions live at any scope). Matching ignores case, as ARM does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.core import Simulation
    from simulator.wire import Request, Response

Handler = Callable[["Simulation", "Request"], "Response"]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Handler
    pattern: re.Pattern[str]


def _compile(template: str) -> re.Pattern[str]:
    out = []
    for piece in re.split(r"(\{[a-zA-Z_]+\*?\})", template):
        if piece.startswith("{") and piece.endswith("*}"):
            out.append(f"(?P<{piece[1:-2]}>(?:/[^/]+)*?)")
        elif piece.startswith("{"):
            out.append(f"(?P<{piece[1:-1]}>[^/]+)")
        else:
            out.append(re.escape(piece))
    return re.compile("^" + "".join(out) + "/?$", re.IGNORECASE)


class Router:
    """Ordered route table; the first template that matches wins."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        self.routes.append(Route(method.upper(), template, handler, _compile(template)))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route and its path params, or None when nothing serves this method and path."""
        for route in self.routes:
            if route.method != method.upper():
                continue
            m = route.pattern.match(path)
            if m:
                return route, {k: v for k, v in m.groupdict().items() if v is not None}
        return None
