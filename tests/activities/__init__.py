"""Activities against the ARM simulator with the real SDK clients."""
