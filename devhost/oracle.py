"""Cross-check: the ids devhost derived against the SDK's own task bookkeeping.

When enabled, each episode's context is replayed a second time through the SDK's private
``TaskOrchestrationExecutor`` and the integer keys left in ``context.open_tasks`` (the tasks the
SDK waits for) are compared with the ids devhost considers open. A difference means devhost
would deliver a completion under an id the SDK does not expect. Test-only: it runs the user's
generator twice per episode.
"""

from __future__ import annotations

import warnings
from typing import Any

from devhost.app_index import FunctionEntry


def sdk_open_task_ids(entry: FunctionEntry, context: str) -> set[int] | None:
    """Integer ids of the tasks the SDK still waits for, or None if not determinable."""
    from azure.durable_functions.models.DurableOrchestrationContext import (
        DurableOrchestrationContext,
    )
    from azure.durable_functions.models.TaskOrchestrationExecutor import (
        TaskOrchestrationExecutor,
    )

    generator_fn: Any = getattr(entry.fn, "orchestrator_function", None)
    if generator_fn is None:
        return None
    ctx = DurableOrchestrationContext.from_json(context)
    executor = TaskOrchestrationExecutor()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            executor.execute(ctx, ctx.histories, generator_fn)
        except Exception:
            return None
    if executor.has_execution_completed:
        return None
    return {key for key in ctx.open_tasks if isinstance(key, int)}
