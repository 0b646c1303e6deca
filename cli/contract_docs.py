"""Writes (or checks) the generated contract documents in docs/ (``make schema``).

docs/request.schema.json (the request), docs/openapi.json (the HTTP API), docs/events/ (a
JSON Schema per event kind), docs/problems/ (one page per problem type). Each is generated from
the code that answers with it, so a test (tests/unit/test_problem_types.py) fails whenever the
committed copy and the code disagree: run ``make schema`` and commit.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

from shared import cloud_events, problem_types
from shared.openapi import document
from shared.request import json_schema

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _json(value: object) -> str:
    return json.dumps(value, indent=2, sort_keys=True) + "\n"


def _event_schema(kind: str) -> str:
    return _json(cloud_events.json_schema(kind))


def documents() -> dict[Path, Callable[[], str]]:
    """Every generated file and how to make its text."""
    docs: dict[Path, Callable[[], str]] = {
        DOCS / "request.schema.json": lambda: _json(json_schema()),
        DOCS / "openapi.json": lambda: _json(document()),
        DOCS / "problems" / "README.md": problem_types.index_markdown,
    }
    for event_kind in cloud_events.KINDS:
        docs[DOCS / "events" / f"{event_kind}.schema.json"] = partial(_event_schema, event_kind)
    for kind in problem_types.PROBLEM_TYPES:
        docs[DOCS / "problems" / f"{kind.slug}.md"] = partial(problem_types.markdown, kind)
    return docs


def stale() -> list[Path]:
    """Files whose committed text differs from what the code generates (or that are missing)."""
    return [p for p, make in documents().items() if not p.exists() or p.read_text() != make()]


def write() -> list[Path]:
    changed = stale()
    makers = documents()
    for path in changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(makers[path]())
    return changed


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--check"]:
        out = stale()
        for path in out:
            print(f"stale: {path.relative_to(ROOT)} (run make schema)")
        return 1 if out else 0
    for path in write():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
