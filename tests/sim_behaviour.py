"""The ``sim_behaviour`` marker: simulator switches (``/_sim/behaviour``) for one test.

``@pytest.mark.sim_behaviour(gatewayHostname="also-frontend", gatewayExposesPrivateIp=True)``
(or a dict as the one argument) sets those switches on the simulator the test's ``sim`` or
``stack`` fixture hands out, after its reset and before the test runs. Markers nearer the test
win over ones on its class or module; in a matrix, put one on each ``pytest.param(...,
marks=pytest.mark.sim_behaviour(...))``. Switch names and values: simulator/README.md,
"Switches", or ``simulator.settings.switch_names()`` / ``choices(name)``.
"""

from __future__ import annotations

from typing import Any

import pytest

MARKER = "sim_behaviour"


def marked_behaviour(node: pytest.Item) -> dict[str, Any]:
    """The switches every ``sim_behaviour`` marker on ``node`` asks for (nearest wins)."""
    merged: dict[str, Any] = {}
    # iter_markers yields the nearest first; apply the farthest first so nearer ones win.
    for marker in reversed(list(node.iter_markers(MARKER))):
        for arg in marker.args:
            if not isinstance(arg, dict):
                raise TypeError(f"{MARKER} takes a dict or keyword arguments, not {arg!r}")
            merged.update(arg)
        merged.update(marker.kwargs)
    return merged
