"""The OpenAPI document against the running app (issue 14, item 2).

The document (shared/openapi.py) is served at ``GET /api/openapi.json`` and committed as
docs/openapi.json (a unit test checks that copy is current). Here schemathesis generates
requests for every operation from the served document and sends them to the whole local stack
(devhost + simulator): no answer may be a 5xx, and every answer must be documented (status,
content type) and match its schema. Bounded: a fixed number of examples per operation,
derandomized (the same cases every run), one stack for the module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from cli.stack import LocalStack, StackOptions
from shared.openapi import EXAMPLE_REQUEST, EXAMPLE_RUN, document
from tests.devhost.conftest import http
from tests.e2e.conftest import principal

pytestmark = pytest.mark.timeout(300)

EXAMPLES = 6  # per operation; the cases are derandomized, so every run sends the same ones
EVERY_ROLE = principal("Onboarding.Reader", "Onboarding.Requester", "Onboarding.Operator",
                       name="contract-test@contoso.example")  # fmt: skip
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip

schema = schemathesis.openapi.from_dict(document())


@pytest.fixture(scope="module")
def api_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    options = StackOptions(state_dir=tmp_path_factory.mktemp("openapi"), port=0)
    with LocalStack(options) as started:
        # The documented example run exists, so the examples reach the 200s of its routes.
        reply = http("POST", f"{started.api_url}/onboardings", EXAMPLE_REQUEST, EVERY_ROLE)
        assert reply.status == 202 and reply.body["id"] == EXAMPLE_RUN, reply.body
        yield started


def _origin(stack: LocalStack) -> str:
    return stack.api_url.removesuffix("/api")


def test_the_app_serves_the_committed_document(api_stack: LocalStack) -> None:
    reply = http("GET", f"{api_stack.api_url}/openapi.json", None, {})
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("application/json")
    committed = json.loads((Path(__file__).parents[2] / "docs" / "openapi.json").read_text())
    assert reply.body == committed == json.loads(json.dumps(document()))
    assert reply.body["openapi"] == "3.1.0"


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))  # fmt: skip
def test_every_operation_answers_as_documented(case: Any, api_stack: LocalStack) -> None:
    response = case.call(base_url=_origin(api_stack), headers=EVERY_ROLE, timeout=30)
    case.validate_response(response, checks=CHECKS)
