"""Loads the azd hooks of infra/hooks the way azd runs them (their folder first on sys.path)."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

from tests.infra import bicep_model as bm

HOOKS = bm.INFRA / "hooks"


@cache
def hook_module(name: str) -> ModuleType:
    """Load a hook module the way azd runs it: its folder first on sys.path, once per session."""
    if name in sys.modules and Path(str(sys.modules[name].__file__)).parent == HOOKS:
        return sys.modules[name]
    sys.path.insert(0, str(HOOKS))
    try:
        spec = importlib.util.spec_from_file_location(name, HOOKS / f"{name}.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses and `import targets` look it up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(HOOKS))
