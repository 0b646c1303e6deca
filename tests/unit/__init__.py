"""Unit tests: pure decisions, orchestrators without a host, contracts."""
