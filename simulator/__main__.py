"""``python -m simulator``: run the ARM simulator standalone until interrupted.

Prints one line ``READY {json}`` (with ``simulator`` = HTTPS base URL and ``ca`` = path of
ca.pem) once it accepts requests.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path

from simulator.errors import ArmError
from simulator.runner import Simulator
from simulator.server import dumps_ready


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="TCP port (0 picks a free one)")
    parser.add_argument(
        "--state-dir", type=Path, default=Path(".state/simulator"), help="where ca.pem is kept"
    )
    parser.add_argument(
        "--clock",
        choices=["real", "virtual"],
        default="real",
        help="real: wall time (+ advances); virtual: moves only via /_sim/clock/advance",
    )
    parser.add_argument("--seed", type=Path, help="extra scenario JSON applied after the default")
    parser.add_argument("--empty", action="store_true", help="start without the default seed")
    parser.add_argument(
        "--servicebus",
        action="store_true",
        help="also run the Service Bus endpoint (AMQP); READY then carries its connection string",
    )
    parser.add_argument("--servicebus-port", type=int, default=0, help="AMQP port (0: any free)")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    try:
        extra = json.loads(args.seed.read_text()) if args.seed else None
    except (OSError, json.JSONDecodeError) as exc:
        print(f"error: cannot read seed file {args.seed}: {exc}", file=sys.stderr)
        return 2
    sim = Simulator(
        args.state_dir,
        port=args.port,
        clock=args.clock,
        seed=not args.empty,
        servicebus=args.servicebus,
        servicebus_port=args.servicebus_port,
    )
    try:
        sim.start()
    except OSError as exc:
        print(f"error: cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        return 1
    if extra is not None:
        try:
            sim.simulation.seed(extra)
        except ArmError as exc:
            sim.stop()
            print(f"error: seed file {args.seed} refused: {exc.message}", file=sys.stderr)
            return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(dumps_ready(sim.ready_info()), flush=True)
    stop.wait()
    sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
