"""App roles per route from the Easy Auth principal: 401 without one, 403 without the role."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from typing import Any

import azure.functions as func
import pytest

from tests.unit.principals import ALICE_OID, OID_CLAIM, encode, principal_claims, principal_headers
from tests.unit.test_request_contract import VALID
from tests.unit.test_triggers import FakeClient, _post, _user_function
from triggers import auth
from triggers.auth import (
    HEADER,
    OPERATOR,
    READER,
    REQUESTER,
    Principal,
    PrincipalMalformed,
    authorize,
    parse_principal,
)


def _get(client: FakeClient, headers: dict[str, str]) -> func.HttpResponse:
    req = func.HttpRequest("GET", "http://127.0.0.1:7071/api/onboardings/onboard-chg0012345",
                           body=b"", route_params={"instance_id": "onboard-chg0012345"},
                           headers=headers)  # fmt: skip
    return asyncio.run(_user_function("get_onboarding")(req, client))


def _started_client() -> FakeClient:
    client = FakeClient()
    client.runs["onboard-chg0012345"] = {}
    return client


def _body(response: func.HttpResponse) -> dict:
    return json.loads(response.get_body())


@pytest.fixture(autouse=True)
def _enforcing(monkeypatch):
    monkeypatch.delenv("AUTH_MODE", raising=False)


# -- the header itself ------------------------------------------------------------------------


def test_the_easy_auth_principal_gives_name_object_id_and_roles():
    principal = parse_principal(encode(principal_claims(REQUESTER, READER)))
    assert principal == Principal(
        name="alice@contoso.example",
        object_id=ALICE_OID,
        roles=frozenset({REQUESTER, READER}),
        auth_type="aad",
    )


def test_roles_follow_role_typ_and_name_falls_back_to_name_then_oid():
    claims = {
        "auth_typ": "aad",
        "name_typ": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
        "role_typ": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
        "claims": [
            {"typ": "oid", "val": ALICE_OID},
            {"typ": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role", "val": READER},
            # Not a role claim. (This line used to be a "roles" claim expected to grant nothing
            # because it is not the role_typ; issue 19 item 1: Entra ID sends app roles exactly
            # so, see test_app_roles_are_read_from_every_documented_claim_shape.)
            {"typ": "groups", "val": OPERATOR},
        ],
    }
    principal = parse_principal(encode(claims))
    assert principal.roles == {READER}
    custom = {**claims, "role_typ": "appRole",
              "claims": [*claims["claims"], {"typ": "appRole", "val": REQUESTER}]}  # fmt: skip
    assert parse_principal(encode(custom)).roles == {READER, REQUESTER}
    assert principal.name == ALICE_OID and principal.object_id == ALICE_OID
    claims["claims"].append({"typ": "name", "val": "Ticketing system"})
    assert parse_principal(encode(claims)).name == "Ticketing system"


def test_unpadded_and_url_safe_base64_are_read():
    header = encode(principal_claims(REQUESTER))
    assert parse_principal(header.rstrip("=")).roles == {REQUESTER}
    raw = json.dumps(principal_claims(REQUESTER)).encode()
    assert parse_principal(base64.urlsafe_b64encode(raw).decode()).roles == {REQUESTER}


MALFORMED = [
    "not base64 at all!",
    base64.b64encode(b"{not json").decode(),
    base64.b64encode(b"\xff\xfe\x00garbage").decode(),
    encode(["a", "list"]),
    encode({"auth_typ": "aad"}),  # no claims
    encode({"claims": [{"typ": "roles"}]}),  # a claim without val
    encode({"claims": [{"typ": "roles", "val": REQUESTER}]}),  # nobody: no name, no oid
    encode({"claims": "roles"}),
    "A" * (auth.MAX_HEADER_CHARS + 4),
]


@pytest.mark.parametrize("header", MALFORMED)
def test_malformed_principals_are_refused(header):
    with pytest.raises(PrincipalMalformed):
        parse_principal(header)


# -- 401 ----------------------------------------------------------------------------------------


def test_missing_header_is_401_problem_json_for_both_routes_and_starts_nothing():
    client = FakeClient()
    for response in (_post(client, VALID, headers={}), _get(_started_client(), {})):
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"] == "Bearer"
        body = _body(response)
        assert body["status"] == 401 and "Sign in" in body["detail"]
        assert "missing" in body["detail"]
    assert client.started == []


@pytest.mark.parametrize("header", MALFORMED)
def test_malformed_header_is_401_and_never_echoed(header):
    client = FakeClient()
    for response in (_post(client, VALID, headers={HEADER: header}),
                     _get(_started_client(), {HEADER: header})):  # fmt: skip
        assert response.status_code == 401
        text = response.get_body().decode()
        assert "malformed" in _body(response)["detail"]
        assert header[:40] not in text
    assert client.started == []


# -- 403 and success, per route and role --------------------------------------------------------

POST_ROLES = {REQUESTER: True, OPERATOR: True, READER: False}
GET_ROLES = {REQUESTER: True, OPERATOR: True, READER: True}


@pytest.mark.parametrize("role,allowed", POST_ROLES.items())
def test_post_needs_requester_or_operator(role, allowed):
    client = FakeClient()
    response = _post(client, VALID, headers=principal_headers(role))
    if allowed:
        assert response.status_code == 202
        assert [s[1] for s in client.started] == ["onboard-chg0012345"]
    else:
        assert response.status_code == 403
        assert response.mimetype == "application/problem+json"
        body = _body(response)
        assert body["requiredRoles"] == [REQUESTER, OPERATOR]
        assert REQUESTER in body["detail"]
        assert client.started == []


@pytest.mark.parametrize("role,allowed", POST_ROLES.items())
def test_dry_run_needs_the_same_roles_as_post(role, allowed, monkeypatch):
    from activities import preflight
    from shared.preflight import PreflightFacts, PreflightResult

    called = []

    def fake_preflight(inp: Any) -> PreflightResult:
        called.append(inp)
        # A real result: the dry run also rehearses the saga on it (orchestrators/rehearsal.py).
        return PreflightResult(passed=True, findings=[],
                               facts=PreflightFacts(mode=inp.mode, service_exists=True))  # fmt: skip

    monkeypatch.setattr(preflight, "run_preflight", fake_preflight)
    response = _post(FakeClient(), VALID, params={"dryRun": "true"},
                     headers=principal_headers(role))  # fmt: skip
    if allowed:
        # Reached the preflight (its findings are tested against the simulator).
        assert response.status_code == 200 and len(called) == 1
    else:
        assert response.status_code == 403 and called == []


@pytest.mark.parametrize("role,allowed", GET_ROLES.items())
def test_get_allows_reader_requester_and_operator(role, allowed):
    response = _get(_started_client(), principal_headers(role))
    assert response.status_code == 200 and allowed
    assert _body(response)["id"] == "onboard-chg0012345"


@pytest.mark.parametrize("route", ["post", "get"])
def test_a_principal_without_any_app_role_is_403(route):
    headers = {HEADER: encode(principal_claims())}
    client = FakeClient()
    response = _post(client, VALID, headers=headers) if route == "post" else _get(client, headers)
    assert response.status_code == 403
    assert set(_body(response)["requiredRoles"]) >= {REQUESTER, OPERATOR}
    assert client.started == []


def test_an_unknown_role_or_a_role_in_another_claim_grants_nothing():
    claims = principal_claims("Onboarding.Admin")
    claims["claims"].append({"typ": "groups", "val": REQUESTER})
    claims["claims"].append({"typ": "scp", "val": REQUESTER})
    assert _post(FakeClient(), VALID, headers={HEADER: encode(claims)}).status_code == 403


def test_roles_are_case_sensitive_like_entra_app_role_values():
    headers = principal_headers(REQUESTER.lower())
    assert _post(FakeClient(), VALID, headers=headers).status_code == 403


# -- AUTH_MODE ----------------------------------------------------------------------------------


def test_auth_mode_disabled_lets_anonymous_callers_in_and_warns_once(monkeypatch, caplog):
    monkeypatch.setenv("AUTH_MODE", "disabled")
    monkeypatch.setattr(auth, "_warned", set())
    client = FakeClient()
    with caplog.at_level(logging.WARNING, logger="onboarding.auth"):
        assert _post(client, VALID, headers={}).status_code == 202
        assert _get(client, {}).status_code == 200
    assert [r.message for r in caplog.records if "AUTH_MODE=disabled" in r.message] != []
    assert len([r for r in caplog.records if "AUTH_MODE=disabled" in r.message]) == 1
    requested_by = client.started[0][2]["requestedBy"]
    assert requested_by["source"] == "unauthenticated" and requested_by["objectId"] is None


def test_auth_mode_disabled_still_records_a_principal_that_is_present(monkeypatch):
    monkeypatch.setenv("AUTH_MODE", "disabled")
    client = FakeClient()
    _post(client, VALID, headers=principal_headers(READER, name="bob@contoso.example"))
    requested_by = client.started[0][2]["requestedBy"]
    assert requested_by["name"] == "bob@contoso.example"
    assert requested_by["source"] == "unauthenticated"


@pytest.mark.parametrize("value", ["", "easyauth", "EasyAuth", "off", "false", "none", "0"])
def test_anything_but_disabled_enforces(value, monkeypatch):
    monkeypatch.setenv("AUTH_MODE", value)
    assert _post(FakeClient(), VALID, headers={}).status_code == 401


def test_authorize_is_usable_by_any_route_with_its_own_roles():
    req = func.HttpRequest("POST", "http://x/api/onboardings/x/approve", body=b"",
                           headers=principal_headers(OPERATOR))  # fmt: skip
    principal = authorize(req, OPERATOR, env={})
    assert isinstance(principal, Principal) and principal.object_id == ALICE_OID
    refused = authorize(req, READER, env={})
    assert isinstance(refused, func.HttpResponse) and refused.status_code == 403


def test_the_object_id_claim_may_be_the_long_or_short_form():
    claims = principal_claims(REQUESTER)
    claims["claims"] = [
        {"typ": "oid", "val": ALICE_OID} if c["typ"] == OID_CLAIM else c for c in claims["claims"]
    ]
    assert parse_principal(encode(claims)).object_id == ALICE_OID


# -- claim shapes Easy Auth sends for Entra ID app roles ------------------------------------------
# App Service passes the token's claims through its claims mapping (learn.microsoft.com,
# app-service/configure-authentication-user-identities, "Decode the client principal header"):
# for Entra ID the principal's role_typ is the long .NET role URI while app roles commonly
# arrive as claims typed "roles" (Azure/azure-functions-host#3898); other apps see them typed with
# the URI itself. docs/security.md#app-role-claims.

ROLE_URI = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
NAME_URI = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"


def _entra_principal(*role_claims: tuple[str, str], role_typ: str = ROLE_URI) -> dict:
    """An Entra ID principal as App Service sends it: URIs for name_typ and role_typ."""
    return {
        "auth_typ": "aad",
        "name_typ": NAME_URI,
        "role_typ": role_typ,
        "claims": [
            {"typ": "aud", "val": "api://00000000-0000-0000-0000-0000000000aa"},
            {"typ": OID_CLAIM, "val": ALICE_OID},
            {"typ": NAME_URI, "val": "alice@contoso.example"},
            {"typ": "scp", "val": "user_impersonation"},
            *({"typ": typ, "val": val} for typ, val in role_claims),
        ],
    }


@pytest.mark.parametrize(
    "role_typ,claim_typ",
    [
        (ROLE_URI, "roles"),  # the common Entra ID shape: role_typ is the URI, claims "roles"
        (ROLE_URI, ROLE_URI),  # claims mapped to the URI
        ("roles", "roles"),  # role_typ itself is "roles"
        ("roles", ROLE_URI),
    ],
)
def test_app_roles_are_read_from_every_documented_claim_shape(role_typ, claim_typ):
    claims = _entra_principal((claim_typ, REQUESTER), (claim_typ, READER), role_typ=role_typ)
    principal = parse_principal(encode(claims))
    assert principal.roles == {REQUESTER, READER}
    assert principal.name == "alice@contoso.example" and principal.object_id == ALICE_OID
    assert _post(FakeClient(), VALID, headers={HEADER: encode(claims)}).status_code == 202


def test_a_service_principal_with_an_app_role_in_a_roles_claim_may_post():
    # A daemon (client credentials) holds the app role as "roles" and has no name claim.
    claims = {
        "auth_typ": "aad",
        "name_typ": NAME_URI,
        "role_typ": ROLE_URI,
        "claims": [{"typ": "oid", "val": ALICE_OID}, {"typ": "roles", "val": OPERATOR}],
    }
    assert parse_principal(encode(claims)).roles == {OPERATOR}
    assert _post(FakeClient(), VALID, headers={HEADER: encode(claims)}).status_code == 202


@pytest.mark.parametrize("typ", ["groups", "scp", "wids", "role", "name", "http://x/claims/role"])
def test_claims_of_other_types_never_grant_an_app_role(typ):
    claims = _entra_principal((typ, REQUESTER), (typ, OPERATOR))
    assert parse_principal(encode(claims)).roles == frozenset()
    assert _post(FakeClient(), VALID, headers={HEADER: encode(claims)}).status_code == 403
