"""devhost's local principal: a stand-in for Easy Auth's session, only for requests with none."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from devhost import DevHost
from devhost.local_auth import parse_roles
from tests.devhost.conftest import APP, REPO, http


def _roles(principal: dict) -> list[str]:
    return [c["val"] for c in principal["claims"] if c["typ"] == "roles"]


def test_off_by_default_nothing_is_injected(host: DevHost) -> None:
    assert host.local_roles is None
    assert http("GET", f"{host.api_url}/whoami").status == 401


def test_a_request_without_a_principal_gets_the_local_one(tmp_path: Path) -> None:
    with DevHost(
        APP,
        app_dir=REPO,
        db=tmp_path / "h.sqlite",
        clock="virtual",
        local_principal="Onboarding.Operator, Onboarding.Reader",
    ) as host:
        reply = http("GET", f"{host.api_url}/whoami")
        assert reply.status == 200
        principal = reply.body["principal"]
        assert _roles(principal) == ["Onboarding.Operator", "Onboarding.Reader"]
        assert principal["role_typ"] == "roles" and principal["auth_typ"] == "aad"
        assert host.ready_info()["localPrincipal"] == ["Onboarding.Operator", "Onboarding.Reader"]

        # A request that brings its own principal keeps it, byte for byte.
        own = {"auth_typ": "aad", "claims": [{"typ": "roles", "val": "Onboarding.Reader"}]}
        header = base64.b64encode(json.dumps(own).encode()).decode()
        for name in ("x-ms-client-principal", "X-MS-CLIENT-PRINCIPAL"):
            kept = http("GET", f"{host.api_url}/whoami", headers={name: header})
            assert kept.body == {"raw": header, "principal": own}


def test_roles_must_be_named() -> None:
    assert parse_roles(["A", " A ", "B", ""]) == ("A", "B")
    with pytest.raises(ValueError, match="at least one app role"):
        parse_roles(" , ")


def test_command_line_option_is_parsed() -> None:
    from devhost.__main__ import parse_args

    assert parse_args([]).local_principal is None
    args = parse_args(["--local-principal", "Onboarding.Operator"])
    assert args.local_principal == "Onboarding.Operator"
    help_text = subprocess.run(
        [sys.executable, "-m", "devhost", "--help"], capture_output=True, text=True, cwd=REPO
    ).stdout
    assert "--local-principal" in help_text
