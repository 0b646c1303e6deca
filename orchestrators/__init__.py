"""Orchestrations: pure generators that only yield Durable tasks (no I/O, no SDKs, no clock)."""
