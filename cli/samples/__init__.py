"""Sample onboarding requests (valid against the simulator's default seed), for demo and tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
NAMES = ("injection", "integration-shared", "failing-access")


def load_sample(name: str, **changes: Any) -> dict[str, Any]:
    """The sample request ``name`` (without ``.json``), with top-level fields replaced."""
    body: dict[str, Any] = json.loads((HERE / f"{name}.json").read_text())
    body.update(changes)
    return body
