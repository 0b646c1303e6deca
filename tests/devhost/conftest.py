"""Fixtures: a DevHost on a virtual clock with the sequencing oracle on, plus HTTP helpers."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devhost import DevHost

APP = "tests.devhost.apps.scenarios"
REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def host(tmp_path: Path) -> Iterator[DevHost]:
    """A started host; every test also proves the sequence numbers matched the SDK's."""
    with DevHost(
        APP, app_dir=REPO, db=tmp_path / "devhost.sqlite", clock="virtual", check_sequencing=True
    ) as started:
        yield started
        assert started.engine.stats.sequence_mismatches == []


@dataclass
class Reply:
    """An HTTP answer: status, headers, parsed JSON body (or text / None)."""

    status: int
    headers: dict[str, str]
    body: Any


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Reply:
    """A plain stdlib HTTP call (no SDK in between)."""
    data = None
    all_headers = dict(headers or {})
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            raw, status, reply_headers = response.read(), response.status, dict(response.headers)
    except urllib.error.HTTPError as err:
        raw, status, reply_headers = err.read(), err.code, dict(err.headers)
    text = raw.decode()
    try:
        parsed: Any = json.loads(text) if text else None
    except ValueError:
        parsed = text
    return Reply(status, reply_headers, parsed)
