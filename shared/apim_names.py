"""Names of APIM resources the app derives (pure).

A workspace's link to its gateway (``gateways/{gw}/configConnections/{name}``) was named after
the workspace, but the two names follow different rules (arm-behaviour.md §1, SPEC-APIM path
parameters): a workspace name is 1-80 characters without ``* # & + : < > ?``, a config
connection name 1-30 characters of ``^[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$``. So ``ws_payments``
or a 40-character workspace name made the link fail with a 400 right after the gateway was
created (issue 12, #6). :func:`link_name` derives a valid name for every allowed workspace name.
"""

from __future__ import annotations

import hashlib
import re

LINK_NAME_MAX = 30
LINK_NAME = re.compile(r"^[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$")
_HASH_CHARS = 8
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")
_LEADING_NON_LETTERS = re.compile(r"^[^A-Za-z]+")


def is_link_name(name: str) -> bool:
    """Whether APIM accepts ``name`` as a config connection name."""
    return len(name) <= LINK_NAME_MAX and LINK_NAME.fullmatch(name) is not None


def link_name(workspace_name: str) -> str:
    """The config connection name for the workspace: valid, stable, one per workspace.

    A workspace name that is a valid link name is used as it is (the links made so far keep
    their names). Any other becomes a readable prefix (its letters and digits, other runs of
    characters as ``-``, starting at its first letter, at most 21 characters) + ``-`` + 8 hex
    characters of the SHA-256 of the name lower-cased: APIM names ignore case, so ``WS_A`` and
    ``ws_a`` (one workspace) get one link name, and two different workspaces share one only if
    32 bits of their hashes agree (or a workspace is literally named like another's derived
    name). The result always matches :data:`LINK_NAME` and is at most 30 characters.
    """
    if is_link_name(workspace_name):
        return workspace_name
    # surrogatepass: JSON can carry a lone surrogate (\ud800), which the contract lets through.
    raw = workspace_name.lower().encode("utf-8", "surrogatepass")
    digest = hashlib.sha256(raw).hexdigest()[:_HASH_CHARS]
    readable = _LEADING_NON_LETTERS.sub("", _NOT_ALNUM.sub("-", workspace_name))
    readable = readable[: LINK_NAME_MAX - _HASH_CHARS - 1].rstrip("-")
    return f"{readable or 'ws'}-{digest}"
