"""The gateway push signal's table rows: a waiter registers for its gateway, the event finds it.

A 2.0 waiter started with the push signal (shared/gateway_signal.py) runs ``watch_gateway`` once:
a row in the run index's table, partition ``gwwatch-<hash of the gateway id>``, RowKey the
waiter's instance id. triggers/gateway_signal.py reads the partition when an event for the
gateway arrives (:func:`watchers`) and drops rows whose waiter no longer runs (:func:`forget`).
Best effort like the build statistics: without the index (RUN_INDEX_ENDPOINT unset) or when the
table fails, nothing is registered and the waiter simply polls on its schedule.
"""

from __future__ import annotations

import logging

from shared import gateway_signal
from shared.gateway_signal import WatchGatewayInput, Watching
from shared.run_index_store import index_enabled, run_index_table

log = logging.getLogger("onboarding.gateway_signal")
MAX_WATCHERS = 100  # waiters of one gateway looked at per event (one per run that builds it)


def watch_gateway(inp: WatchGatewayInput) -> Watching:
    if not index_enabled():
        return Watching(watching=False)
    try:
        run_index_table().upsert({
            "PartitionKey": gateway_signal.partition(inp.gateway_id),
            "RowKey": inp.instance_id,
            "gatewayId": inp.gateway_id,
            "since": inp.since,
        })  # fmt: skip
        return Watching(watching=True)
    except Exception:
        log.warning("gateway watch not registered", exc_info=True,
                    extra={"instanceId": inp.instance_id})  # fmt: skip
        return Watching(watching=False)


def watchers(gateway_id: str) -> list[str]:
    """The instance ids of the waiters registered for ``gateway_id`` (none: index off)."""
    if not index_enabled():
        return []
    page = run_index_table().first_page(
        gateway_signal.partition(gateway_id), MAX_WATCHERS, ["RowKey", "gatewayId"]
    )
    wanted = gateway_signal.gateway_key(gateway_id)
    # The hash names the partition; the stored id guards against a collision.
    return [
        str(e["RowKey"]) for e in page
        if gateway_signal.gateway_key(str(e.get("gatewayId") or gateway_id)) == wanted
    ]  # fmt: skip


def forget(gateway_id: str, instance_id: str) -> None:
    """Drop a waiter's row (it ended: nothing will receive its gateway's events)."""
    try:
        run_index_table().table.delete_entity(gateway_signal.partition(gateway_id), instance_id)
    except Exception:  # a stale row costs one failed raise per event, nothing else
        log.info("gateway watch row not removed", exc_info=True)
