"""``make bench``: print the waiting and load figures of docs/performance.md.

    python -m bench [--runs 200] [--quick]

Everything runs in this process on the virtual clock: the simulator, devhost with our app, and
the two baselines (the SDK's poller, the Durable monitor pattern). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import platform
import sys
import tempfile
from pathlib import Path

from bench.baselines import monitor_pattern, sdk_poller, timed
from bench.onboarding import concurrent_runs, one_run


def _m(delta: dt.timedelta | None) -> str:
    return "-" if delta is None else f"{delta.total_seconds() / 60:.1f} min"


def _row(*cells: object) -> None:
    print("| " + " | ".join(str(c) for c in cells) + " |")


def _table(*headers: str) -> None:
    _row(*headers)
    _row(*("---" for _ in headers))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=200, help="concurrent runs for the load row")
    parser.add_argument("--quick", action="store_true", help="skip the load row")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    for noisy in ("azure", "devhost", "onboarding"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    root = Path(tempfile.mkdtemp(prefix="onboard-bench-"))
    print(f"# bench on {platform.python_version()}, {platform.machine()}, virtual clock\n")

    print("## One onboarding per network mode (3 h gateway build)")
    history = "history events (total / max per instance)"
    _table(
        "mode",
        "outcome",
        "ARM requests (by verb)",
        "polls",
        "noticed after ready",
        history,
        "overhead beyond build",
        "wall",
    )
    ours_3h = None
    for mode in ("injection", "integration", "none", "shared"):
        figures, wall = timed(one_run, root / f"mode-{mode}", mode)
        verbs = ", ".join(f"{n} {v}" for v, n in sorted(figures.requests_by_verb.items()))
        _row(
            mode,
            figures.outcome,
            f"{sum(figures.requests_by_verb.values())} ({verbs})",
            figures.polls,
            _m(figures.notice_delay),
            f"{figures.history_total} / {figures.history_max_instance}",
            _m(figures.overhead),
            f"{wall:.1f} s",
        )
        if mode == "injection":
            ours_3h = figures

    print("\n## Build length (injection mode; build deadline raised to 24 h)")
    _table("build", "polls", "noticed after ready", history, "overhead beyond build")
    for minutes in (10, 60, 180, 720):
        figures = one_run(root / f"build-{minutes}", "injection", minutes, deadline_hours=24)
        _row(
            f"{minutes} min",
            figures.polls,
            _m(figures.notice_delay),
            f"{figures.history_total} / {figures.history_max_instance}",
            _m(figures.overhead),
        )

    print("\n## Baselines over the same 3 h build")
    sdk, _ = timed(sdk_poller, root / "sdk", 180)
    monitor, _ = timed(monitor_pattern, root / "monitor", 180)
    assert ours_3h is not None
    _table("approach", "polls", "noticed after ready", "history events", "our polls / theirs")
    _row(
        "ours (adaptive durable timers)",
        ours_3h.polls,
        _m(ours_3h.notice_delay),
        f"{ours_3h.history_max_instance} max per instance",
        "1.00",
    )
    _row(
        "SDK poller (default interval)",
        sdk.polls,
        _m(sdk.notice_delay),
        "n/a (a worker held for the build)",
        f"{ours_3h.polls / max(sdk.polls, 1):.3f}",
    )
    _row(
        "Durable monitor, fixed 1 min",
        monitor.polls,
        _m(monitor.notice_delay),
        f"{monitor.history} in one instance",
        f"{ours_3h.polls / max(monitor.polls, 1):.3f}",
    )

    if not args.quick:
        print(f"\n## {args.runs} concurrent onboardings (mode none, 3 h builds)")
        load = concurrent_runs(root / "load", args.runs)
        _table(
            "runs",
            "wall",
            "wall per run",
            "CPU (one process)",
            "CPU per run",
            "episodes",
            "outcomes",
        )
        _row(
            load.runs,
            f"{load.wall_seconds:.1f} s",
            f"{load.wall_seconds / load.runs * 1000:.0f} ms",
            f"{load.cpu_seconds:.1f} s",
            f"{load.cpu_seconds / load.runs * 1000:.0f} ms",
            load.episodes,
            dict(load.outcomes),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
