"""Runs the Azure CLI for the azd hooks: JSON out, a typed error with az's own message."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

Az = Callable[[list[str]], Any]


class AzFailed(RuntimeError):
    """An az command failed; the message holds its stderr."""


def run_az(args: list[str]) -> Any:
    exe = shutil.which("az")
    if exe is None:
        raise AzFailed("the Azure CLI (az) is not on PATH")
    proc = subprocess.run(
        [exe, *args, "--output", "json"], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise AzFailed(proc.stderr.strip() or f"az {' '.join(args[:3])} failed")
    return json.loads(proc.stdout) if proc.stdout.strip() else None
