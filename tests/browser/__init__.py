"""Browser tests: the dashboard page driven in Debian's Chromium through Playwright."""
