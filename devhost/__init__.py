"""devhost: a local host that runs any Python v2 Durable Functions app without Azure.

It imports the app module (default ``function_app``), serves its HTTP routes under ``/api``,
runs orchestrations through the unmodified azure-functions-durable SDK with history in SQLite,
runs activities in a thread pool, fires durable timers on a real or virtual clock, and serves
the Durable HTTP management API under ``/runtime/webhooks/durabletask/``.
See ``devhost/README.md``.
"""

from devhost.clock import Clock, RealClock, VirtualClock
from devhost.host import DevHost
from devhost.trigger_kinds import TriggerKind, register_trigger_kind

__all__ = [
    "Clock",
    "DevHost",
    "RealClock",
    "TriggerKind",
    "VirtualClock",
    "register_trigger_kind",
]
