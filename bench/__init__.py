"""Benchmarks (``make bench``): figures printed, never asserted; see docs/performance.md."""
