"""``python -m simulator.servicebus``: run the Service Bus simulator standalone.

Prints one line ``READY {"servicebus": "<connection string>", "servicebus_port": N}`` once
it accepts connections, then serves until interrupted (SIGINT/SIGTERM).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
import threading
from pathlib import Path

from simulator.servicebus.runner import ServiceBusSimulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator.servicebus", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="TCP port (0 picks a free one)")
    parser.add_argument("--state-dir", type=Path, help="keep entity state here across restarts")
    parser.add_argument("--entities", type=Path, help="entity config JSON (default: the product's)")
    parser.add_argument("--verbose", action="store_true", help="log links and settlements")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with ServiceBusSimulator(
        state_dir=args.state_dir, port=args.port, entities=args.entities
    ) as sb:
        print("READY " + json.dumps(sb.ready_info()), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
