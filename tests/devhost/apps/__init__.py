"""Sample Functions apps that the devhost tests run (they know nothing of onboarding)."""
