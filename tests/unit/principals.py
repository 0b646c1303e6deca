"""Builds ``x-ms-client-principal`` headers the way App Service Authentication injects them."""

from __future__ import annotations

import base64
import json
from typing import Any

from triggers.auth import HEADER, REQUESTER

OID_CLAIM = "http://schemas.microsoft.com/identity/claims/objectidentifier"
ALICE_OID = "0b5c1e2a-7d3f-4e8b-9a61-2c4d5e6f7a80"


def principal_claims(
    *roles: str, name: str = "alice@contoso.example", oid: str = ALICE_OID
) -> dict[str, Any]:
    """The decoded header of an Entra ID sign-in holding ``roles`` (Easy Auth's field names)."""
    claims = [
        {"typ": "aud", "val": "api://00000000-0000-0000-0000-0000000000aa"},
        {"typ": OID_CLAIM, "val": oid},
        {"typ": "name", "val": "Alice Example"},
        {"typ": "preferred_username", "val": name},
        *({"typ": "roles", "val": r} for r in roles),
    ]
    return {
        "auth_typ": "aad",
        "name_typ": "preferred_username",
        "role_typ": "roles",
        "claims": claims,
    }


def encode(claims: Any) -> str:
    return base64.b64encode(json.dumps(claims).encode()).decode()


def principal_headers(*roles: str, **kwargs: str) -> dict[str, str]:
    """Request headers for a caller with ``roles`` (default: Onboarding.Requester)."""
    return {HEADER: encode(principal_claims(*(roles or (REQUESTER,)), **kwargs))}
