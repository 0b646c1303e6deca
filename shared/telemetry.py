"""One ticket, followable in Application Insights: every log record and span of a run carries
``ticketId``, ``instanceId`` and ``step``.

How the fields travel:

- The run's fields live in a context variable. Triggers :func:`bind` them once the ticket and
  instance are known (triggers/run_start.py); each activity invocation opens a :func:`run_scope`
  (activities/functions.py ``invoke``); orchestrators pass them explicitly with every milestone
  (shared/run_log.py), which logs nothing while replaying.
- :class:`RunContextFilter` copies the fields onto every log record that passes the exporting
  handler (explicit ``extra=`` values win); the OpenTelemetry logging handler turns record
  attributes into log attributes, which the Azure Monitor exporter sends as custom dimensions.
- :class:`RunContextSpanProcessor` sets them on every span started in the worker (the activity
  span, Azure SDK dependency spans), so spans join by ticket too.

:func:`configure` wires this to Application Insights with the Azure Monitor OpenTelemetry distro
when ``APPLICATIONINSIGHTS_CONNECTION_STRING`` is set (in Azure; never locally), authenticating
with the app's managed identity because the component accepts Entra-authenticated telemetry only.
The Functions host runs in OpenTelemetry mode (host.json ``telemetryMode``) with Durable
distributed tracing, and ``PYTHON_ENABLE_OPENTELEMETRY`` lets the worker join the host's trace
context: https://learn.microsoft.com/azure/azure-functions/opentelemetry-howto
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass, replace
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import SpanProcessor

LOGGER_NAME = "onboarding"  # every app logger is onboarding.<area>
FIELDS = ("ticketId", "instanceId", "step")
log = logging.getLogger(f"{LOGGER_NAME}.telemetry")
# None: the global provider (the one configure_azure_monitor installs); tests pass their own.
tracer_provider: Any = None


@dataclass(frozen=True)
class RunFields:
    ticket_id: str | None = None
    instance_id: str | None = None
    step: str | None = None

    def attributes(self) -> dict[str, str]:
        values = {"ticketId": self.ticket_id, "instanceId": self.instance_id, "step": self.step}
        return {k: v for k, v in values.items() if v}


_NONE = RunFields()  # frozen: a safe shared default
_current: ContextVar[RunFields] = ContextVar("onboarding_run_fields", default=_NONE)


def current() -> RunFields:
    return _current.get()


def bind(
    ticket_id: str | None = None, instance_id: str | None = None, step: str | None = None
) -> Token[RunFields]:
    """Add the run's fields to the current context (an invocation's task) from here on."""
    fields = current()
    changes = {k: v for k, v in (("ticket_id", ticket_id), ("instance_id", instance_id),
                                 ("step", step)) if v}  # fmt: skip
    return _current.set(replace(fields, **changes))


@contextlib.contextmanager
def run_scope(
    name: str, ticket_id: str | None, instance_id: str | None, step: str | None
) -> Iterator[None]:
    """Bind the fields and open a span named ``name`` for the duration of the block."""
    token = bind(ticket_id, instance_id, step)
    tracer = trace.get_tracer(LOGGER_NAME, tracer_provider=tracer_provider)
    try:
        with tracer.start_as_current_span(name, attributes=current().attributes()):
            yield
    finally:
        _current.reset(token)


def run_ids(payload: Any) -> tuple[str | None, str | None]:
    """(ticketId, instanceId) named by an activity input, at its top level or one level down."""
    if not isinstance(payload, dict):
        return None, None
    candidates = [payload, *(v for v in payload.values() if isinstance(v, dict))]
    ticket = next((str(c["ticketId"]) for c in candidates if c.get("ticketId")), None)
    instance = next((str(c["instanceId"]) for c in candidates if c.get("instanceId")), None)
    return ticket, instance


class RunContextFilter(logging.Filter):
    """Copies the run's fields onto each record, without overwriting explicit extras."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in current().attributes().items():
            if getattr(record, key, None) in (None, ""):
                setattr(record, key, value)
        return True


class RunContextSpanProcessor(SpanProcessor):
    """An OpenTelemetry span processor: every span started in a run carries its fields."""

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        for key, value in current().attributes().items():
            span.set_attribute(key, value)


def add_run_filter(logger: logging.Logger) -> None:
    """Put the filter on every handler of ``logger`` (once): records of child loggers too."""
    for handler in logger.handlers:
        if not any(isinstance(f, RunContextFilter) for f in handler.filters):
            handler.addFilter(RunContextFilter())


_configured = False


def configure(env: Mapping[str, str] | None = None) -> bool:
    """Export the app's logs and spans to Application Insights; False when not configured."""
    global _configured
    env = os.environ if env is None else env
    connection = (env.get("APPLICATIONINSIGHTS_CONNECTION_STRING") or "").strip()
    if _configured or not connection:
        return _configured
    try:
        from azure.identity import ManagedIdentityCredential
        from azure.monitor.opentelemetry import configure_azure_monitor
    except ImportError:  # the distro is a deployed dependency; locally it may be absent
        log.warning("azure-monitor-opentelemetry is not installed; telemetry stays local")
        return False
    kwargs: dict[str, Any] = {}
    if "Authorization=AAD" in env.get("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", ""):
        kwargs["credential"] = ManagedIdentityCredential(client_id=env.get("AZURE_CLIENT_ID"))
    configure_azure_monitor(
        connection_string=connection,
        logger_name=LOGGER_NAME,
        span_processors=[RunContextSpanProcessor()],
        **kwargs,
    )
    add_run_filter(logging.getLogger(LOGGER_NAME))
    _configured = True
    return True
