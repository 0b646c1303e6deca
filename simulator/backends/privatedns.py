"""Private DNS backend (work in progress)."""

from __future__ import annotations

from simulator.backends.base import Backend


class PrivateDnsBackend(Backend):
    """Private DNS zones, virtual network links and record sets."""
