"""Service Bus enqueue -> run started, measured in wall time on the local stack.

A request is sent to ``onboarding-requests`` with the real SDK; the figure is the wall time
from ``send_messages`` returning to the run's instance existing in devhost (the trigger ran and
the Durable client's start was recorded). Several messages, one at a time, mean and worst.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from azure.servicebus import ServiceBusClient, ServiceBusMessage

from cli.samples import load_sample
from cli.stack import LocalStack, StackOptions
from shared.request import instance_id_for
from triggers.servicebus import QUEUE


@dataclass
class Latency:
    samples_ms: list[float]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples_ms)

    @property
    def worst(self) -> float:
        return max(self.samples_ms)


def enqueue_to_started(tmp: Path, count: int = 10) -> Latency:
    samples: list[float] = []
    with LocalStack(StackOptions(state_dir=tmp, port=0)) as stack:
        assert stack.sim is not None and stack.sim.servicebus is not None and stack.host
        connection = stack.sim.servicebus.connection_string
        client = ServiceBusClient.from_connection_string(connection)
        with client, client.get_queue_sender(QUEUE) as sender:
            # One message first, unmeasured: connection set-up and the first import.
            for n in range(count + 1):
                ticket = f"LAT-{n:04d}"
                body = load_sample("injection", ticketId=ticket)
                instance = instance_id_for(ticket)
                sender.send_messages(ServiceBusMessage(json.dumps(body)))
                sent = time.perf_counter()
                while stack.host.management.instance(instance) is None:
                    time.sleep(0.001)
                if n:
                    samples.append((time.perf_counter() - sent) * 1000)
                stack.host.terminate(instance, "bench")
    return Latency(samples)


if __name__ == "__main__":
    import tempfile

    figures = enqueue_to_started(Path(tempfile.mkdtemp(prefix="sb-latency-")))
    print(f"enqueue -> run started: mean {figures.mean:.0f} ms, worst {figures.worst:.0f} ms")
