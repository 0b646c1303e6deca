"""orchestrators/ stays pure: no SDK clients, no I/O, no clock, no randomness, no activities."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "orchestrators").glob("*.py"))

BANNED_MODULES = (
    "azure.mgmt", "azure.identity", "azure.servicebus", "azure.core", "requests", "aiohttp",
    "urllib", "http", "socket", "subprocess", "os", "time", "random", "secrets", "uuid",
    "threading", "asyncio", "activities", "simulator", "devhost", "sqlite3", "logging",
)  # fmt: skip
BANNED_CALLS = {"now", "utcnow", "today", "open", "print", "sleep", "uuid4", "getenv"}


def _imports(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return found


def test_there_are_orchestrators_to_check():
    assert len(FILES) >= 3


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_banned_imports(path):
    tree = ast.parse(path.read_text())
    bad = [
        m for m in _imports(tree) if any(m == b or m.startswith(b + ".") for b in BANNED_MODULES)
    ]
    assert bad == [], f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_clock_io_or_random_calls(path):
    tree = ast.parse(path.read_text())
    calls = {
        node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    }
    assert calls & BANNED_CALLS == set(), f"{path.name} calls {calls & BANNED_CALLS}"


def test_the_check_catches_a_violation(tmp_path):
    sample = "import time\nimport datetime as dt\nx = dt.datetime.now()\n"
    tree = ast.parse(sample)
    assert "time" in _imports(tree)
    assert any(isinstance(n, ast.Attribute) and n.attr == "now" for n in ast.walk(tree))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_functions_stay_short_and_typed(path):
    """The procedure reads top to bottom: short functions, a typed context, no type escapes."""
    text = path.read_text()
    tree = ast.parse(text)
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and (node.end_lineno or 0) - node.lineno >= 60
    ]
    assert long == [], f"{path.name}: {long}"
    assert "type: ignore" not in text
    untyped = [
        node.arg
        for node in ast.walk(tree)
        if isinstance(node, ast.arg) and node.arg in ("context", "ctx")
        and isinstance(node.annotation, ast.Name) and node.annotation.id == "Any"
    ]  # fmt: skip
    assert untyped == [], f"{path.name}: context typed Any"
