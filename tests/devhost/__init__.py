"""Tests of devhost, the local Functions + Durable host."""
