"""What a request for a ticket that already has a run does (issue 14, item 5; pure).

A ticket's runs are its first run (``instance_id_for(ticket)``) and its attempts
``<first>-r<N>``. The latest of them decides:

* the latest run still going (Running, WaitingOnOperator, Compensating): that run
  (``running``), whatever the request;
* the same request as the latest run's: that run (``identical``);
* a changed request after Failed or Compensated (nothing of that run is left): a new attempt
  ``<first>-r<N>`` (``newAttempt``);
* a changed request after Succeeded: refused, 409 ``ticket-already-onboarded``;
* a changed request after CompensationFailed or Terminated (its resources may remain):
  refused, 409 ``run-state-conflict`` (an operator compensates or cleans up first).

Attempt ids stay injective: a ticket's first run id never ends in ``-r<N>`` (shared/request.py
instance_id_for hashes a ticket that would), and no other ticket's id starts with
``<first>-r``; a new attempt takes the first free N from 2 (operator retries, which take the
first free N from 1, share the series: both are attempts of the ticket).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

Decision = Literal["start", "running", "identical", "newAttempt", "refusedSucceeded",
                   "refusedState"]  # fmt: skip
ACTIVE = ("Running", "WaitingOnOperator", "Compensating")
RETRYABLE = ("Failed", "Compensated")
FIRST_NEW_ATTEMPT = 2
MAX_ATTEMPT = 99
_ATTEMPT = re.compile(r"-r([0-9]+)\Z")


def decide(outcome: str | None, same_request: bool) -> Decision:
    """The decision for a request whose ticket's latest run has ``outcome`` (None: no run)."""
    if outcome is None:
        return "start"
    if outcome in ACTIVE:
        return "running"
    if same_request:
        return "identical"
    if outcome in RETRYABLE:
        return "newAttempt"
    if outcome == "Succeeded":
        return "refusedSucceeded"
    return "refusedState"


def attempt_ids(first: str, limit: int = MAX_ATTEMPT) -> list[str]:
    """The ids a ticket's attempts may have, in order: ``<first>-r1`` .. ``<first>-r<limit>``."""
    return [f"{first}-r{n}" for n in range(1, limit + 1)]


def attempt_number(first: str, run_id: str) -> int | None:
    """N when ``run_id`` is ``<first>-r<N>``, 0 for ``first`` itself, else None."""
    if run_id == first:
        return 0
    if not run_id.startswith(first + "-r"):
        return None
    found = _ATTEMPT.search(run_id)
    number = int(found.group(1)) if found else None
    return number if number is not None and run_id == f"{first}-r{number}" else None


def next_attempt(first: str, taken: Iterable[str]) -> str | None:
    """The first free ``<first>-r<N>`` from N = 2; None when all are taken."""
    used = set(taken)
    for n in range(FIRST_NEW_ATTEMPT, MAX_ATTEMPT + 1):
        candidate = f"{first}-r{n}"
        if candidate not in used:
            return candidate
    return None


def changed_fields(old: Any, new: Any, path: str = "") -> list[str]:
    """The paths (``gateway.capacity``, ``access``) where two requests' JSON forms differ."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            out += changed_fields(old.get(key), new.get(key), f"{path}.{key}" if path else key)
        return out
    return [] if old == new else [path or "$"]


def normalised(request: Mapping[str, Any]) -> dict[str, Any]:
    """A request's JSON form with its defaults written out, so two spellings compare equal."""
    from shared.request import OnboardingRequest

    data = {k: v for k, v in request.items() if k != "kind" or v != "onboard"}
    return OnboardingRequest.model_validate(data).model_dump(by_alias=True, mode="json")
