"""``onboard submit --dry-run``: the dry run's answer as a plan a person reads (issue 14, item 6).

The findings (each checked, with ✓ or ✗), every change per resource (create, modify with
before -> after, reuse, skip), the grants with what was checked about each principal, and, when
the ticket already has a run, what a real request would do. ``--json`` prints the answer as it
came.
"""

from __future__ import annotations

from typing import Any


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return "none" if value in (None, "") else str(value)


def describe_dry_run(body: dict[str, Any]) -> list[str]:
    passed = body.get("passed")
    verdict = "preflight passed" if passed else "preflight FAILED: a run would not start"
    lines = [f"dry run of {body.get('instanceId')}: {verdict}"]
    existing = body.get("existingRun")
    if isinstance(existing, dict):
        lines.append(f"note: {existing.get('detail')} (would be: {existing.get('resubmission')})")
    lines.append("findings:")
    for f in body.get("findings") or []:
        lines.append(f"  {'✓' if f.get('ok') else '✗'} {f.get('check')}: {f.get('detail')}")
    lines.append("changes" + ("" if passed else " (once the findings pass)") + ":")
    for c in body.get("changes") or []:
        lines.append(f"  {c.get('action'):<6} {c.get('resource'):<9} {c.get('id') or ''}".rstrip())
        before, after = c.get("before") or {}, c.get("after") or {}
        if c.get("action") == "modify":
            for key in dict.fromkeys([*before, *after]):
                lines.append(f"           {key}: {_value(before.get(key))} -> "
                             f"{_value(after.get(key))}")  # fmt: skip
        lines.append(f"           {c.get('detail')}")
    grants = body.get("grants") or []
    lines.append("grants:" if grants else "grants: none")
    for g in grants:
        lines.append(f"  {g.get('action'):<6} {g.get('role')} at {g.get('scope')} scope for "
                     f"{g.get('principalType')} {g.get('principalId')}")  # fmt: skip
        lines.append(f"           principal: {g.get('principalCheck')}")
    return lines
