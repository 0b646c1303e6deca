"""Who is calling, and may they: the App Service Authentication principal and the app roles.

App Service Authentication (Easy Auth) validates the caller's Entra token in front of the app and
passes the result as ``x-ms-client-principal``: base64 of ``{"auth_typ", "name_typ", "role_typ",
"claims": [{"typ", "val"}]}``. It strips that header from incoming requests, so in Azure only the
platform can set it; the app trusts it and only checks roles (read from the claims typed
``role_typ``, ``roles`` or the role URI: see ROLE_CLAIMS). ``AUTH_MODE=disabled`` turns the
check off for a local demo, where no platform sits in front (docs/security.md).

Answers never echo the header or a decoding error: the header carries the caller's claims.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func

from shared.problem_types import default_kind
from triggers.problems import problem

REQUESTER = "Onboarding.Requester"
OPERATOR = "Onboarding.Operator"
READER = "Onboarding.Reader"
ALL_ROLES = (REQUESTER, OPERATOR, READER)

HEADER = "x-ms-client-principal"
MAX_HEADER_CHARS = 32 * 1024  # Easy Auth's principal is a few KB; anything far larger is not it
OBJECT_ID_CLAIMS = ("http://schemas.microsoft.com/identity/claims/objectidentifier", "oid")
NAME_CLAIMS = ("name", "preferred_username")
# App roles arrive in more than one shape. Easy Auth runs the token's claims through its claims
# mapping (learn.microsoft.com/azure/app-service/configure-authentication-user-identities,
# "Decode the client principal header"), and for Entra ID the principal's role_typ is commonly
# the .NET role URI while the app roles are claims typed "roles" (Azure/azure-functions-host#3898;
# Azure/data-api-builder#985 reads both for the same reason). A claim is a role when its typ is
# the principal's role_typ, "roles", or the role URI; no other claim (groups, scp, wids) is.
ROLE_URI = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
ROLE_CLAIMS = ("roles", ROLE_URI)

log = logging.getLogger("onboarding.auth")
_warned: set[str] = set()


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: display name, Entra object id, app roles."""

    name: str
    object_id: str | None
    roles: frozenset[str] = field(default_factory=frozenset)
    auth_type: str = "aad"


class PrincipalMalformed(ValueError):
    """The header is not an Easy Auth principal (the reason is for tests, never for answers)."""


def parse_principal(header: str) -> Principal:
    """Decode ``x-ms-client-principal``; raise PrincipalMalformed if it is not one."""
    if len(header) > MAX_HEADER_CHARS:
        raise PrincipalMalformed("too long")
    # Easy Auth sends standard base64; accept the URL-safe alphabet and dropped padding too.
    text = header.strip().translate(str.maketrans("-_", "+/"))
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        data = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        raise PrincipalMalformed("not base64 of JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("claims"), list):
        raise PrincipalMalformed("not an object with a claims list")
    claims: list[tuple[str, str]] = []
    for claim in data["claims"]:
        if not (
            isinstance(claim, dict)
            and isinstance(claim.get("typ"), str)
            and isinstance(claim.get("val"), str)
        ):
            raise PrincipalMalformed("a claim is not {typ, val} strings")
        claims.append((claim["typ"], claim["val"]))
    role_typ = _text(data.get("role_typ")) or "roles"
    name_typ = _text(data.get("name_typ"))

    def first(*types: str) -> str | None:
        return next((v for t in types for typ, v in claims if typ == t and v), None)

    object_id = first(*OBJECT_ID_CLAIMS)
    name_types = (name_typ, *NAME_CLAIMS) if name_typ else NAME_CLAIMS
    name = first(*name_types) or object_id
    if not name:
        raise PrincipalMalformed("no name and no object id claim")
    role_types = {role_typ, *ROLE_CLAIMS}
    roles = frozenset(v for typ, v in claims if typ in role_types)
    return Principal(
        name=name, object_id=object_id, roles=roles, auth_type=_text(data.get("auth_typ")) or ""
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def auth_mode(env: Mapping[str, str] | None = None) -> str:
    """``easyauth`` (enforce) unless AUTH_MODE is exactly ``disabled``; unknown values enforce."""
    env = os.environ if env is None else env
    value = env.get("AUTH_MODE", "").strip().lower()
    if value not in ("", "easyauth", "disabled"):
        _warn_once("AUTH_MODE has an unknown value; enforcing App Service Authentication roles")
    return "disabled" if value == "disabled" else "easyauth"


def authorize(
    req: func.HttpRequest, *allowed_roles: str, env: Mapping[str, str] | None = None
) -> Principal | func.HttpResponse:
    """The caller if they hold one of ``allowed_roles``; otherwise the 401/403 answer to return."""
    header = req.headers.get(HEADER)
    if auth_mode(env) == "disabled":
        _warn_once(
            "AUTH_MODE=disabled: every caller is treated as holding every app role; "
            "use this only for local demos, never in Azure"
        )
        # Still record who the caller says they are when a principal happens to be present.
        try:
            known = parse_principal(header) if header else None
        except PrincipalMalformed:
            known = None
        return Principal(
            name=known.name if known else "anonymous (AUTH_MODE=disabled)",
            object_id=known.object_id if known else None,
            roles=frozenset(ALL_ROLES),
            auth_type="disabled",
        )
    if not header:
        return _unauthenticated("the x-ms-client-principal header is missing")
    try:
        principal = parse_principal(header)
    except PrincipalMalformed:
        return _unauthenticated("the x-ms-client-principal header is malformed")
    if principal.roles.isdisjoint(allowed_roles):
        log.warning(
            "refused: missing app role",
            extra={"principalObjectId": principal.object_id, "requiredRoles": list(allowed_roles)},
        )
        return problem_response(
            403,
            "Forbidden: an app role is missing",
            f"This operation needs the app role {' or '.join(allowed_roles)}. Ask the API's "
            "owners to assign it to you (or your service principal) on the enterprise "
            "application, then get a new token.",
            requiredRoles=list(allowed_roles),
        )
    return principal


def _unauthenticated(why: str) -> func.HttpResponse:
    return problem_response(
        401,
        "Sign in required",
        f"Sign in with an Entra ID token for this API: {why}. App Service Authentication "
        "sets it for a signed-in caller.",
        headers={"WWW-Authenticate": "Bearer"},
    )


def _warn_once(message: str) -> None:
    # Once per process: the setting cannot change while the worker runs.
    if message not in _warned:
        _warned.add(message)
        log.warning(message)


def problem_response(
    status: int,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    kind: str | None = None,
    **extra: Any,
) -> func.HttpResponse:
    """An RFC 9457 ``application/problem+json`` answer whose ``type`` is the documented kind
    ``kind`` (shared/problem_types.py), by default the usual kind of ``status``."""
    kind = kind or default_kind(status)
    return problem(kind, status, detail, title=title, headers=headers, **extra)
