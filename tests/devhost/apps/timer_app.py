"""A Functions app with one timer function, for devhost's timerTrigger kind (tests)."""

from __future__ import annotations

import azure.functions as func

app = func.FunctionApp()
FIRED: list[bool] = []  # past_due of every invocation, in order


@app.timer_trigger(schedule="%TIMER_APP_SCHEDULE%", arg_name="timer", run_on_startup=False)
def every_five_minutes(timer: func.TimerRequest) -> None:
    FIRED.append(timer.past_due)
