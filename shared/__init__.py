"""Code both sides share: models, decisions, errors, settings and the client factory."""
