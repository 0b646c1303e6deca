"""advance_until: what a condition does while it looks is delivered before the clock jumps.

A condition may act like an operator (StandIn answers a private-IP wait from inside its
condition); the clock must not jump past the work that act made, or the answered wait would
look as long as its timeout (a browser test saw a 3-hour build dwarfed by a day-long wait).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from devhost import DevHost
from devhost.stepping import advance_until

pytestmark = pytest.mark.timeout(60)


def test_an_event_raised_by_the_condition_wins_over_the_timer_it_races(host: DevHost) -> None:
    calls = 0

    def answered() -> bool:
        nonlocal calls
        calls += 1
        if host.status(run_id)["runtimeStatus"] == "Completed":
            return True
        # Look once without acting (the first call comes before the host has settled), then
        # answer on the second: a call made once the host settled, the run seen waiting.
        if calls == 2:
            host.raise_event(run_id, "go", "now")
        return False

    with host.clock.hold():
        start = host.clock.now()
        run_id = host.start_new("race", "event")
        advance_until(host, answered, timeout=30)
    output = host.status(run_id)["output"]
    assert output["winner"] == "work"
    assert datetime.fromisoformat(output["now"]) - start < timedelta(hours=1)
