"""One long-lived asyncio loop per process, on a daemon thread, for all async user code.

The durable SDK keeps a module-global aiohttp ClientSession bound to the first loop that used
it; calling client methods from a second loop fails with "Event loop is closed". The Python
worker runs everything on one loop, so devhost does the same: the HTTP server, async HTTP
functions, async activities and trigger kinds all share this loop, across DevHost instances.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import sys
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def shared_loop() -> asyncio.AbstractEventLoop:
    """The process-wide loop, started on first use."""
    global _loop
    with _lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            threading.Thread(target=run, name="devhost-loop", daemon=True).start()
            ready.wait()
            _loop = loop
            atexit.register(_close_sdk_session)
        return _loop


def _close_sdk_session() -> None:
    """Close the durable SDK's global aiohttp session on its own loop (no "Unclosed" noise)."""
    http_utils = sys.modules.get("azure.durable_functions.models.utils.http_utils")
    closer = getattr(http_utils, "_close_session", None)
    if _loop is None or closer is None or not _loop.is_running():
        return
    # Best effort at interpreter exit.
    with contextlib.suppress(Exception):
        asyncio.run_coroutine_threadsafe(closer(), _loop).result(5)


def run_on_loop(coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
    """Run a coroutine on the shared loop from another thread and wait for its result."""
    loop = shared_loop()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        coro.close()
        raise RuntimeError("run_on_loop called from the shared loop itself; await instead")
    return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)
