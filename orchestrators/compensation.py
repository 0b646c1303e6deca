"""A compensation run: the undo entries a CompensationFailed run left, run again (issue 18).

The operator API's ``compensate`` action starts it (``<root>-c<N>``) with the finished run's
``leftoverUndo`` (its output): each entry is the undo activity and the recorded output it
undoes, already in compensation order. Each runs with the undo retry policy, as in the saga's
own compensation; undo is idempotent (404 is done), so an entry that partly succeeded before is
safe to run again. The output has the saga's shape: ``Compensated`` when every entry is done,
else ``CompensationFailed`` with the entries still left, which the same action retries again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators.context import OrchestrationContext
from orchestrators.step_runner import run_with_retry
from shared import names
from shared.activity_table import ACTIVITIES, POLICIES
from shared.custom_status import bounded
from shared.run_log import milestone
from shared.saga_models import CompensationInput, Outcome, SagaResult, StatusEvent, UndoEntry

bp = df.Blueprint()


def retry_compensation_body(context: OrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    inp = CompensationInput.model_validate(context.get_input())
    milestone(context, inp.ticket_id, "compensating", of=inp.compensation_of)
    undone: list[str] = []
    left: list[UndoEntry] = []
    for entry in inp.entries:
        undo = ACTIVITIES.get(entry.activity)
        if undo is None or undo.policy != "undo":  # only undo activities, never a forward one
            left.append(entry)
            continue
        waiting = f"undo {undo.name} of {entry.label}"
        context.set_custom_status(bounded({"step": "compensate", "waitingFor": waiting}))
        result = yield from run_with_retry(context, undo.name, entry.payload, POLICIES[undo.policy])
        if result.ok:
            undone.append(entry.label)
        else:
            left.append(entry)
    outcome: Outcome = "CompensationFailed" if left else "Compensated"
    context.set_custom_status(bounded({"step": "done", "waitingFor": f"nothing ({outcome})"}))
    milestone(context, inp.ticket_id, "onboarding ended", outcome=outcome, undone=len(undone))
    # About the ticket's run: the ticketing system and the run index (whose row of the root
    # run this merges: its outcome becomes Compensated) learn how its compensation ended.
    event = StatusEvent(
        kind="compensationFailed" if left else "compensated", ticket_id=inp.ticket_id,
        instance_id=inp.compensation_of, at=context.current_utc_datetime.isoformat(),
        leftovers=[e.label for e in left], outcome=outcome,
    )  # fmt: skip
    with contextlib.suppress(Exception):  # notifications are best effort by design
        yield context.call_activity(ACTIVITIES["publish_event"].name, event.payload())
    return SagaResult(
        outcome=outcome, instance_id=context.instance_id, ticket_id=inp.ticket_id, steps=[],
        created=[], leftovers=[e.label for e in left], leftover_undo=left,
        compensation_of=inp.compensation_of,
        error=None if not left else f"{len(left)} undo(s) still failing; see steps of "
        f"{inp.compensation_of} and retry compensate",
    ).model_dump(by_alias=True)  # fmt: skip


@bp.orchestration_trigger(context_name="context", orchestration=names.RETRY_COMPENSATION)
def retry_compensation(context: df.DurableOrchestrationContext) -> Any:
    return (yield from retry_compensation_body(context))
