"""HTTP handlers for the authorization provider (work in progress)."""

from __future__ import annotations

from simulator.router import Router


def register(router: Router) -> None:
    """Add this provider's routes."""
