"""Activities: every side effect of the onboarding, one module per Azure resource provider."""
