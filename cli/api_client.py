"""HTTP calls the ``onboard`` command makes to a running app (devhost locally, or Azure).

Who the command says it is: with ``ONBOARD_TOKEN`` set it sends that Entra access token as a
bearer token (App Service Authentication in front of the Function App validates it). Against a
local devhost, where nothing authenticates, it sends the ``x-ms-client-principal`` header App
Service Authentication would have injected, for a local developer with the role it needs.
Anywhere else without a token it stops and says how to get one.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

DEFAULT_API = "http://127.0.0.1:7071/api"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
LOCAL_USER = "local-developer@localhost"


class CliError(RuntimeError):
    """A problem the user can fix; the message says how."""


@dataclass
class Reply:
    status: int
    body: Any


def api_base(explicit: str | None = None) -> str:
    """The API's base URL; the app's own URL without ``/api`` (the Functions route prefix)
    means the same, e.g. ``http://127.0.0.1:7071`` or ``https://<app>.azurewebsites.net/``."""
    base = (explicit or os.environ.get("ONBOARD_API") or DEFAULT_API).strip().rstrip("/")
    parts = urllib.parse.urlsplit(base)
    if parts.scheme in ("http", "https") and parts.path in ("", "/"):
        return f"{base}/api"
    return base


def local_principal(role: str, name: str = LOCAL_USER) -> str:
    """The Easy Auth principal header for a local caller holding ``role``."""
    doc = {
        "auth_typ": "aad",
        "name_typ": "name",
        "role_typ": "roles",
        "claims": [{"typ": "roles", "val": role}, {"typ": "name", "val": name}],
    }
    return base64.b64encode(json.dumps(doc).encode()).decode()


def auth_headers(api: str, role: str) -> dict[str, str]:
    token = os.environ.get("ONBOARD_TOKEN")
    if token:
        return {"Authorization": f"Bearer {token}"}
    host = urllib.parse.urlsplit(api).hostname or ""
    if host in LOCAL_HOSTS:
        return {"x-ms-client-principal": local_principal(role)}
    raise CliError(
        f"{api} is not local: set ONBOARD_TOKEN to an Entra access token for the app, e.g. "
        "ONBOARD_TOKEN=$(az account get-access-token --resource api://<app-client-id> "
        "--query accessToken -o tsv)"
    )


def call(method: str, url: str, *, role: str, body: Any = None, timeout: float = 30) -> Reply:
    """One request; connection problems become a CliError naming the URL."""
    headers = {"Accept": "application/json", **auth_headers(url, role)}
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw, status = response.read(), response.status
    except urllib.error.HTTPError as err:
        raw, status = err.read(), err.code
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise CliError(
            f"cannot reach {url} ({reason}); is the app running? Start it with `onboard serve`."
        ) from None
    text = raw.decode("utf-8", "replace")
    try:
        parsed: Any = json.loads(text) if text else None
    except ValueError:
        parsed = text
    return Reply(status, parsed)
