"""Scripted faults: rules that make matching ARM calls fail before they reach a backend.

A rule matches on method and path (a glob such as ``*/subnets/*``, or a regex when it starts
with ``^``; both case-insensitive, query string excluded). Deterministic rules answer the
next ``count`` matching calls; probability rules (for soak tests) fail each matching call
with the given probability from their own seeded random generator, so a run is repeatable.
A rule with ``reset: true`` answers nothing: the server closes the connection, which the SDK
sees as a transport failure (``ServiceResponseError``), like a reset or a dropped load balancer
connection in Azure.
"""

from __future__ import annotations

import fnmatch
import random
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from simulator import errors
from simulator.errors import ArmError

_RULE_FIELDS = {
    "method",
    "path",
    "status",
    "code",
    "message",
    "retryAfter",
    "count",
    "probability",
    "seed",
    "reset",
}


class ConnectionDropped(Exception):
    """A fault that answers nothing: the server closes the connection (a transport failure)."""


@dataclass
class FaultRule:
    """One fault rule; see the module docstring."""

    rule_id: str
    method: str
    path: str
    status: int
    code: str
    message: str
    retry_after: int | None
    count: int | None
    probability: float | None
    rng: random.Random = field(repr=False)
    reset: bool = False
    hits: int = 0
    _regex: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.path.startswith("^"):
            self._regex = re.compile(self.path, re.IGNORECASE)
        else:
            self._regex = re.compile(fnmatch.translate(self.path), re.IGNORECASE)

    @property
    def spent(self) -> bool:
        return self.count is not None and self.count <= 0

    def matches(self, method: str, path: str) -> bool:
        if self.spent:
            return False
        if self.method != "*" and self.method != method.upper():
            return False
        return bool(self._regex.match(path))

    def fires(self) -> bool:
        if self.probability is not None:
            return self.rng.random() < self.probability
        return True

    def to_error(self) -> ArmError | ConnectionDropped:
        if self.reset:
            return ConnectionDropped(f"connection dropped by fault rule {self.rule_id}")
        headers = {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}
        return ArmError(self.status, self.code, self.message, headers=headers)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.rule_id,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "retryAfter": self.retry_after,
            "count": self.count,
            "probability": self.probability,
            "reset": self.reset,
            "hits": self.hits,
        }


def parse_rule(data: Any) -> FaultRule:
    """Validate one rule's JSON; every problem is named."""
    if not isinstance(data, dict):
        raise errors.bad_request("InvalidFaultRule", "A fault rule must be a JSON object.")
    unknown = sorted(set(data) - _RULE_FIELDS)
    if unknown:
        raise errors.bad_request(
            "InvalidFaultRule",
            f"Unknown fault rule field(s) {unknown}; known: {sorted(_RULE_FIELDS)}.",
        )
    problems = []
    method = str(data.get("method", "*")).upper()
    path = data.get("path")
    if not isinstance(path, str) or not path:
        problems.append("'path' (a glob or ^regex over the ARM path) is required")
    status = data.get("status", 500)
    if not isinstance(status, int) or not 400 <= status <= 599:
        problems.append("'status' must be an HTTP error status 400..599")
    count = data.get("count")
    probability = data.get("probability")
    if count is not None and (not isinstance(count, int) or count < 1):
        problems.append("'count' must be an integer >= 1")
    if probability is not None and (
        not isinstance(probability, int | float) or not 0 < probability <= 1
    ):
        problems.append("'probability' must be a number in (0, 1]")
    if count is not None and probability is not None:
        problems.append("give either 'count' or 'probability', not both")
    retry_after = data.get("retryAfter")
    if retry_after is not None and (not isinstance(retry_after, int) or retry_after < 0):
        problems.append("'retryAfter' must be an integer number of seconds >= 0")
    reset = data.get("reset", False)
    if not isinstance(reset, bool):
        problems.append("'reset' must be true (drop the connection, answer nothing) or false")
    if isinstance(path, str) and path.startswith("^"):
        try:
            re.compile(path)
        except re.error as exc:
            problems.append(f"'path' is not a valid regex: {exc}")
    if problems:
        raise errors.bad_request("InvalidFaultRule", "; ".join(problems) + ".")
    rule_id = uuid.uuid4().hex[:12]
    return FaultRule(
        rule_id=rule_id,
        method=method,
        path=str(path),
        status=int(status),
        code=str(data.get("code", "InternalServerError")),
        message=str(data.get("message", f"Fault injected by the simulator (rule {rule_id}).")),
        retry_after=retry_after,
        count=count if count is not None or probability is not None else 1,
        probability=float(probability) if probability is not None else None,
        rng=random.Random(data.get("seed", 0)),  # noqa: S311 - repeatable soak faults, not crypto
        reset=reset,
    )


class FaultBook:
    """The active fault rules, checked in the order they were added."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def add(self, data: Any) -> list[FaultRule]:
        items = data.get("rules") if isinstance(data, dict) and "rules" in data else [data]
        if not isinstance(items, list) or not items:
            raise errors.bad_request("InvalidFaultRule", "'rules' must be a non-empty list.")
        rules = [parse_rule(item) for item in items]
        self.rules.extend(rules)
        return rules

    def check(self, method: str, path: str) -> ArmError | ConnectionDropped | None:
        for rule in self.rules:
            if rule.matches(method, path) and rule.fires():
                rule.hits += 1
                if rule.count is not None:
                    rule.count -= 1
                return rule.to_error()
        return None

    def remove(self, rule_id: str) -> bool:
        before = len(self.rules)
        self.rules = [r for r in self.rules if r.rule_id != rule_id]
        return len(self.rules) != before

    def clear(self) -> None:
        self.rules.clear()

    def to_json(self) -> list[dict[str, Any]]:
        return [r.to_json() for r in self.rules]
