"""Problem types (issue 14 item 3): one documented ``type`` per kind, a page for each in docs/,
the route table equal to what function_app registers, and every generated doc up to date."""

from __future__ import annotations

from cli.contract_docs import stale
from shared.api_routes import CATCH_ALL_FUNCTION, CATCH_ALL_PATH, ROUTES, allowed_methods
from shared.problem_types import BY_SLUG, DEFAULT_FOR_STATUS, PROBLEM_TYPES, type_uri
from tests.unit.test_function_app import _INDEXED  # the app indexes once per process
from triggers.intake import policy_problem, problem
from triggers.problems import problem_body

_HTTP = {
    name: b for name, spec in _INDEXED.items() for b in spec["bindings"]
    if b["type"] == "httpTrigger"
}  # fmt: skip


def test_every_generated_document_in_docs_is_up_to_date() -> None:
    assert stale() == [], "run `make schema` and commit docs/"


def test_each_kind_has_one_slug_and_status_defaults_name_documented_kinds() -> None:
    assert len(BY_SLUG) == len(PROBLEM_TYPES)
    for status, slug in DEFAULT_FOR_STATUS.items():
        assert BY_SLUG[slug].status == status


def test_an_undocumented_status_still_gets_a_documented_kind() -> None:
    # POST /api/onboardings answered 501 for a kind without a run, and problem_response raised
    # KeyError (a 500 without a body) until every status had a kind (the contract test found it).
    from shared.problem_types import default_kind

    assert default_kind(501) == "not-implemented"
    assert default_kind(418) == "invalid-parameter" and default_kind(502) == "server-error"
    assert all(default_kind(s) in BY_SLUG for s in range(400, 600))


def test_type_uris_are_the_apps_own_pages_unless_a_base_is_set() -> None:
    assert type_uri("run-not-found") == "/api/problems/run-not-found"
    assert type_uri("run-not-found", "https://docs.example/problems/") == (
        "https://docs.example/problems/run-not-found"
    )


def test_the_route_table_is_what_function_app_registers() -> None:
    registered = {(n, b["route"], tuple(b.get("methods") or ())) for n, b in _HTTP.items()}
    table = {(r.function, r.path, (r.method,)) for r in ROUTES}
    assert registered == table | {(CATCH_ALL_FUNCTION, CATCH_ALL_PATH, ())}


def test_the_catch_all_sorts_after_every_function_name() -> None:
    # The Functions host tries routes in the alphabetical order of function names.
    assert max(_HTTP) == CATCH_ALL_FUNCTION


def test_allowed_methods_tell_a_known_path_from_an_unknown_one() -> None:
    assert allowed_methods("onboardings") == ["GET", "POST"]
    assert allowed_methods("onboardings/onboard-x/retry") == ["POST"]
    assert allowed_methods("Onboardings/onboard-x") == ["GET"]
    assert allowed_methods("nothing/here") == []
    assert allowed_methods("onboardings/a/b/c/d") == []


def test_intake_problems_carry_their_kinds() -> None:
    assert problem([])["type"].endswith("/invalid-request")
    assert problem([], 413)["type"].endswith("/request-too-large")
    assert problem([], parameter="dryRun")["type"].endswith("/invalid-parameter")
    assert policy_problem([])["type"].endswith("/outside-policy")


def test_problem_base_setting_moves_every_type(monkeypatch) -> None:
    monkeypatch.setenv("PROBLEM_TYPE_BASE", "https://example.test/docs/problems")
    body = problem_body("route-not-found", 404, None, "x")
    assert body["type"] == "https://example.test/docs/problems/route-not-found"
    assert body["title"] == BY_SLUG["route-not-found"].title
