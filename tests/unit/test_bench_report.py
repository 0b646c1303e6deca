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
from bench.onboarding import LoadFigures
from bench.report import (
    HEADINGS,
    MARK,
    MATCHED,
    OURS,
    TITLE,
    TUNED,
    BenchFigures,
    WaitRow,
    fewer_polls_verdict,
    goal_met,
    goals,
    matched_interval,
    matched_verdict,
    render,
)

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


def _row(approach: str, polls: list[int], notice_min: list[float]) -> WaitRow:
    builds = [dt.timedelta(hours=1)] * len(polls)
    return WaitRow(approach, 1, builds, polls, [dt.timedelta(minutes=m) for m in notice_min])


def test_the_matched_interval_notices_no_later_than_ours_at_worst_or_on_average() -> None:
    ours = _row(OURS, [9, 10], [0.5, 1.5])  # worst 90 s, mean 60 s
    assert matched_interval(ours) == 90.0  # min(worst, 2 x mean)
    assert matched_interval(_row(OURS, [9, 9, 10], [0.1, 0.1, 1.5])) == 68.0  # 2 x mean 34 s
    assert matched_interval(_row(OURS, [9], [0.0])) == 30.0  # never below the SDK's default


def test_the_verdict_needs_fewer_polls_and_a_notice_as_soon_at_worst_and_on_average() -> None:
    ours = _row(OURS, [9, 10], [0.5, 1.5])
    assert fewer_polls_verdict(ours, _row("m", [50, 60], [0.7, 1.5])) == (
        "ours: fewer polls, noticed as soon or sooner"
    )
    assert fewer_polls_verdict(ours, _row("m", [7, 8], [4.0, 7.0])) == (
        "ours: more polls, noticed sooner"
    )
    assert fewer_polls_verdict(ours, _row("m", [50, 60], [0.1, 1.4])) == (
        "ours: fewer polls, noticed later"
    )


def test_a_matched_baseline_is_compared_only_when_it_noticed_as_soon() -> None:
    ours = _row(OURS, [9, 11], [0.5, 1.5])
    assert matched_verdict(ours, _row("m", [50, 70], [0.4, 1.4])) == (
        "to notice as soon it needs 6.0x our polls"
    )
    assert matched_verdict(ours, _row("m", [50, 70], [0.4, 1.6])).startswith("at this interval")


def test_the_goal_is_met_only_against_both_baselines_at_equal_or_better_delay() -> None:
    ours = _row(OURS, [9, 10], [0.5, 1.5])
    slow_sdk, slow_monitor = _row(TUNED[0], [8, 9], [4.0, 7.0]), _row(TUNED[1], [7, 8], [4, 7])
    fast = [_row(f"SDK poller, 90 s {MATCHED}", [40, 41], [0.5, 1.4]),
            _row(f"monitor, 90 s {MATCHED}", [39, 40], [0.5, 1.4])]  # fmt: skip
    assert goal_met(ours, [ours, slow_sdk, slow_monitor, *fast])
    assert not goal_met(ours, [ours, slow_sdk, slow_monitor])  # no baseline at our delay
    cheap_monitor = _row(f"monitor, 90 s {MATCHED}", [8, 9], [0.5, 1.4])  # as soon, fewer polls
    assert not goal_met(ours, [ours, slow_sdk, slow_monitor, fast[0], cheap_monitor])


def test_the_reading_names_the_verdict_against_tuned_and_matched_baselines() -> None:
    figures = sample()
    ours = _row(OURS, [9, 10], [0.5, 1.5])
    figures.waits = [ours, _row(TUNED[0], [7, 8], [4.0, 7.0]),
                     _row(f"SDK poller, 90 s {MATCHED}", [40, 41], [0.5, 1.4])]  # fmt: skip
    text = render(figures)
    assert "SDK poller, 600 s: 7.5 polls, within 11.67 % (ours: more polls, noticed sooner)" in text
    assert f"SDK poller, 90 s {MATCHED}: 40.5 polls, within 2.33 % (to notice as soon it" in text
    assert "at the same or better notice delay: NOT met" in text  # no monitor measured


def test_arm_requests_are_read_against_the_bare_minimum_and_the_accounted_one() -> None:
    figures = sample()  # 35 requests, 10 polls: 25 beyond the polls
    figures.minimum, figures.accounted = {"none": 20}, {"none": 25}
    text = render(figures)
    assert "| 25 / 20 = 1.25x / 25 = 1.00x |" in text
    assert (
        "| ARM requests within 1.15x of the hand-written minimum, none | 1.25x without "
        "ownership reads, 1.00x with them | NOT met |"
    ) in text
    figures.minimum = {"none": 22}
    assert ("ARM requests within 1.15x of the hand-written minimum, none", "1.14x without "
            "ownership reads, 1.00x with them", True) in goals(figures)  # fmt: skip


def test_each_goal_is_decided_by_its_figure_or_said_to_be_unmeasured() -> None:
    figures = sample()  # one 3 h sample: 9 polls, 2 min late (1.11 %); 50 % faults: 0 events
    verdicts = {goal: ok for goal, _, ok in goals(figures)}
    assert verdicts["at most 15 polls for a 3 h build"] is True
    assert verdicts["completion noticed within 2 % of the build (1, 3, 12 h)"] is True
    assert verdicts["Service Bus request to run started within 50 ms"] is True
    assert verdicts["CPU per run at the larger load within 10 % of the smaller"] is None
    figures.waits[0].polls, figures.servicebus_ms = [16], [20.0, 51.0]
    figures.faults[50].history_max_instance = 101
    verdicts = {goal: ok for goal, _, ok in goals(figures)}
    assert verdicts["at most 15 polls for a 3 h build"] is False
    assert verdicts["Service Bus request to run started within 50 ms"] is False
    assert verdicts["at most 100 history events per execution with half the polls failing"] is False
    assert "| CPU per run at the larger load within 10 % of the smaller | - | not measured |" in (
        render(figures)
    )


def test_cpu_per_run_is_compared_between_the_smallest_and_largest_load() -> None:
    figures = sample()
    figures.loads = [LoadFigures(50, 30.0, 35.0, Counter(Succeeded=50), 100),
                     LoadFigures(200, 140.0, 153.0, Counter(Succeeded=200), 400)]  # fmt: skip
    text = render(figures)
    assert "CPU per run at 200 runs is 1.09x that at 50 runs." in text
    assert "| CPU per run at the larger load within 10 % of the smaller | 1.09x | met |" in text
    figures.loads[1].cpu_seconds = 155.0
    assert "| 1.11x | NOT met |" in render(figures)
