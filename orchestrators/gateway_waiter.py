"""Sub-orchestration that waits out a gateway build on durable timers.

Polls ``get_gateway_state`` on the schedule of shared/retry.py (counted from the build's
start, so a restart after "keep waiting" does not go back to dense polling) until the build
ends or the deadline passes (then it reports ``stalled`` and the saga asks an operator). A poll
that fails transiently is retried on timers; one that cannot succeed ends the wait with the
error. Every ``POLLS_PER_EXECUTION`` polls it continues as new, so its history stays bounded
however long the build takes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators.context import OrchestrationContext
from orchestrators.step_runner import run_with_retry
from shared import activity_table as acts
from shared import names
from shared.activity_table import POLICIES
from shared.apim_models import GatewayState, GatewayStateInput
from shared.retry import next_poll_interval
from shared.saga_models import WaiterInput, WaiterResult
from shared.saga_plan import passed

bp = df.Blueprint()

TERMINAL = {"succeeded", "failed", "canceled"}
POLLS_PER_EXECUTION = 20


def wait_for_gateway(context: OrchestrationContext) -> Generator[Any, Any, dict[str, Any] | None]:
    inp = WaiterInput.model_validate(context.get_input())
    started = dt.datetime.fromisoformat(inp.started_at)
    deadline = dt.datetime.fromisoformat(inp.deadline_at)
    payload = GatewayStateInput(gateway_id=inp.gateway_id).model_dump(by_alias=True)
    polls = inp.polls
    for _ in range(POLLS_PER_EXECUTION):
        read = yield from run_with_retry(
            context, acts.GET_GATEWAY_STATE.name, payload, POLICIES[acts.GET_GATEWAY_STATE.policy]
        )
        polls += 1
        if not read.ok:
            error = read.error or {}
            return WaiterResult(
                state="Unknown", polls=polls,
                error=f"{error.get('code', 'Error')}: {error.get('message', '')}",
            ).model_dump(by_alias=True)  # fmt: skip
        state = GatewayState.model_validate(read.result)
        if state.provisioning_state.lower() in TERMINAL:
            return WaiterResult(
                state=state.provisioning_state, hostname=state.hostname,
                private_ip=state.private_ip, polls=polls,
            ).model_dump(by_alias=True)  # fmt: skip
        now = context.current_utc_datetime
        if passed(now, deadline):
            return WaiterResult(
                state=state.provisioning_state, polls=polls, stalled=True
            ).model_dump(by_alias=True)
        wait = next_poll_interval((now - started).total_seconds())
        next_at = min(now + dt.timedelta(seconds=wait), deadline)
        context.set_custom_status(
            {"step": "wait", "waitingFor": "gateway build", "until": deadline.isoformat(),
             "gatewayState": state.provisioning_state, "nextPollAt": next_at.isoformat(),
             "polls": polls}
        )  # fmt: skip
        yield context.create_timer(next_at)
    context.continue_as_new(inp.model_copy(update={"polls": polls}).model_dump(by_alias=True))
    return None


@bp.orchestration_trigger(context_name="context", orchestration=names.GATEWAY_WAITER)
def gateway_waiter(context: df.DurableOrchestrationContext) -> Any:
    return (yield from wait_for_gateway(context))
