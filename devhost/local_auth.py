"""A local stand-in for App Service Authentication's session: a fixed ``x-ms-client-principal``.

In Azure, Easy Auth validates a signed-in browser's session cookie (or a bearer token) and
injects ``x-ms-client-principal`` into each request; it strips any header a caller sends.
devhost has no sign-in, so a browser opening a page locally arrives with no principal at all.
``DevHost(local_principal="Onboarding.Operator")`` (``--local-principal``) injects a principal
with those app roles into requests that carry *none*; a request with its own header keeps it
unchanged (tests that send a Reader principal still get a Reader). Off by default.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable

HEADER = "x-ms-client-principal"
LOCAL_NAME = "local-user@devhost.invalid"
LOCAL_OBJECT_ID = "00000000-0000-4000-8000-00000000d0e5"
_OID_CLAIM = "http://schemas.microsoft.com/identity/claims/objectidentifier"


def parse_roles(spec: str | Iterable[str]) -> tuple[str, ...]:
    """``"A,B"`` or ``["A", "B"]`` -> ``("A", "B")``; empty names dropped; none is an error."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    roles = tuple(dict.fromkeys(r.strip() for r in items if r and r.strip()))
    if not roles:
        raise ValueError("a local principal needs at least one app role, e.g. Onboarding.Operator")
    return roles


def principal_header(roles: Iterable[str], name: str = LOCAL_NAME) -> str:
    """The header value Easy Auth would inject for a user holding ``roles`` (base64 JSON)."""
    claims = [{"typ": "roles", "val": role} for role in roles]
    claims += [{"typ": "name", "val": name}, {"typ": _OID_CLAIM, "val": LOCAL_OBJECT_ID}]
    doc = {"auth_typ": "aad", "name_typ": "name", "role_typ": "roles", "claims": claims}
    return base64.b64encode(json.dumps(doc).encode()).decode()


def with_local_principal(headers: dict[str, str], header_value: str | None) -> dict[str, str]:
    """``headers`` plus the local principal when set and the request carries none."""
    if header_value is None or any(k.lower() == HEADER for k in headers):
        return headers
    return {**headers, HEADER: header_value}
