"""One backend per Azure resource provider; each holds its provider's state and rules."""
