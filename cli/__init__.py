"""Command-line tools of the project (the `onboard` command and the simulator demo)."""
