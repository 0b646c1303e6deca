"""docs/performance.md is the bench's output: written by bench/report.py, never by hand.

The figures change with every run, so they are not compared; the page's marker and its
sections are, against what the renderer produces.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

from bench.measure import RunFigures
from bench.report import HEADINGS, MARK, TITLE, BenchFigures, WaitRow, render

PAGE = Path(__file__).resolve().parents[2] / "docs" / "performance.md"


def sections(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("## ")]


def sample() -> BenchFigures:
    run = RunFigures(outcome="Succeeded", requests_by_verb=Counter(GET=30, PUT=5), polls=10,
                     notice_delay=dt.timedelta(minutes=1), overhead=dt.timedelta(minutes=2))  # fmt: skip
    build = [dt.timedelta(hours=3)]
    return BenchFigures(
        when="now", commit="abc", machine="here", command="make bench", modes={"none": run},
        minimum={"none": 12}, faults={50: run}, servicebus_ms=[20.0],
        waits=[WaitRow("ours, recorded durations", 3, build, [9], [dt.timedelta(minutes=2)])],
    )  # fmt: skip


def test_the_renderer_writes_every_section_in_order() -> None:
    text = render(sample())
    assert text.startswith(f"{TITLE}\n\n{MARK}\n")
    assert sections(text) == list(HEADINGS)


def test_docs_performance_is_the_renderers_output() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert page.startswith(f"{TITLE}\n\n{MARK}\n"), "docs/performance.md: run `make bench`"
    assert sections(page) == list(HEADINGS)
    assert re.search(r"by `(make bench|python -m bench[^`]*)`", page)
