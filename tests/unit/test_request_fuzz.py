"""Property-based fuzz of ``POST /api/onboardings``: any body gets a 2xx/4xx answer, never a crash.

Bodies are arbitrary JSON, arbitrary bytes, and a valid request with fields dropped, replaced or
added. Whatever comes in, the answer is 202, 200, 400, 403 or 413 (problem+json for refusals)
and a run starts only for a request that the contract accepts and the policy allows. The policy
used is a restrictive one, so that mutations reach the 403 path too.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import json
from collections.abc import Iterator
from typing import Any

import azure.functions as func
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from shared.request import ROLES_BY_SCOPE, RequestInvalid, parse_request
from tests.unit.principals import principal_headers
from tests.unit.test_function_app import _INDEXED  # noqa: F401 - index once per process
from tests.unit.test_request_contract import SERVICE, SHARED_GW, SUBNET, VALID
from tests.unit.test_triggers import FakeClient, _user_function
from triggers.auth import OPERATOR, READER, REQUESTER
from triggers.intake import MAX_BODY_BYTES
from triggers.settings import guardrails

ANSWERS = {200, 202, 400, 403, 413}
FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,  # no .hypothesis/ directory in the work tree; examples are re-drawn each run
)
POLICY = {
    "POLICY_ALLOWED_APIM_SERVICES": json.dumps([SERVICE]),
    "POLICY_ALLOWED_SUBNETS": json.dumps([SUBNET]),
    "POLICY_ALLOWED_DNS_RESOURCE_GROUPS": json.dumps([VALID["dns"]["resourceGroupId"]]),
    "POLICY_MAX_GATEWAY_UNITS": "2",
}


@pytest.fixture(scope="module", autouse=True)
def _policy() -> Iterator[None]:
    # Module scope: hypothesis re-runs the test body many times inside one fixture instance.
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("AUTH_MODE", raising=False)
        for setting, value in POLICY.items():
            mp.setenv(setting, value)
        yield


@pytest.fixture(scope="module", autouse=True)
def _no_arm() -> Iterator[None]:
    # Dry runs read ARM; the fuzz is about intake, so the preflight answers a fixed result.
    from activities import preflight
    from shared.preflight import PreflightFacts, PreflightResult

    def passed(inp: Any) -> PreflightResult:
        # A real result: the dry run also rehearses the saga on it (orchestrators/rehearsal.py).
        facts = PreflightFacts(mode=inp.mode, service_exists=True)
        return PreflightResult(passed=True, findings=[], facts=facts)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(preflight, "run_preflight", passed)
        yield


# -- strategies ---------------------------------------------------------------------------------

KEYS = sorted(
    {"ticketId", "team", "requestedBy", "apimServiceId", "workspace", "gateway", "dns", "access",
     "notify", "name", "displayName", "description", "capacity", "network", "mode", "subnetId",
     "existingGatewayId", "resourceGroupId", "principalId", "principalType", "scope", "role",
     "replyTo", "emails", "specversion", "id", "source", "type", "data"}
)  # fmt: skip
NEAR_VALID = st.sampled_from(
    [SERVICE, SERVICE.upper(), SERVICE.replace("apim-contoso", "apim-other"), SUBNET,
     SUBNET.replace("snet-gw-a", "snet-gw-b"), SHARED_GW, VALID["dns"]["resourceGroupId"],
     VALID["dns"]["resourceGroupId"] + "-other", "none", "integration", "injection", "service",
     "workspace", "gateway", "User", "Group", "ServicePrincipal", "1.0", "CHG1", "ws-payments",
     "WS Payments", "gw-x", "-", "", " ", "\x00", "a" * 300, -1, 0, 1, 2, 3, 10, 11, 2**63, 1.5,
     *(role for roles in ROLES_BY_SCOPE.values() for role in roles)]
)  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities too: json.dumps writes them, json.loads reads them back
    | st.text(max_size=30)
    | NEAR_VALID
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=25,
)


# Contract-valid values that the fuzz policy (POLICY) allows or refuses: these reach the 403 path.
POLICY_EDITS: list[tuple[str, list[Any]]] = [
    ("apimServiceId", [SERVICE.upper(), SERVICE.replace("apim-contoso", "apim-other")]),
    ("workspace.name", ["ws-payments", "WS Payments", "payments-2"]),
    ("gateway.capacity", [1, 2, 3, 10]),
    ("gateway.network.subnetId", [SUBNET.lower(), SUBNET.replace("snet-gw-a", "snet-gw-b")]),
    ("dns.resourceGroupId", [VALID["dns"]["resourceGroupId"].upper(),
                             VALID["dns"]["resourceGroupId"] + "-other"]),
]  # fmt: skip


def _set(body: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node: Any = body
    for p in parents:
        if not isinstance(node, dict) or p not in node:
            return  # this variant has no such field (a shared gateway has no subnet or dns)
        node = node[p]
    if isinstance(node, dict) and (last in node or last == "capacity"):
        node[last] = value


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += _paths(v, (*prefix, i))
    return found


@st.composite
def mutated_requests(draw: st.DrawFn) -> Any:
    """A valid request (a variant, so every shape is reached) with up to 3 random edits."""
    body = copy.deepcopy(VALID)
    if draw(st.booleans()):
        body["gateway"] = {"existingGatewayId": SHARED_GW, "network": {"mode": "none"}}
        del body["dns"]
    for path, values in POLICY_EDITS:
        if draw(st.integers(0, 3)) == 0:
            _set(body, path, draw(st.sampled_from(values)))
    if draw(st.integers(0, 3)) == 0:
        body["access"].append(
            {"principalId": "b0b00000-0000-4000-8000-000000000002", "principalType": "Group",
             "scope": "gateway", "role": draw(st.sampled_from(ROLES_BY_SCOPE["gateway"]))}
        )  # fmt: skip
    if draw(st.booleans()):
        body = {"specversion": "1.0", "id": "e-1", "source": "/ticketing", "type": "onboard",
                "data": body}  # fmt: skip
    # Few edits, mostly to near-valid values: otherwise nearly every body is a 400 and the
    # policy (403) and start (202) paths are rarely reached.
    for _ in range(draw(st.integers(0, 2))):
        paths = _paths(body)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        *parents, last = path
        node = body
        for p in parents:
            node = node[p]
        action = draw(st.sampled_from(["drop", "replace", "replace", "add"]))
        value = draw(NEAR_VALID if draw(st.booleans()) else JSON)
        if action == "drop":
            del node[last]
        elif action == "add" and isinstance(node[last], dict):
            node[last][draw(st.sampled_from(KEYS) | st.text(max_size=8))] = value
        elif action == "add" and isinstance(node[last], list):
            node[last].append(value)
        else:
            node[last] = value
    return body


# -- the property -------------------------------------------------------------------------------


def _post(body: bytes, dry_run: bool, headers: dict[str, str] | None = None) -> tuple[Any, Any]:
    client = FakeClient()
    req = func.HttpRequest("POST", "http://127.0.0.1:7071/api/onboardings", body=body,
                           params={"dryRun": "true"} if dry_run else {},
                           headers=principal_headers() if headers is None else headers)  # fmt: skip
    return asyncio.run(_user_function("start_onboarding")(req, client)), client


def _acceptable(payload: Any) -> bool:
    """The oracle: the contract accepts the payload and the policy allows it."""
    try:
        request = parse_request(payload)
    except RequestInvalid:
        return False
    return not guardrails().check(request)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _check(body: bytes, dry_run: bool) -> None:
    response, client = _post(body, dry_run)
    status = response.status_code
    event(f"status {status}{' (dry run)' if dry_run else ''}")  # --hypothesis-show-statistics
    assert status in ANSWERS, status
    answer = json.loads(response.get_body())
    if status >= 400:
        assert response.mimetype == "application/problem+json"
        assert answer["status"] == status
        key = "violations" if status == 403 else "errors"
        assert answer[key], answer
    try:
        # Strict JSON as the intake reads it (RFC 8259): Python's json.dumps writes NaN and
        # Infinity for such floats and json.loads takes them back, but they are not JSON.
        payload = (
            json.loads(body, parse_constant=_not_json) if len(body) <= MAX_BODY_BYTES else None
        )
    except (ValueError, RecursionError):
        payload = None
    acceptable = payload is not None and _acceptable(payload)
    if dry_run:
        assert client.started == []
        assert (status == 200) == acceptable, (status, answer.get("errors"), body)
    else:
        assert (status == 202) == acceptable, (status, answer.get("errors"), body)
        assert len(client.started) == (1 if acceptable else 0)


@FUZZ
@given(body=JSON, dry_run=st.booleans())
def test_arbitrary_json_never_crashes_or_starts_an_invalid_run(body, dry_run):
    _check(json.dumps(body).encode(), dry_run)


@FUZZ
@given(body=mutated_requests(), dry_run=st.booleans())
def test_mutated_valid_requests_start_a_run_only_when_valid_and_within_policy(body, dry_run):
    _check(json.dumps(body).encode(), dry_run)


@FUZZ
@given(body=st.binary(max_size=200) | st.sampled_from([b"", b"[" * 5000, b"1" * 5000, b"\xff"]))
def test_arbitrary_bytes_are_answered(body):
    _check(body, dry_run=False)


@settings(max_examples=20, deadline=None, database=None)
@given(padding=st.integers(1, 4096))
def test_oversize_bodies_are_413(padding):
    body = json.dumps(VALID).encode()
    body = body[:-1] + b" " * (MAX_BODY_BYTES - len(body) + padding) + b"}"
    response, client = _post(body, dry_run=False)
    assert response.status_code == 413 and client.started == []


@FUZZ
@given(
    header=st.text(max_size=200)
    | st.builds(
        lambda roles, extra: principal_headers(*roles)["x-ms-client-principal"] + extra,
        st.lists(st.sampled_from([REQUESTER, OPERATOR, READER, "x"]), min_size=1, max_size=3),
        st.sampled_from(["", "=", "==", "!", "A"]),
    )
)
@example(header="Sign in required")  # the 401's own title: fixed wording, not an echo
def test_arbitrary_principal_headers_are_401_403_or_let_in(header):
    response, client = _post(json.dumps(VALID).encode(), False, {"x-ms-client-principal": header})
    assert response.status_code in {202, 401, 403}
    assert (response.status_code == 202) == bool(client.started)
    body = response.get_body().decode()
    if response.status_code != 202:  # a refusal never depends on what the header says
        assert body == _refusal(response.status_code, bool(header))
    elif len(header.strip()) >= 16:  # shorter text may occur in any answer by chance
        assert header not in body


@functools.cache
def _refusal(status: int, header_present: bool) -> str:
    """The body refusing a header that cannot be echoed back: absent or not base64 (401), or a
    well-formed principal without the role (403)."""
    header = {401: "!" if header_present else "",
              403: principal_headers("x")["x-ms-client-principal"]}[status]  # fmt: skip
    response, _ = _post(json.dumps(VALID).encode(), False, {"x-ms-client-principal": header})
    assert response.status_code == status
    return str(response.get_body().decode())
