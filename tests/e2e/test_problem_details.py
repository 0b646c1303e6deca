"""Problem details everywhere (issue 14 item 3), over the running app: unknown routes, wrong
methods, unknown runs and refused requests all answer ``application/problem+json`` with a
documented ``type`` whose URI resolves to its page. Before, the host answered 404 and 405 with
an empty body and every ``type`` was one URL that did not exist."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

import pytest

from shared.problem_types import BY_SLUG
from tests.devhost.conftest import Reply, http
from tests.e2e.conftest import OPERATOR, REQUESTER, Stack, principal

pytestmark = pytest.mark.timeout(120)


def _kind(stack: Stack, url: str, reply: Reply) -> str:
    """The reply's problem kind, after checking it is problem details whose type resolves."""
    assert reply.headers.get("Content-Type", "").startswith("application/problem+json"), reply
    body: dict[str, Any] = reply.body
    assert {"type", "title", "status", "detail"} <= set(body), body
    assert body["status"] == reply.status
    page = http("GET", urljoin(url, body["type"]), None, {})
    assert page.status == 200, (body["type"], page.status)
    slug = body["type"].rsplit("/", 1)[1]
    assert slug in BY_SLUG and BY_SLUG[slug].title in str(page.body)
    return slug


def test_unknown_routes_and_methods_answer_problem_details(stack: Stack) -> None:
    cases = [
        ("GET", "/nothing/here", 404, "route-not-found"),
        ("GET", "/onboardings/a/b/c/d", 404, "route-not-found"),
        ("DELETE", "/onboardings", 405, "method-not-allowed"),
        ("PUT", "/onboardings/onboard-x", 405, "method-not-allowed"),
        ("GET", "/onboardings/onboard-x/retry", 405, "method-not-allowed"),
        ("GET", "/dashboard/other.js", 404, "route-not-found"),
        ("GET", "/problems/no-such-kind", 404, "route-not-found"),
    ]
    for method, path, status, kind in cases:
        url = stack.api + path
        reply = http(method, url, None, OPERATOR)
        assert reply.status == status, (method, path, reply.status, reply.body)
        assert _kind(stack, url, reply) == kind, (method, path)
    reply = http("DELETE", stack.api + "/onboardings", None, OPERATOR)
    assert reply.headers.get("Allow") == "GET, POST"
    assert reply.body["allow"] == ["GET", "POST"]


def test_each_refusal_names_its_documented_kind(stack: Stack, sample: Any) -> None:
    api = stack.api
    cases = [
        (http("GET", f"{api}/onboardings/onboard-nobody", None, REQUESTER), "run-not-found"),
        (http("POST", f"{api}/onboardings", {"ticketId": "x"}, REQUESTER), "invalid-request"),
        (http("POST", f"{api}/onboardings?dryRun=maybe", {}, REQUESTER), "invalid-parameter"),
        (http("GET", f"{api}/onboardings/onboard-x", None, {}), "unauthenticated"),
        (http("POST", f"{api}/onboardings", sample("injection"),
              principal("Onboarding.Reader")), "missing-role"),
        (http("POST", f"{api}/onboardings/onboard-nobody/retry", None, OPERATOR),
         "run-not-found"),
        (http("GET", f"{api}/onboardings/a%20b", None, REQUESTER), "invalid-parameter"),
    ]  # fmt: skip
    for reply, kind in cases:
        assert _kind(stack, f"{api}/onboardings", reply) == kind, reply.body


def test_the_problem_pages_list_every_kind(stack: Stack) -> None:
    reply = http("GET", f"{stack.api}/problems", None, {})
    assert reply.status == 200
    for slug in BY_SLUG:
        assert f"({slug}.md)" in str(reply.body)
