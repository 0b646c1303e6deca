"""devhost's local sign-in (the dashboard's Sign in link, locally): where it sends the browser
back to, and the principal its cookie carries (devhost/local_signin.py)."""

from __future__ import annotations

import base64
import json

import pytest

from devhost.local_auth import principal_header
from devhost.local_signin import LOCAL_NAME, _back, _page


@pytest.mark.parametrize(
    ("target", "back"),
    [
        ("/api/dashboard#/runs/onboard-chg-1", "/api/dashboard#/runs/onboard-chg-1"),
        (None, "/api/dashboard"),
        ("", "/api/dashboard"),
        ("https://evil.example/", "/api/dashboard"),  # never another site
        ("//evil.example/x", "/api/dashboard"),
        ("javascript:alert(1)", "/api/dashboard"),
        ("api/dashboard", "/api/dashboard"),
    ],
)
def test_sign_in_returns_only_to_a_path_of_this_host(target: str | None, back: str) -> None:
    assert _back(target) == back


def test_the_page_says_it_is_local_and_escapes_where_it_returns() -> None:
    page = _page("/api/dashboard#/runs/x'><script>")
    assert "no Entra ID" in page and "--local-principal" in page
    assert "<script>" not in page


def test_the_cookie_carries_the_chosen_roles_as_easy_auth_would() -> None:
    doc = json.loads(base64.b64decode(principal_header(["Onboarding.Reader"], LOCAL_NAME)))
    roles = [c["val"] for c in doc["claims"] if c["typ"] == "roles"]
    assert roles == ["Onboarding.Reader"]
