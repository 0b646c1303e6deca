"""Import a v2 Functions app module and index its functions by trigger kind.

``app.get_functions()`` builds the functions from the decorators and may be called only once
(a second call raises "does not have a unique function name"), so the result is cached here.
The module is imported under its own name (``function_app`` by default) because the SDK's
custom-object codec resolves ``__module__`` through ``sys.modules`` only.
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import azure.functions as func

from devhost.versioning import VersioningSettings


@dataclass
class FunctionEntry:
    """One indexed function: its name, trigger binding, other bindings and callable."""

    name: str
    trigger_type: str
    trigger: Any
    bindings: list[Any]
    fn: Any

    @property
    def parameters(self) -> set[str]:
        """Parameter names of the user function (through ``functools.wraps``)."""
        return set(inspect.signature(self.fn).parameters)

    def bindings_of(self, binding_type: str) -> list[Any]:
        """Non-trigger bindings of one type (e.g. ``durableClient``)."""
        return [b for b in self.bindings if b.get_binding_name() == binding_type]


@dataclass
class AppIndex:
    """The functions of an app grouped the way the host dispatches them."""

    module_name: str
    app: Any
    app_dir: Path
    functions: list[FunctionEntry]
    orchestrators: dict[str, FunctionEntry] = field(default_factory=dict)
    activities: dict[str, FunctionEntry] = field(default_factory=dict)
    host_json: dict[str, Any] = field(default_factory=dict)

    def of_trigger(self, trigger_type: str) -> list[FunctionEntry]:
        """All functions with this trigger type (e.g. ``httpTrigger``)."""
        return [f for f in self.functions if f.trigger_type == trigger_type]

    @property
    def hub_name(self) -> str:
        """Task hub from host.json, else Core Tools' local default."""
        durable = self.host_json.get("extensions", {}).get("durableTask", {})
        return str(durable.get("hubName") or "TestHubName")

    @property
    def route_prefix(self) -> str:
        """``extensions.http.routePrefix`` from host.json (default ``api``)."""
        http = self.host_json.get("extensions", {}).get("http", {})
        return str(http.get("routePrefix", "api")).strip("/")

    @property
    def versioning(self) -> VersioningSettings:
        """Orchestration versioning from host.json (ValueError for an invalid setting)."""
        return VersioningSettings.from_host_json(self.host_json)


def read_host_json(app_dir: Path) -> dict[str, Any]:
    """``host.json`` of the app directory, or {} when there is none."""
    path = app_dir / "host.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def load_app(module_name: str = "function_app", app_dir: str | Path | None = None) -> AppIndex:
    """Import ``module_name`` (with ``app_dir`` first on sys.path) and index its app."""
    directory = Path(app_dir or ".").resolve()
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
    module = importlib.import_module(module_name)
    app = _find_app(module)
    # get_functions() remembers every name it indexed and refuses them a second time; when
    # something in this process indexed the app already (a test, another host), start afresh.
    # The builders return the same Function objects, so nothing is registered twice.
    if getattr(app, "functions_bindings", None):
        app.functions_bindings = {}
    entries = [_entry(f) for f in app.get_functions()]
    index = AppIndex(
        module_name=module_name,
        app=app,
        app_dir=directory,
        functions=entries,
        host_json=read_host_json(directory),
    )
    for entry in entries:
        if entry.trigger_type == "orchestrationTrigger":
            # The host registers the trigger's ``orchestration`` override if set.
            name = getattr(entry.trigger, "orchestration", None) or entry.name
            index.orchestrators[name] = entry
        elif entry.trigger_type == "activityTrigger":
            name = getattr(entry.trigger, "activity", None) or entry.name
            index.activities[name] = entry
    return index


def _find_app(module: Any) -> Any:
    preferred = getattr(module, "app", None)
    if isinstance(preferred, func.FunctionRegister):
        return preferred
    for value in vars(module).values():
        if isinstance(value, func.FunctionRegister):
            return value
    raise LookupError(f"module {module.__name__!r} defines no FunctionApp / DFApp object")


def _entry(function: Any) -> FunctionEntry:
    trigger = function.get_trigger()
    return FunctionEntry(
        name=function.get_function_name(),
        trigger_type=trigger.get_binding_name(),
        trigger=trigger,
        bindings=[b for b in function.get_bindings() if b is not trigger],
        fn=function.get_user_function(),
    )
