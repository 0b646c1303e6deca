"""Keep another service's clock in step with devhost's virtual clock.

``follow_url(url)`` returns a jump listener that POSTs ``{"now": "<ISO>"}`` to ``url`` on every
jump (the ARM simulator's ``/_sim/clock/set`` takes exactly that). It runs before the timers the
jump made due are delivered, so whatever the woken orchestrations call next sees the new time.
"""

from __future__ import annotations

import json
import ssl
import urllib.request
from datetime import datetime

from devhost.clock import JumpListener


def follow_url(url: str, cafile: str | None = None, timeout: float = 10.0) -> JumpListener:
    """A listener that sets the remote clock to the new virtual time."""
    context = ssl.create_default_context(cafile=cafile) if url.startswith("https") else None

    def listener(_old: datetime, new: datetime) -> None:
        body = json.dumps({"now": new.isoformat().replace("+00:00", "Z")}).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own setting
            url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:  # noqa: S310
            response.read()

    return listener
