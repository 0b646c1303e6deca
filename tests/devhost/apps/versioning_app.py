"""A sample app for orchestration versioning: every orchestrator reports ``context.version``.

The tests give it its own host.json (``defaultVersion``, ``versionMatchStrategy``,
``versionFailureStrategy``) in a temporary app directory, one per host start.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.orchestration_trigger(context_name="context")
def report_version(context: df.DurableOrchestrationContext):
    """Returns the instance's version; with ``{"wait": true}`` only after the event ``go``."""
    request = context.get_input() or {}
    if request.get("wait"):
        yield context.wait_for_external_event("go")
    return context.version


@app.orchestration_trigger(context_name="context")
def parent_of_versions(context: df.DurableOrchestrationContext):
    """Two children: one without a version, one with the version given as input."""
    base = context.instance_id
    inherited = yield context.call_sub_orchestrator("report_version", None, f"{base}-default")
    explicit = yield context.call_sub_orchestrator(
        "report_version", None, f"{base}-explicit", version=context.get_input()
    )
    return {"parent": context.version, "inherited": inherited, "explicit": explicit}


@app.orchestration_trigger(context_name="context")
def parent_catches(context: df.DurableOrchestrationContext):
    """Calls a child of the version given as input and returns its failure, if any."""
    try:
        yield context.call_sub_orchestrator(
            "report_version", None, f"{context.instance_id}-child", version=context.get_input()
        )
    except Exception as exc:
        return str(exc).splitlines()[0]
    return "the child ran"


@app.orchestration_trigger(context_name="context")
def renews(context: df.DurableOrchestrationContext):
    """continue_as_new twice, collecting the version every execution sees."""
    state: dict[str, Any] = context.get_input() or {"seen": []}
    seen = [*state["seen"], context.version]
    if len(seen) >= 3:
        return seen
    yield context.create_timer(context.current_utc_datetime + timedelta(minutes=1))
    context.continue_as_new({"seen": seen})
    return None
