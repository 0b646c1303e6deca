"""What an operator's external event means, decided in one place (pure, unit-tested alone).

The saga waits on four kinds of operator event (shared/names.py): ``approval``,
``stalled_decision``, ``private_ip`` and ``failed_decision``, each wait under its own event name
(:func:`wait_event`); during any of those waits ``cancel`` (the operator API's terminate with
compensation) ends the run by undoing what it made. Payloads arrive in more than one shape: the
Durable host hands a ``raise_event`` payload to the orchestrator as JSON *text*
(durable-protocol.md §4), other hosts as the decoded value. Each parser accepts both and, when
the payload is unclear, returns the safe reading (not approved, abort, no IP) plus a reason,
never a guess.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal


def decode(payload: Any) -> Any:
    """The event value, whether it came as JSON text or already decoded."""
    if isinstance(payload, bytes | bytearray):
        payload = payload.decode("utf-8", "replace")
    if isinstance(payload, str):
        try:
            return json.loads(payload)
        except ValueError:
            return payload.strip()
    return payload


@dataclass(frozen=True)
class Approval:
    approved: bool
    by: str | None = None
    reason: str = ""


def parse_approval(payload: Any) -> Approval:
    """``{"approved": true, "by": "bob"}`` or a bare ``true``; anything else is a refusal."""
    value = decode(payload)
    if value is True:
        return Approval(approved=True)
    if isinstance(value, dict) and value.get("approved") is True:
        by = value.get("by")
        return Approval(approved=True, by=str(by) if by else None)
    if isinstance(value, dict):
        by = value.get("by")
        reason = str(value.get("reason") or "the approver refused")
        return Approval(approved=False, by=str(by) if by else None, reason=reason)
    return Approval(approved=False, reason=f"unreadable approval payload: {str(value)[:100]}")


StalledAction = Literal["keepWaiting", "abort"]


def parse_stalled_decision(payload: Any) -> StalledAction:
    """``{"action": "keepWaiting"}`` (or the bare string) keeps waiting; anything else aborts."""
    value = decode(payload)
    action = value.get("action") if isinstance(value, dict) else value
    return "keepWaiting" if action == "keepWaiting" else "abort"


@dataclass(frozen=True)
class SuppliedIp:
    ip: str | None
    problem: str = ""


def parse_private_ip(payload: Any, prefixes: Sequence[str] = ()) -> SuppliedIp:
    """``{"ip": "10.20.1.4"}`` or the bare address: a private IPv4 address, and when the
    gateway subnet's ``prefixes`` are known, a usable address inside one of them.

    Azure reserves five addresses of every subnet: the network address, the next three
    (default gateway, two for Azure DNS) and the broadcast address
    (https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq, "Are there any
    restrictions on using IP addresses within these subnets?"); none of them can be the VIP.
    """
    value = decode(payload)
    raw = value.get("ip") if isinstance(value, dict) else value
    try:
        address = ipaddress.IPv4Address(str(raw).strip())
    except ValueError:
        return SuppliedIp(None, f"'{str(raw)[:60]}' is not an IPv4 address")
    if not address.is_private or address.is_loopback or address.is_link_local:
        return SuppliedIp(None, f"{address} is not a private VNet address")
    networks = [ipaddress.IPv4Network(p, strict=False) for p in prefixes]
    if networks:
        inside = next((n for n in networks if address in n), None)
        if inside is None:
            listed = ", ".join(str(n) for n in networks)
            return SuppliedIp(None, f"{address} is not in the gateway subnet ({listed})")
        offset = int(address) - int(inside.network_address)
        if offset < 4 or address == inside.broadcast_address:
            return SuppliedIp(None, f"{address} is reserved by Azure in {inside}")
    return SuppliedIp(str(address))


def wait_event(kind: str, number: int) -> str:
    """The event name of the ``number``-th operator wait of a run, e.g. ``private_ip-2``.

    Each wait has its own name, so it consumes exactly one answer: an answer to an earlier
    wait (buffered by the host, or sent late) can never answer a later one.
    """
    return f"{kind}-{number}"


def wait_kind(event: str) -> str:
    """``private_ip-2`` -> ``private_ip``; a bare kind is returned as it is."""
    kind, _, number = event.rpartition("-")
    return kind if kind and number.isdigit() else event


@dataclass(frozen=True)
class Cancel:
    by: str
    reason: str


def parse_cancel(payload: Any) -> Cancel:
    """``{"by": "oncall", "reason": "wrong team"}``; the run is cancelled whatever it holds."""
    value = decode(payload)
    body = value if isinstance(value, dict) else {"reason": value}
    by = str(body.get("by") or "an operator")[:256]
    reason = str(body.get("reason") or "no reason given")[:500]
    return Cancel(by=by, reason=reason)


FailedAction = Literal["retry", "compensate"]


def parse_failed_decision(payload: Any) -> FailedAction:
    """``{"action": "retry"}`` (or the bare string) re-runs the failed step; else compensate."""
    value = decode(payload)
    action = value.get("action") if isinstance(value, dict) else value
    return "retry" if action == "retry" else "compensate"
