"""``python -m devhost``: run an app like ``func start`` would, until SIGTERM/SIGINT.

Prints one line ``READY {"api": "http://127.0.0.1:7071/api", ...}`` once the HTTP port answers
and the engine runs, then serves until stopped.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from datetime import datetime

from devhost.clock import Clock, RealClock, VirtualClock
from devhost.clock_sync import follow_url
from devhost.host import DevHost


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m devhost", description=__doc__)
    parser.add_argument("--app", default="function_app", help="module that defines `app`")
    parser.add_argument("--app-dir", default=".", help="directory put first on sys.path")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7071, help="0 picks a free port")
    parser.add_argument("--db", default=".state/devhost.sqlite", help="SQLite file (WAL)")
    parser.add_argument("--clock", choices=["real", "virtual"], default="real")
    parser.add_argument("--clock-start", help="virtual clock start (ISO-8601, UTC)")
    parser.add_argument(
        "--clock-follower",
        action="append",
        default=[],
        help="URL to POST {'now': ISO} to on every virtual jump (e.g. .../_sim/clock/set)",
    )
    parser.add_argument("--clock-follower-ca", help="CA bundle for an https follower")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="Python worker threads shared by sync activities and orchestrators "
        "(default: PYTHON_THREADPOOL_THREAD_COUNT, else min(32, cpus + 4))",
    )
    parser.add_argument("--sync", default="FULL", choices=["FULL", "NORMAL"])
    parser.add_argument("--check-sequencing", action="store_true")
    parser.add_argument(
        "--local-principal",
        metavar="ROLE[,ROLE...]",
        help="inject an x-ms-client-principal with these app roles into HTTP requests that "
        "carry none (a local stand-in for Easy Auth's sign-in session; off by default)",
    )
    parser.add_argument("--log-level", default="WARNING")
    return parser.parse_args(argv)


def build_clock(args: argparse.Namespace) -> Clock:
    """The clock the options ask for."""
    if args.clock == "real":
        return RealClock()
    start = (
        datetime.fromisoformat(args.clock_start.replace("Z", "+00:00"))
        if args.clock_start
        else None
    )
    clock = VirtualClock(start)
    for url in args.clock_follower:
        clock.on_jump(follow_url(url, args.clock_follower_ca))
    return clock


def main(argv: list[str] | None = None) -> int:
    """Run until a signal arrives."""
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    host = DevHost(
        args.app,
        app_dir=args.app_dir,
        db=args.db,
        host=args.host,
        port=args.port,
        clock=build_clock(args),
        activity_workers=args.workers,
        check_sequencing=args.check_sequencing,
        synchronous=args.sync,
        local_principal=args.local_principal,
    )
    stop = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    host.start()
    print("READY " + json.dumps(host.ready_info()), flush=True)
    while not stop.wait(0.5):
        pass
    host.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
