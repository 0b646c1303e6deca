"""Baseline app for the bench: the documented Durable "monitor" pattern on the real activity.

A fixed-interval timer loop around ``get_gateway_state`` (Durable Functions docs, "Monitor
pattern": one minute there; ``intervalSeconds`` tunes it), hosted by devhost next to our app so
both are measured the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from activities.functions import bp as activities
from shared import activity_table as acts

MONITOR = "monitor_gateway_fixed_interval"
INTERVAL = dt.timedelta(minutes=1)

app = df.DFApp()
app.register_functions(activities)


@app.orchestration_trigger(context_name="context", orchestration=MONITOR)
def monitor_gateway(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    inp = context.get_input()
    gateway_id = inp["gatewayId"]
    interval = dt.timedelta(seconds=float(inp.get("intervalSeconds") or INTERVAL.total_seconds()))
    polls = 0
    while True:
        state = yield context.call_activity(acts.GET_GATEWAY_STATE.name, {"gatewayId": gateway_id})
        polls += 1
        if str(state["provisioningState"]).lower() in {"succeeded", "failed", "canceled"}:
            return {"polls": polls, "noticedAt": context.current_utc_datetime.isoformat()}
        yield context.create_timer(context.current_utc_datetime + interval)
