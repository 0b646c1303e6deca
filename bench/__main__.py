"""``make bench``: measure, print and write docs/performance.md.

    python -m bench [--quick] [--loads 20,80] [--samples 4] [--no-write]

Everything runs in this process on the virtual clock: the simulator, devhost with our app, and
the baselines (the SDK's poller, the Durable monitor pattern) at their defaults and tuned.
Nothing is asserted; bench/report.py renders the page from the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.baselines import monitor_pattern, sdk_poller
from bench.measure import REQUEST_ACCOUNTED, REQUEST_MINIMUM
from bench.onboarding import concurrent_runs, jittered_runs, one_run
from bench.report import (
    MATCHED,
    OURS,
    PUSH,
    TUNED,
    BenchFigures,
    WaitRow,
    matched_interval,
    render,
)
from bench.servicebus_latency import enqueue_to_started

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "docs" / "performance.md"
LENGTHS_H = (1.0, 3.0, 12.0)


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                             capture_output=True, text=True, check=True)  # fmt: skip
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _fault(percent: int) -> list[dict[str, object]]:
    return [{"method": "GET", "path": "*/gateways/gw-bench-*", "status": 429,
             "code": "TooManyRequests", "retryAfter": 60, "probability": percent / 100,
             "seed": 17}]  # fmt: skip


def _progress(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip the concurrent runs")
    # make bench stays a few minutes on a shared 2-core machine with 20 and 80 concurrent runs
    # (the same 4x step); docs/performance.md is written with --loads 50,200 (its command line).
    parser.add_argument("--loads", default="20,80", help="concurrent runs to measure")
    parser.add_argument("--samples", type=int, default=4, help="jittered builds per length")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    for noisy in ("azure", "devhost", "onboarding", "simulator"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    root = Path(tempfile.mkdtemp(prefix="onboard-bench-"))
    started = time.perf_counter()
    command = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    command = command.strip() if command.strip() != "python -m bench" else "make bench"
    figures = BenchFigures(
        when=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), commit=_commit(),
        machine=f"{platform.machine()}, Python {platform.python_version()}", command=command,
        minimum=dict(REQUEST_MINIMUM), accounted=dict(REQUEST_ACCOUNTED),
    )  # fmt: skip

    for mode in ("injection", "integration", "none", "shared"):
        _progress(f"mode {mode}")
        figures.modes[mode] = one_run(root / f"mode-{mode}", mode)

    for n, hours in enumerate(LENGTHS_H):
        minutes, seed = hours * 60, 100 + n
        _progress(f"{hours:g} h builds")
        for learned, push, name in ((True, False, OURS), (False, False, "ours, no records"),
                                    (True, True, PUSH)):  # fmt: skip
            if not learned and hours != 3.0:
                continue
            samples = jittered_runs(root / f"wait-{hours}-{learned}-{push}", minutes,
                                    args.samples, seed, learned, push)  # fmt: skip
            figures.waits.append(WaitRow(name, hours, [s.build for s in samples],
                                         [s.polls for s in samples],
                                         [s.notice for s in samples]))  # fmt: skip
        ours = next(w for w in figures.waits if w.hours == hours and w.approach == OURS)
        builds = ours.builds
        matched = matched_interval(ours)
        baselines = [
            (TUNED[0], sdk_poller, 600.0),
            (TUNED[1], monitor_pattern, 600.0),
            (f"SDK poller, {matched:.0f} s {MATCHED}", sdk_poller, matched),
            (f"monitor, {matched:.0f} s {MATCHED}", monitor_pattern, matched),
        ]
        for k, (name, run, interval) in enumerate(baselines):
            polls, notices = [], []
            for i, build in enumerate(builds):
                got = run(root / f"base{k}-{hours}-{i}", build.total_seconds() / 60, interval)
                polls.append(got.polls)
                notices.append(got.notice_delay)
            figures.waits.append(WaitRow(name, hours, builds, polls, notices))
        if hours == 3.0:  # the defaults, once: hundreds of polls each
            sdk = sdk_poller(root / "sdk-default", 180)
            mon = monitor_pattern(root / "mon-default", 180, 60.0)
            for name, got in (("SDK poller, default (30 s)", sdk),
                              ("monitor, 1 min (docs)", mon)):  # fmt: skip
                figures.waits.append(WaitRow(name, hours, [dt.timedelta(hours=3)],
                                             [got.polls], [got.notice_delay]))  # fmt: skip

    for percent in (0, 10, 30, 50):
        _progress(f"{percent} % of polls failing")
        settings = {"ARM_RETRY_TOTAL": "0"}
        figures.faults[percent] = one_run(root / f"fault-{percent}", "none", settings=settings,
                                          faults=_fault(percent) if percent else None)  # fmt: skip

    _progress("Service Bus")
    figures.servicebus_ms = enqueue_to_started(root / "servicebus").samples_ms

    if not args.quick:
        for count in (int(c) for c in args.loads.split(",") if c.strip()):
            _progress(f"{count} concurrent runs")
            figures.loads.append(concurrent_runs(root / f"load-{count}", count))

    figures.wall_seconds = time.perf_counter() - started
    page = render(figures)
    print(page)
    if not args.no_write:
        PAGE.write_text(page, encoding="utf-8")
        _progress(f"wrote {PAGE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
