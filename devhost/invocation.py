"""Calling a user function the way the Python worker does: keyword arguments per binding.

The trigger value goes to the trigger's argument name; a ``durableClient`` binding receives the
JSON string the host would pass (the SDK's middleware turns it into a client); a parameter
named ``context`` receives a ``func.Context``. Coroutine functions are awaited on the shared
loop, plain functions run in the loop's default thread pool so they cannot block it.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
import uuid
from typing import Any

import azure.functions as func

from devhost.app_index import FunctionEntry


class _TraceContext:
    """Empty W3C trace context (no tracing locally)."""

    trace_parent = ""
    trace_state = ""
    attributes: dict[str, str] = {}


class _RetryContext:
    """No function-level retry policy locally."""

    retry_count = 0
    max_retry_count = 0
    exception = None


class InvocationContext(func.Context):
    """The ``context`` argument the worker injects."""

    def __init__(self, function_name: str, function_directory: str) -> None:
        """Give the invocation a fresh id."""
        self._invocation_id = str(uuid.uuid4())
        self._function_name = function_name
        self._function_directory = function_directory
        self._local = threading.local()

    @property
    def invocation_id(self) -> str:
        """A new GUID per invocation."""
        return self._invocation_id

    @property
    def thread_local_storage(self) -> Any:
        """Per-invocation thread-local storage."""
        return self._local

    @property
    def function_name(self) -> str:
        """The function's name."""
        return self._function_name

    @property
    def function_directory(self) -> str:
        """The app directory."""
        return self._function_directory

    @property
    def trace_context(self) -> Any:
        """An empty trace context."""
        return _TraceContext()

    @property
    def retry_context(self) -> Any:
        """No retries."""
        return _RetryContext()


def build_kwargs(
    entry: FunctionEntry,
    trigger_args: dict[str, Any],
    client_binding_json: str,
    app_dir: str,
) -> dict[str, Any]:
    """Keyword arguments for one invocation."""
    kwargs = dict(trigger_args)
    for binding in entry.bindings_of("durableClient"):
        kwargs[binding.name] = client_binding_json
    if "context" in entry.parameters and "context" not in kwargs:
        kwargs["context"] = InvocationContext(entry.name, app_dir)
    return kwargs


async def call_async(entry: FunctionEntry, kwargs: dict[str, Any]) -> Any:
    """Invoke on the current (shared) loop; sync functions go to the default executor."""
    if inspect.iscoroutinefunction(entry.fn):
        result = await entry.fn(**kwargs)
    else:
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(None, functools.partial(entry.fn, **kwargs))
    if inspect.isawaitable(result):
        result = await result
    return result
