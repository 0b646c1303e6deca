"""Run ids in routes that cannot be run ids (issue 19 item 4): ``?``, ``#``, ``/``, ``%``, control
characters, over-long ids. Every route that takes an id answers 400 or 404 with problem details;
none answers 5xx, none reaches the Durable API with such an id."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.devhost.conftest import http
from tests.e2e.conftest import OPERATOR, REQUESTER, Stack

pytestmark = pytest.mark.timeout(120)

# The SDK puts the id into its management URL unencoded: "?" and "#" (alone or leading), "." and
# ".." turned status reads into the instance list or another path, and the app answered 500.
HOSTILE = ["?", "#", "?x", "#x", ".", "..", "%2e%2e", "?showInput=true", "a?b", "a#b",
           "onboard-x?showHistory=true", "onboard-x#frag", "a%3Fb", "a\\b", "a\nb", "a\x00b",
           "a b", "x" * 300, "onboard-\u202echg"]  # fmt: skip
READS = ["", "/timeline", "/history"]
ACTIONS = ["/terminate", "/approve", "/events/approval", "/retry", "/compensate", "/purge"]


def _url(stack: Stack, run_id: str, tail: str) -> str:
    return f"{stack.api}/onboardings/{quote(run_id, safe='')}{tail}"


def test_ids_that_cannot_be_run_ids_answer_4xx_problem_details_on_every_route(stack: Stack) -> None:
    answers = {}
    for run_id in HOSTILE:
        for tail in READS:
            reply = http("GET", _url(stack, run_id, tail), None, REQUESTER)
            answers[(run_id, tail)] = reply.status
            assert reply.status in (400, 404), (run_id, tail, reply.status, reply.body)
            assert reply.headers.get("Content-Type", "").startswith("application/problem+json")
        for tail in ACTIONS:
            reply = http("POST", _url(stack, run_id, tail), {"reason": "x", "approved": True},
                         OPERATOR)  # fmt: skip
            assert reply.status in (400, 404), (run_id, tail, reply.status, reply.body)
            assert reply.headers.get("Content-Type", "").startswith("application/problem+json")
    assert stack.instances() == []


def test_an_id_with_a_slash_matches_no_route(stack: Stack) -> None:
    # "a/b" (sent as a%2Fb, decoded by the host) is two path segments: no function's route
    # matches, so the host itself answers 404, as the Functions host does; no function runs.
    reply = http("GET", _url(stack, "a/b", ""), None, REQUESTER)
    assert reply.status == 404


def test_an_event_name_with_a_query_or_fragment_is_refused(stack: Stack) -> None:
    for name in ("approval?x=1", "approval#x", "approval/x", "appr\x00oval"):
        url = f"{stack.api}/onboardings/onboard-chg-1/events/{quote(name, safe='')}"
        reply = http("POST", url, {"approved": True}, OPERATOR)
        assert reply.status in (400, 404), (name, reply.status, reply.body)
