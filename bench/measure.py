"""What one bench scenario reads off the stack: requests, polls, notice delay, history, time."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cli.stack import LocalStack
from devhost import DevHost

# The hand-written minimum of ARM requests beyond the build's polls, per network mode, with
# the same checks as the app (tests/e2e/test_request_counts.py says what each item is), for
# the sample requests' three grants. Written as items so the totals cannot drift from the list
# (the totals were 24/17/12/10 until issue 17 item 4: integration, none and shared were below
# the sum of their own items).
_EVERY_MODE = {"service": 1, "workspace exists": 1, "workspace PUT": 1,
               "role definition (per grant)": 3, "role assignment PUT (per grant)": 3,
               "link PUT": 1, "link state after the build": 1}  # fmt: skip
_NEW_GATEWAY = {"gateway exists": 1, "gateway PUT": 1}
_NETWORK = {"VNet (its subnets in full)": 1, "Microsoft.Web registration": 1, "NSG PUT": 1,
            "NSG PUT's operation": 1, "subnet PUT": 1, "subnet PUT's operation": 1}  # fmt: skip
_DNS = {"DNS zone PUT": 1, "zone PUT's operation": 1, "VNet link PUT": 1,
        "VNet link PUT's operation": 1, "A record PUT": 1}  # fmt: skip
REQUEST_MINIMUM_ITEMS: dict[str, dict[str, int]] = {
    "injection": {**_EVERY_MODE, **_NEW_GATEWAY, **_NETWORK, **_DNS},
    "integration": {**_EVERY_MODE, **_NEW_GATEWAY, **_NETWORK},
    "none": {**_EVERY_MODE, **_NEW_GATEWAY},
    "shared": {**_EVERY_MODE, "shared gateway": 1, "its config connections": 1},
}
REQUEST_MINIMUM = {mode: sum(items.values()) for mode, items in REQUEST_MINIMUM_ITEMS.items()}

# What the app makes beyond that minimum, item by item (tests/e2e/test_request_counts.py pins
# every request of a run by kind). Each is a check the minimum leaves out, not a repeat:
# a read before each write that decides whether this run made or adopts what it finds (the
# owner mark; none of these providers documents a create-only write, and preflight's reads
# come one orchestration turn, and behind an approval days, earlier), and the InProgress poll
# Private DNS answers first for a zone and a VNet link (recorded, arm-behaviour.md 3.8).
_OWNER_READS = {"read before workspace PUT": 1, "read before role assignment PUT (per grant)": 3,
                "read before link PUT": 1}  # fmt: skip
_DNS_IN_PROGRESS = {"zone operation's InProgress poll": 1,
                    "VNet link operation's InProgress poll": 1}  # fmt: skip
_GATEWAY_READ, _NSG_READ = {"read before gateway PUT": 1}, {"read before NSG PUT": 1}
REQUEST_BEYOND_MINIMUM_ITEMS: dict[str, dict[str, int]] = {
    "injection": {**_OWNER_READS, **_GATEWAY_READ, **_NSG_READ, **_DNS_IN_PROGRESS},
    "integration": {**_OWNER_READS, **_GATEWAY_READ, **_NSG_READ},
    "none": {**_OWNER_READS, **_GATEWAY_READ},
    "shared": dict(_OWNER_READS),
}
# The minimum plus those: every request of an onboarding beyond the polls, accounted for.
REQUEST_ACCOUNTED = {
    mode: REQUEST_MINIMUM[mode] + sum(REQUEST_BEYOND_MINIMUM_ITEMS[mode].values())
    for mode in REQUEST_MINIMUM
}


@dataclass
class RunFigures:
    """Figures for one onboarding run."""

    outcome: str
    requests_by_verb: Counter[str] = field(default_factory=Counter)
    polls: int = 0
    notice_delay: dt.timedelta | None = None
    history_total: int = 0
    history_max_instance: int = 0
    history_saga: int = 0
    overhead: dt.timedelta | None = None
    build: dt.timedelta = dt.timedelta(0)
    pre_build: dt.timedelta | None = None  # run created -> gateway build started
    after_ready: dt.timedelta | None = None  # build ready -> run ended (notice, link, DNS)
    dns: dt.timedelta | None = None


def history_sizes(host: DevHost, run_id: str) -> dict[str, int]:
    """History events per instance of a run (the run and its sub-orchestrations)."""
    with host.store.tx() as tx:
        ids = [run_id] + [
            row[0]
            for row in tx.conn.execute(
                "SELECT instance_id FROM instances WHERE instance_id LIKE ?", (f"{run_id}:%",)
            )
        ]
        return {i: len(tx.history(i)) for i in ids}


def gateway_ready_at(stack: LocalStack, gateway_id: str) -> dt.datetime | None:
    """When the simulator's build of ``gateway_id`` completes (createdAt + build time)."""
    assert stack.sim is not None
    for resource in stack.sim.simulation.state()["resources"]:
        if resource["id"].lower() == gateway_id.lower():
            created = parse(resource["systemData"]["createdAt"])
            minutes = stack.sim.simulation.timings.gateway_build_minutes
            return created + dt.timedelta(minutes=minutes)
    return None


def parse(stamp: str) -> dt.datetime:
    """ISO-8601 from ARM (``...44.1234567Z``, 7 digits) or from Python (``+00:00``)."""
    if stamp.endswith("Z") and "." in stamp:
        head, fraction = stamp[:-1].split(".", 1)
        return dt.datetime.fromisoformat(f"{head}.{fraction[:6]}+00:00")
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def step(run: dict[str, Any], name: str) -> dict[str, Any]:
    return next((s for s in run.get("steps") or [] if s["name"] == name), {})
