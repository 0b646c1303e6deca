"""The saga's plan as data: which steps a request needs, and the deadlines of its waits.

Pure decisions (DESIGN.md §2 "Ordering for speed"), read by the procedure in
orchestrators/saga.py, which is the one place the order below is written as code:

* preflight first, alone (read only);
* the approval gate, when the policy asks for one: before the first write;
* NSG ∥ workspace (the network step's NSG does not need the workspace, nor vice versa);
* subnet ∥ service- and workspace-scope roles (the roles need only the workspace);
* the gateway PUT (it needs the subnet ready), then link ∥ gateway-scope roles (the gateway
  resource exists while it builds);
* the build waited out, then DNS (injection only), then the report.

A shared gateway skips network, build and DNS: the link and the gateway roles act on
the existing gateway. Compensation order is the reverse of the recorded undo entries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from shared.request import NetworkModeName, OnboardingRequest
from shared.saga_models import SagaPolicy

STEPS = ("preflight", "network", "workspace", "approval", "gateway", "access", "wait", "dns")
EARLY_SCOPES = ("service", "workspace")


@dataclass(frozen=True)
class Plan:
    mode: NetworkModeName
    shared_gateway: bool
    network: bool  # NSG + subnet delegation
    approval: bool
    wait: bool  # a new gateway's build is waited out
    dns: bool
    early_roles: tuple[int, ...]  # indexes into request.access: service/workspace scope
    late_roles: tuple[int, ...]  # gateway scope

    @property
    def skipped(self) -> tuple[str, ...]:
        flags = {"network": self.network, "approval": self.approval, "wait": self.wait,
                 "dns": self.dns, "access": bool(self.early_roles or self.late_roles)}  # fmt: skip
        return tuple(step for step in STEPS if flags.get(step) is False)


def plan_for(request: OnboardingRequest, policy: SagaPolicy) -> Plan:
    shared = request.gateway.existing_gateway_id is not None
    mode = request.gateway.network.mode
    return Plan(
        mode=mode,
        shared_gateway=shared,
        network=not shared and mode != "none",
        approval=policy.require_approval,
        wait=not shared,
        dns=not shared and mode == "injection",
        early_roles=tuple(i for i, g in enumerate(request.access) if g.scope in EARLY_SCOPES),
        late_roles=tuple(i for i, g in enumerate(request.access) if g.scope == "gateway"),
    )


T = TypeVar("T")


def compensation_order(undo: Sequence[T]) -> list[T]:
    """Undo entries run last-recorded first: nothing is removed while something uses it."""
    return list(reversed(undo))


# --- deadlines -------------------------------------------------------------------------------


def deadline_after(now: dt.datetime, hours: float) -> dt.datetime:
    return now + dt.timedelta(hours=hours)


# The longest timer an operator wait sets: under the Azure Storage backend's 6-day short-timer
# limit. A longer timer is split into 3-day chunks by the SDK, and cancelling it (the answer
# won) leaves the pending chunk, which keeps the run Running for up to 3 more days
# (durable-host-semantics.md rows 1 and 6; SDK issue #573).
MAX_WAKE = dt.timedelta(days=5)


def next_wake(now: dt.datetime, deadline: dt.datetime, reminder_hours: float) -> dt.datetime:
    """When an operator wait wakes next: the next reminder, or the deadline if sooner, and
    never more than ``MAX_WAKE`` ahead (a wait with longer reminders just wakes once more)."""
    return min(now + dt.timedelta(hours=reminder_hours), deadline, now + MAX_WAKE)


def passed(now: dt.datetime, deadline: dt.datetime) -> bool:
    return now >= deadline


def build_deadline(now: dt.datetime, policy: SagaPolicy) -> dt.datetime:
    """The build's deadline from ``now``: at the start, and again after "keep waiting"."""
    return now + dt.timedelta(hours=policy.build_deadline_hours)
