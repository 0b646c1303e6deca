"""Sub-orchestration that waits out a gateway build on durable timers.

Polls ``get_gateway_state`` (counted from the build's start, so a restart after "keep waiting"
does not go back to dense polling) until the build ends or the deadline passes (then it reports
``stalled`` and the saga asks an operator). A poll that fails transiently is retried on timers;
one that cannot succeed ends the wait with the error.

The waiter runs on its run's version (docs/operations.md), and its yields differ by version:

* 1.0: the adaptive clamp of shared/retry.py; a failed poll retried inside ``run_with_retry``;
  continues as new every ``POLLS_PER_EXECUTION`` successful polls (so failing polls grew one
  execution's history without bound: 368 events with half the polls answered 429).
* 2.0: the schedule of shared/poll_schedule.py from the build durations recorded for the
  gateway's region and SKU (read once per execution chain by an activity after the first poll,
  carried across continue-as-new; recorded by an activity when the build succeeds); a failed
  poll is one more poll, retried on the step's retry budget; the execution continues as new
  when its history (shared/history_budget.py) would pass ``EXECUTION_BUDGET`` events, whatever
  the polls answered.
* 2.0 started with the push signal (``pushSignal`` in its input, from POLICY_GATEWAY_PUSH_SIGNAL at
  intake; shared/gateway_signal.py): first registers for its gateway's ARM write events (an
  activity), then each wait is the scheduled timer *or* the event, whichever comes first; the
  event only makes it poll now (the confirming GET), after which the schedule goes on. Each wait
  has its own event name (``gateway_write-<poll>``, in the custom status as ``signalEvent``),
  because the SDK hands an event that arrived while nothing waited to every later wait of that
  name. Without the field (every run started before, or with the setting off) the yields are
  exactly those above.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators.context import OrchestrationContext
from orchestrators.step_runner import as_step_error, budget_spent, run_with_retry
from shared import activity_table as acts
from shared import names
from shared.activity_table import POLICIES
from shared.apim_models import GatewayState, GatewayStateInput
from shared.build_history import BuildDurations, BuildKind, RecordBuildInput, RecordedDuration
from shared.gateway_signal import EVENT_GATEWAY_WRITE, WatchGatewayInput, Watching
from shared.history_budget import HistoryMeter
from shared.poll_schedule import next_poll_delay, record_of
from shared.retry import next_delay, next_poll_interval
from shared.saga_models import WaiterInput, WaiterResult
from shared.saga_plan import passed
from shared.step_errors import StepError

bp = df.Blueprint()

TERMINAL = {"succeeded", "failed", "canceled"}
POLLS_PER_EXECUTION = 20


SCHEDULED_VERSION = (2, 0)  # the first version that polls on recorded durations


def _version(text: str | None) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in (text or "1.0").split("."))
    except ValueError:
        return (1, 0)


def wait_for_gateway(context: OrchestrationContext) -> Generator[Any, Any, dict[str, Any] | None]:
    if _version(context.version) >= SCHEDULED_VERSION:
        return (yield from wait_on_schedule(context))
    return (yield from wait_v1(context))


def wait_v1(context: OrchestrationContext) -> Generator[Any, Any, dict[str, Any] | None]:
    """Version 1.0, unchanged: its yields are those of the runs recorded in tests/golden/v1.0."""
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


class WaiterState(WaiterInput):
    """The saga's WaiterInput plus what a 2.0 waiter carries across continue-as-new."""

    failures: int = 0  # consecutive failed polls (the retry budget counts these)
    failing_since: str | None = None
    kind: BuildKind | None = None  # the gateway's region and SKU, from the first poll
    records: list[RecordedDuration] | None = None  # None: not read yet
    last_pending_s: float | None = None  # elapsed time of the last poll that saw it building
    push_signal: bool = False  # the run started with POLICY_GATEWAY_PUSH_SIGNAL on
    watching: bool | None = None  # registered for the gateway's events (None: not tried yet)
    signals: int = 0  # waits the event ended before their timer


def wait_on_schedule(context: OrchestrationContext) -> Generator[Any, Any, dict[str, Any] | None]:
    """Version 2.0: recorded-duration schedule, bounded history under any failure rate."""
    st = WaiterState.model_validate(context.get_input())
    started = dt.datetime.fromisoformat(st.started_at)
    deadline = dt.datetime.fromisoformat(st.deadline_at)
    payload = GatewayStateInput(
        gateway_id=st.gateway_id, hostname_from_link=st.hostname_from_link
    ).model_dump(by_alias=True)
    meter = HistoryMeter()
    if st.push_signal and st.watching is None:
        st.watching = yield from _watch(context, st, meter)
    # A wait that may end on the event costs a second task's worth: the event, and the timer
    # that still fires (in an episode of its own) after the event won.
    per_wait = 2 if st.push_signal and st.watching else 1
    # Each turn is a poll and a wait; the records' read and the duration's record may follow
    # a poll, so a turn starts only with room for all of them.
    while meter.fits(1 + per_wait, reserve_tasks=2):
        now = context.current_utc_datetime
        meter.add()
        st.polls += 1
        if per_wait > 1:  # an event that comes during this poll is kept for the wait after it
            context.set_custom_status(_signal_status(st, deadline))
        try:
            raw = yield context.call_activity(acts.GET_GATEWAY_STATE.name, payload)
        except Exception as exc:  # TaskFailed: classified, retried on the budget, on timers
            given_up = yield from _retry_failed_poll(context, st, as_step_error(exc), meter)
            if given_up is not None:
                return given_up
            continue
        st.failures, st.failing_since = 0, None
        state = GatewayState.model_validate(raw)
        now = context.current_utc_datetime
        elapsed = (now - started).total_seconds()
        if st.kind is None and state.location and state.sku:
            st.kind = BuildKind(region=state.location, sku=state.sku)
        if state.provisioning_state.lower() in TERMINAL:
            if state.provisioning_state.lower() == "succeeded":
                yield from _record(context, st, elapsed, now, meter)
            return WaiterResult(
                state=state.provisioning_state, hostname=state.hostname,
                private_ip=state.private_ip, polls=st.polls,
            ).model_dump(by_alias=True)  # fmt: skip
        if st.records is None:
            st.records = yield from _read_records(context, st.kind, meter)
        if passed(now, deadline):
            return WaiterResult(
                state=state.provisioning_state, polls=st.polls, stalled=True
            ).model_dump(by_alias=True)
        st.last_pending_s = elapsed
        wait = next_poll_delay(elapsed, [r.record() for r in st.records])
        next_at = min(now + dt.timedelta(seconds=wait), deadline)
        status = {"step": "wait", "waitingFor": "gateway build", "until": deadline.isoformat(),
                  "gatewayState": state.provisioning_state, "nextPollAt": next_at.isoformat(),
                  "polls": st.polls}  # fmt: skip
        meter.add(per_wait)
        yield from _wait(context, st, next_at, status, signalled=per_wait > 1)
    context.continue_as_new(st.model_dump(by_alias=True, mode="json"))
    return None


def _retry_failed_poll(
    context: OrchestrationContext, st: WaiterState, error: StepError, meter: HistoryMeter
) -> Generator[Any, Any, dict[str, Any] | None]:
    """Waits out a failed poll's back-off on a timer, or gives up (the waiter's result) once the
    poll's retry budget is spent."""
    policy = POLICIES[acts.GET_GATEWAY_STATE.policy]
    now = context.current_utc_datetime  # the retry waits from the failure, not the call
    st.failures += 1
    st.failing_since = st.failing_since or now.isoformat()
    failing = (now - dt.datetime.fromisoformat(st.failing_since)).total_seconds()
    seed = f"{context.instance_id}:{acts.GET_GATEWAY_STATE.name}"
    delay = next_delay(policy, st.failures, error, seed, failing)
    if delay is None:
        detail = error.message
        if error.retryable:
            detail = f"{detail} ({budget_spent(policy, st.failures, failing)})"
        return WaiterResult(
            state="Unknown", polls=st.polls, error=f"{error.code}: {detail}"
        ).model_dump(by_alias=True)
    meter.add()
    yield context.create_timer(now + dt.timedelta(seconds=delay))
    return None


def _watch(
    context: OrchestrationContext, st: WaiterState, meter: HistoryMeter
) -> Generator[Any, Any, bool]:
    """Register this waiter for its gateway's write events; False: it polls without them."""
    inp = WatchGatewayInput(gateway_id=st.gateway_id, instance_id=context.instance_id,
                            since=context.current_utc_datetime.isoformat())  # fmt: skip
    meter.add()
    try:
        raw = yield context.call_activity(acts.WATCH_GATEWAY.name, inp.model_dump(by_alias=True))
    except Exception:  # best effort: the schedule finds the build's end without the signal
        return False
    return Watching.model_validate(raw).watching


def _wait(
    context: OrchestrationContext,
    st: WaiterState,
    next_at: dt.datetime,
    status: dict[str, Any],
    signalled: bool,
) -> Generator[Any, Any, None]:
    """Wait for the next poll's time, or (``signalled``) for the gateway's write event if it
    comes first; the caller polls next either way."""
    if not signalled:
        context.set_custom_status(status)
        yield context.create_timer(next_at)
        return
    signal = _signal_status(st)
    context.set_custom_status({**status, **signal})
    timer = context.create_timer(next_at)
    event = context.wait_for_external_event(signal["signalEvent"])
    winner = yield context.task_any([timer, event])
    if winner is not timer:
        timer.cancel()  # the confirming poll comes now; the schedule goes on from it
        st.signals += 1


def _signal_status(st: WaiterState, deadline: dt.datetime | None = None) -> dict[str, Any]:
    """The custom status naming the event the next wait listens for: one name per wait
    (``gateway_write-<poll>``, see the docstring). Published from the poll before that wait on,
    so an event raised while the poll runs is buffered for that wait, not lost."""
    status: dict[str, Any] = {"signalEvent": f"{EVENT_GATEWAY_WRITE}-{st.polls}",
                              "signals": st.signals, "polls": st.polls}  # fmt: skip
    if deadline is not None:  # between waits: what the dashboard shows while it polls
        status.update(step="wait", waitingFor="gateway build", until=deadline.isoformat())
    return status


def _read_records(
    context: OrchestrationContext, kind: BuildKind | None, meter: HistoryMeter
) -> Generator[Any, Any, list[RecordedDuration]]:
    """The recorded durations of builds like this one (none known: an empty list)."""
    if kind is None:
        return []
    meter.add()
    try:
        raw = yield context.call_activity(
            acts.READ_BUILD_DURATIONS.name, kind.model_dump(by_alias=True)
        )
    except Exception:  # statistics only: the adaptive clamp works without them
        return []
    return BuildDurations.model_validate(raw).records


def _record(
    context: OrchestrationContext,
    st: WaiterState,
    elapsed: float,
    now: dt.datetime,
    meter: HistoryMeter,
) -> Generator[Any, Any, None]:
    """Record this build's duration when the polls bracketed it closely enough to teach."""
    record = record_of(st.last_pending_s, elapsed)
    if st.kind is None or record is None:
        return
    inp = RecordBuildInput(region=st.kind.region, sku=st.kind.sku, seconds=record.seconds,
                           uncertainty=record.uncertainty, finished_at=now.isoformat(),
                           instance_id=context.instance_id.split(":")[0])  # fmt: skip
    meter.add()
    try:
        yield context.call_activity(acts.RECORD_BUILD_DURATION.name, inp.model_dump(by_alias=True))
    except Exception:  # best effort: the build is done whatever its statistics
        return


@bp.orchestration_trigger(context_name="context", orchestration=names.GATEWAY_WAITER)
def gateway_waiter(context: df.DurableOrchestrationContext) -> Any:
    return (yield from wait_for_gateway(context))
