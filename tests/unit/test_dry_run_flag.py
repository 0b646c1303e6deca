"""``?dryRun=``: every usual spelling of true is a dry run (it never writes), any value that is
not a recognised boolean is refused with 400, and nothing starts in either case."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.test_request_contract import VALID
from tests.unit.test_triggers import FakeClient, _post

TRUE = ["true", "True", "TRUE", "1", "yes", "YES", "on", "y", " true "]
FALSE = ["false", "False", "0", "no", "off", "n"]
NOT_BOOLEAN = ["", "2", "-1", "tru", "truee", "yes please", "null", "none", "dry", "true,false",
               "t\x00rue", "\u0442rue", "1.0", "[true]"]  # fmt: skip
NAMES = ["dryRun", "dryrun", "DRYRUN", "DryRun"]


@pytest.fixture
def preflights(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    from activities import preflight
    from shared.preflight import PreflightFacts, PreflightResult

    called: list[Any] = []

    def fake(inp: Any) -> PreflightResult:
        called.append(inp)
        # A real result: the dry run also rehearses the saga on it (orchestrators/rehearsal.py).
        return PreflightResult(passed=True, findings=[],
                               facts=PreflightFacts(mode=inp.mode, service_exists=True))  # fmt: skip

    monkeypatch.setattr(preflight, "run_preflight", fake)
    return called


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("value", TRUE)
def test_every_spelling_of_true_is_a_dry_run_and_starts_nothing(name, value, preflights):
    client = FakeClient()
    response = _post(client, VALID, params={name: value})
    assert response.status_code == 200, response.get_body()
    assert json.loads(response.get_body())["dryRun"] is True
    assert client.started == [] and len(preflights) == 1


@pytest.mark.parametrize("value", FALSE)
def test_a_spelling_of_false_is_a_real_start(value, preflights):
    client = FakeClient()
    assert _post(client, VALID, params={"dryRun": value}).status_code == 202
    assert len(client.started) == 1 and preflights == []


@pytest.mark.parametrize("name", NAMES[:2])
@pytest.mark.parametrize("value", NOT_BOOLEAN)
def test_a_value_that_is_not_a_boolean_is_400_and_neither_starts_nor_reads(name, value, preflights):
    client = FakeClient()
    response = _post(client, VALID, params={name: value})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    body = json.loads(response.get_body())
    assert [e["field"] for e in body["errors"]] == ["dryRun"]
    assert "true" in body["errors"][0]["message"] and "false" in body["errors"][0]["message"]
    assert client.started == [] and preflights == []


def test_the_refused_value_is_never_echoed(preflights):
    response = _post(FakeClient(), VALID, params={"dryRun": "<script>x</script>"})
    assert response.status_code == 400 and b"script" not in response.get_body()


def test_two_spellings_that_disagree_are_refused(preflights):
    client = FakeClient()
    response = _post(client, VALID, params={"dryRun": "true", "dryrun": "false"})
    assert response.status_code == 400
    assert client.started == [] and preflights == []
    assert _post(client, VALID, params={"dryRun": "true", "DRYRUN": "yes"}).status_code == 200
    assert client.started == []


def test_an_invalid_flag_is_refused_before_the_body_is_read(preflights):
    client = FakeClient()
    response = _post(client, b"{not json", params={"dryRun": "maybe"})
    assert response.status_code == 400
    assert [e["field"] for e in json.loads(response.get_body())["errors"]] == ["dryRun"]
