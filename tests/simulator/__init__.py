"""Tests of the ARM simulator, driven with the real azure-mgmt SDK clients over HTTPS."""
