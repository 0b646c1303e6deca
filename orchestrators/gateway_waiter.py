"""Sub-orchestration that waits out a gateway build on durable timers.

Polls ``get_gateway_state`` on the schedule of shared/retry.py until the build ends or the
deadline passes (then reports ``stalled`` and lets the saga ask an operator). Every
``POLLS_PER_EXECUTION`` polls it continues as new, so its history stays bounded however long
the build takes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from shared import names
from shared.retry import next_poll_interval
from shared.saga_models import WaiterInput, WaiterResult

bp = df.Blueprint()

TERMINAL = {"succeeded", "failed", "canceled"}
POLLS_PER_EXECUTION = 20


def _parse(when: str) -> dt.datetime:
    return dt.datetime.fromisoformat(when)


def wait_for_gateway(context: Any) -> Generator[Any, Any, dict[str, Any] | None]:
    inp = WaiterInput.model_validate(context.get_input())
    started, deadline = _parse(inp.started_at), _parse(inp.deadline_at)
    polls = inp.polls
    for _ in range(POLLS_PER_EXECUTION):
        state = yield context.call_activity(names.GET_GATEWAY_STATE, {"gatewayId": inp.gateway_id})
        polls += 1
        now = context.current_utc_datetime
        provisioning = str(state.get("provisioningState", ""))
        if provisioning.lower() in TERMINAL:
            return WaiterResult(
                state=provisioning,
                hostname=state.get("hostname"),
                private_ip=state.get("privateIp"),
                polls=polls,
            ).model_dump(by_alias=True)
        if now >= deadline:
            return WaiterResult(state=provisioning, polls=polls, stalled=True).model_dump(
                by_alias=True
            )
        wait = next_poll_interval((now - started).total_seconds())
        next_at = min(now + dt.timedelta(seconds=wait), deadline)
        context.set_custom_status(
            {"step": "wait", "waitingFor": "gateway build", "until": deadline.isoformat(),
             "gatewayState": provisioning, "nextPollAt": next_at.isoformat(), "polls": polls}
        )  # fmt: skip
        yield context.create_timer(next_at)
    context.continue_as_new(inp.model_copy(update={"polls": polls}).model_dump(by_alias=True))
    return None


@bp.orchestration_trigger(context_name="context", orchestration=names.GATEWAY_WAITER)
def gateway_waiter(context: df.DurableOrchestrationContext) -> Any:
    return (yield from wait_for_gateway(context))
