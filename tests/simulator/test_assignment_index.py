"""Role assignments are indexed by principal and scope: an access check looks up the caller's
assignments at the scopes above the request's, not every assignment (which grow with every
onboarding's grants), and finds exactly what a scan of all of them finds, in the same order."""

from __future__ import annotations

import random

from simulator.access import _within
from simulator.backends.authorization import Assignment, _Assignments

SUB = "/subscriptions/s1"
SCOPES = [
    SUB,
    f"{SUB}/resourceGroups/rg-a",
    f"{SUB}/resourceGroups/RG-A/providers/Microsoft.Network/virtualNetworks/v",
    f"{SUB}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/v/subnets/x",
    f"{SUB}/resourceGroups/rg-b",
    "/",
]


def test_the_index_finds_what_a_scan_finds_in_the_same_order() -> None:
    rng = random.Random(5)
    index = _Assignments()
    for n in range(300):
        scope = rng.choice(SCOPES)
        principal = rng.choice(["p1", "p2", "p3"])
        a = Assignment(scope, f"a{n}", "r", principal, "User", "t", "t")
        index[f"{scope}/ra/a{n}".lower()] = a
    for n in range(0, 300, 3):  # some go again
        victim = next(k for k in index if k.endswith(f"/a{n}"))
        del index[victim]
    for principal in ("p1", "p2", "P3"):
        for scope in SCOPES:
            scan = [a for a in index.values()
                    if a.principal_id == principal.lower() and _within(scope, a.scope)]  # fmt: skip
            assert index.granted_to(principal, scope) == scan
            exact = [a for a in index.values() if a.principal_id == principal.lower()
                     and [p.lower() for p in a.scope.split("/") if p]
                     == [p.lower() for p in scope.split("/") if p]]  # fmt: skip
            assert index.at_scope(principal, scope) == exact
