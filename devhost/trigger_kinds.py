"""Registry of trigger kinds: the extension point for triggers other than HTTP and Durable.

HTTP (``httpTrigger``), orchestration, activity and durable-client bindings are built in. Any
other trigger type (``serviceBusTrigger``, ``timerTrigger``, ...) is served by a *trigger kind*
registered here under the binding type name. On start the host calls ``start(host, functions)``
with every function of that trigger type; the kind receives events its own way (e.g. a Service
Bus receiver per queue) and invokes a function with ``host.invoke(entry, {arg_name: value})``,
which adds the durable-client binding and ``context`` and runs the function on the host's event
loop. On stop the host calls ``stop()``. A kind that is not registered leaves its functions idle
(the host logs which). ``serviceBusTrigger`` is served by default by
:class:`devhost.servicebus_kind.ServiceBusKind`; registering a kind under it replaces that.

Example (see README.md, "Adding a trigger kind")::

    class TimerKind:
        def start(self, host, functions): ...   # watch schedules, call host.invoke(...)
        def stop(self): ...

    register_trigger_kind("timerTrigger", TimerKind)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from devhost.app_index import FunctionEntry


class TriggerKind(Protocol):
    """A receiver of events for one trigger type."""

    def start(self, host: Any, functions: list[FunctionEntry]) -> None:
        """Begin delivering events to ``functions`` via ``host.invoke``."""
        ...

    def stop(self) -> None:
        """Stop receiving; return when no invocation is in flight."""
        ...


BUILT_IN = {"httpTrigger", "orchestrationTrigger", "activityTrigger"}

_registry: dict[str, Callable[[], TriggerKind]] = {}


def _servicebus_kind() -> TriggerKind:
    # Imported on use so hosts without Service Bus functions never load the SDK.
    from devhost.servicebus_kind import ServiceBusKind

    return ServiceBusKind()


def _timer_kind() -> TriggerKind:
    from devhost.timer_kind import TimerKind

    return TimerKind()


# Served when nothing is registered under the type; a registration overrides a default.
_defaults: dict[str, Callable[[], TriggerKind]] = {
    "serviceBusTrigger": _servicebus_kind,
    "timerTrigger": _timer_kind,
}


def register_trigger_kind(binding_type: str, factory: Callable[[], TriggerKind]) -> None:
    """Serve functions whose trigger binding type is ``binding_type`` with ``factory()``."""
    if binding_type in BUILT_IN:
        raise ValueError(f"{binding_type} is built into devhost")
    _registry[binding_type] = factory


def unregister_trigger_kind(binding_type: str) -> None:
    """Remove a registration (tests)."""
    _registry.pop(binding_type, None)


def trigger_kind_for(binding_type: str) -> Callable[[], TriggerKind] | None:
    """The registered factory for a trigger type, else devhost's default kind, if any."""
    return _registry.get(binding_type) or _defaults.get(binding_type)
