"""Route order survives both hosts (issue 14, items 2-3).

The Functions host does not order routes as ASP.NET does: it tries them in the order the
functions are registered, the alphabetical order of their names, first match wins
(Azure/azure-functions-host#9876; Azure/azure-webjobs-sdk-extensions pull request #842, open,
would bring ASP.NET's precedence). devhost prefers more literal segments. So wherever two
routes of one method can match the same path, the more specific one must also sort first by
name; then both orders pick the same function. Before, ``GET /api/onboardings/counts`` was
``onboarding_counts``, which sorts after ``get_onboarding`` (``onboardings/{instance_id}``): in
Azure the count request would have been read as the run ``counts`` (404).
"""

from __future__ import annotations

from itertools import combinations

from shared.api_routes import CATCH_ALL_FUNCTION, ROUTES, Route
from tests.unit.test_function_app import _INDEXED  # noqa: F401 - index once per process


def _segments(route: Route) -> list[str | None]:
    """Each segment's literal (lower case), None for a parameter."""
    return [None if s.startswith("{") else s.lower() for s in route.path.split("/")]


def _overlap(a: Route, b: Route) -> bool:
    sa, sb = _segments(a), _segments(b)
    return a.method == b.method and len(sa) == len(sb) and all(
        x is None or y is None or x == y for x, y in zip(sa, sb, strict=True))  # fmt: skip


def _literals(route: Route) -> int:
    return sum(1 for s in _segments(route) if s is not None)


def test_a_more_specific_route_sorts_first_by_function_name() -> None:
    wrong = []
    for a, b in combinations(ROUTES, 2):
        if not _overlap(a, b) or _literals(a) == _literals(b):
            continue
        specific, general = (a, b) if _literals(a) > _literals(b) else (b, a)
        if specific.function > general.function:
            wrong.append((specific.function, specific.path, general.function, general.path))
    assert wrong == []


def test_the_catch_all_is_tried_last_under_both_orders() -> None:
    assert all(r.function < CATCH_ALL_FUNCTION for r in ROUTES)
