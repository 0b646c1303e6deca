"""Text forms of runs for the terminal: one-line progress, a step table, problem details."""

from __future__ import annotations

from typing import Any

from shared.arm_ids import ArmId

MARKS = {
    "succeeded": "ok",
    "failed": "FAILED",
    "running": "..",
    "stalled": "STALLED",
    "skipped": "-",
    "undone": "undone",
    "undo-failed": "UNDO FAILED",
    "pending": "",
}


def progress_line(label: str, run: dict[str, Any] | None) -> str:
    """``label  Running  wait: gateway build (until ...)`` in one line."""
    if not run:
        return f"{label:<34} submitting"
    status = run.get("runtimeStatus") or "?"
    output = run.get("output") or {}
    if status == "Completed" and output.get("outcome"):
        return f"{label:<34} {output['outcome']}"
    step = run.get("currentStep") or "-"
    waiting = run.get("waitingFor") or ""
    done = sum(1 for s in run.get("steps") or [] if s.get("status") == "succeeded")
    return f"{label:<34} {status:<10} step {step:<10} ({done} done) {waiting}"[:118]


def step_table(run: dict[str, Any]) -> list[str]:
    """The run's steps: name, status, attempts, times, what it made or undid, the error."""
    lines = [f"{'step':<10} {'status':<12} {'tries':>5}  {'started':<20} {'ended':<20}"]
    for step in run.get("steps") or []:
        lines.append(
            f"{step['name']:<10} {MARKS.get(step['status'], step['status']):<12} "
            f"{step.get('attempts', 0):>5}  {_short(step.get('started')):<20} "
            f"{_short(step.get('ended')):<20}"
        )
        lines.extend(f"{'':<12}+ {_tail(r)}" for r in step.get("created") or [])
        lines.extend(f"{'':<12}- {_tail(r)}" for r in step.get("undone") or [])
        if step.get("error"):
            lines.append(f"{'':<12}! {step['error']}")
    return lines


def describe_run(run: dict[str, Any]) -> list[str]:
    output = run.get("output") or {}
    head = f"{run['id']}: {run.get('runtimeStatus')}"
    if output.get("outcome"):
        head += f", outcome {output['outcome']}"
    elif run.get("waitingFor"):
        head += f", waiting for {run['waitingFor']}"
        if run.get("until"):
            head += f" until {run['until']}"
    times = (
        f"created {_short(run.get('createdTime'))}, updated {_short(run.get('lastUpdatedTime'))}"
    )
    return [head, times, *step_table(run)]


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
