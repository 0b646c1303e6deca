"""Text forms of runs for the terminal: one-line progress, a step table, problem details.

The words are the status model's (shared/status_model.py): a run's ``outcome`` first
(Durable's runtime status only in brackets), each step's status, and ``attempts`` always means
every try of the step's work (1 = no retry), ``retries`` the tries after the first.
"""

from __future__ import annotations

from typing import Any

from shared.arm_ids import ArmId


def outcome(run: dict[str, Any]) -> str:
    """The run's outcome; a view from before the status model has only runtimeStatus."""
    return str(run.get("outcome") or run.get("runtimeStatus") or "?")


def now_line(run: dict[str, Any]) -> str:
    """What an active run waits for: the operator's event with its deadline, or its work."""
    wait = run.get("waitingFor")
    if isinstance(wait, dict):
        deadline = f" before {_short(wait.get('deadline'))}" if wait.get("deadline") else ""
        return f"waits for {wait.get('what')} (event {wait.get('event')}{deadline})"
    if wait:
        return f"waits for {wait}"
    if run.get("doing"):
        until = f" (until {_short(run['until'])})" if run.get("until") else ""
        return f"{run['doing']}{until}"
    return ""


def progress_line(label: str, run: dict[str, Any] | None) -> str:
    """``label  Running  step wait (4 done) gateway build (until ...)`` in one line."""
    if not run:
        return f"{label:<34} submitting"
    if run.get("runtimeStatus") in ("Completed", "Failed", "Terminated", "Canceled"):
        return f"{label:<34} {outcome(run)}"
    step = run.get("currentStep") or "-"
    done = sum(1 for s in run.get("steps") or [] if s.get("status") == "succeeded")
    busy = next((s for s in run.get("steps") or [] if s.get("status") == "retrying"), None)
    extra = (
        f"retrying {busy['name']} (attempt {busy.get('attempts')} failed: {busy.get('lastError')})"
        if busy
        else now_line(run)
    )
    return f"{label:<34} {outcome(run):<17} step {step:<10} ({done} done) {extra}"[:140]


def step_table(run: dict[str, Any]) -> list[str]:
    """The run's steps: name, status, attempts, times, what it made or undid, the error."""
    lines = [f"{'step':<10} {'status':<10} {'attempts':>8}  {'started':<20} {'ended':<20}"]
    for step in run.get("steps") or []:
        lines.append(
            f"{step['name']:<10} {step['status']:<10} {step.get('attempts', 0):>8}  "
            f"{_short(step.get('started')):<20} {_short(step.get('ended')):<20}"
        )
        lines.extend(f"{'':<12}+ {_tail(r)}" for r in step.get("created") or [])
        lines.extend(f"{'':<12}- {_tail(r)}" for r in step.get("undone") or [])
        error = step.get("lastError") or step.get("error")
        if error:
            lines.append(f"{'':<12}! {error}")
        if step.get("nextRetry"):
            lines.append(f"{'':<12}> next attempt at {_short(step['nextRetry'])}")
    return lines


def describe_run(run: dict[str, Any]) -> list[str]:
    """The run's outcome (Durable's runtime status in brackets), then what it waits for."""
    head = f"{run['id']}: {outcome(run)}"
    if run.get("runtimeStatus"):
        head += f" (runtime status {run['runtimeStatus']})"
    lines = [head]
    facts = [f"{name} {run[key]}" for name, key in (("ticket", "ticketId"), ("team", "team"),
             ("workspace", "workspace"), ("hostname", "hostname")) if run.get(key)]  # fmt: skip
    if facts:
        lines.append(", ".join(facts))
    if now_line(run):
        lines.append(now_line(run))
    wait = run.get("waitingFor")
    if isinstance(wait, dict) and wait.get("action"):
        lines.append(f"to answer: {wait['action']}")
    if run.get("error") and run.get("outcome") != "Succeeded":
        lines.append(f"error: {run['error']}")
    if run.get("leftovers"):
        lines.append(f"left behind: {', '.join(run['leftovers'])}")
    lines.append(
        f"created {_short(run.get('createdTime'))}, updated {_short(run.get('lastUpdatedTime'))}"
    )
    return [*lines, *step_table(run)]


def describe_problem(body: Any) -> list[str]:
    """An RFC 9457 problem (our API's error form) as lines a person can act on."""
    if not isinstance(body, dict):
        return [str(body)]
    lines = [f"{body.get('title', 'error')} ({body.get('status', '?')})"]
    if body.get("detail"):
        lines.append(str(body["detail"]))
    for error in body.get("errors") or []:
        lines.append(f"  {error.get('field')}: {error.get('message')}")
    for violation in body.get("violations") or []:
        lines.append(
            f"  [{violation.get('rule')}] {violation.get('field')}: {violation.get('message')}"
        )
    return lines


def _short(stamp: Any) -> str:
    return str(stamp)[:19].replace("T", " ") if stamp else ""


def _tail(resource_id: str) -> str:
    """The provider part of an ARM id (``Microsoft.Network/...``), enough to recognise it."""
    try:
        rid = ArmId.parse(resource_id)
    except ValueError:
        return resource_id
    if rid.provider is None:
        return resource_id
    chain = "".join(f"/{t}/{n}" for t, n in zip(rid.types, rid.names, strict=True))
    return f"{rid.provider}{chain}"
