"""azd preprovision hook: refuse to provision with an environment that cannot work.

Checks every value infra/main.parameters.json reads from the azd environment before any
resource is touched, and names each bad value with what it must hold (all at once, not one per
run). ARM and Bicep would reject some of them too, but only minutes into a deployment and with
a less helpful message; some (a bad alert address, a workspace pattern that does not compile)
they would accept and the app would fail later. Standard library only.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping

import targets

GUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
BOOLEANS = {"", "true", "false"}

# (variable, lowest, highest) of the whole-number settings main.parameters.json maps.
WHOLE_NUMBERS = (
    ("POLICY_MAX_GATEWAY_UNITS", 1, 10),
    ("POLICY_APPROVAL_TIMEOUT_HOURS", 1, None),
    ("POLICY_REMINDER_HOURS", 1, None),
    ("POLICY_BUILD_DEADLINE_HOURS", 1, None),
    ("POLICY_STALLED_TIMEOUT_HOURS", 1, None),
    ("POLICY_PRIVATE_IP_TIMEOUT_HOURS", 1, None),
    ("POLICY_FAILED_STEP_HOLD_HOURS", 0, None),
    ("OPERATOR_WAIT_ALERT_HOURS", 1, 24),
)


def problems(env: Mapping[str, str]) -> list[str]:
    found: list[str] = []
    client = (env.get("ENTRA_API_CLIENT_ID") or "").strip()
    if not GUID.match(client):
        found.append(
            "ENTRA_API_CLIENT_ID must be the client (application) id of the API's app "
            "registration (docs/deploy.md 3.1)"
        )
    if not EMAIL.match((env.get("ALERT_EMAIL") or "").strip()):
        found.append("ALERT_EMAIL must be an e-mail address (a team list) for the alerts")
    try:
        targets.from_env(env)
    except targets.EnvInvalid as exc:
        found.append(str(exc))
    if (env.get("DURABLE_BACKEND") or "AzureStorage") not in {
        "AzureStorage",
        "DurableTaskScheduler",
    }:
        found.append("DURABLE_BACKEND must be AzureStorage or DurableTaskScheduler")
    for name in ("VNET_ENABLED", "POLICY_REQUIRE_APPROVAL"):
        if (env.get(name) or "").strip().lower() not in BOOLEANS:
            found.append(f"{name} must be true or false")
    for name, low, high in WHOLE_NUMBERS:
        raw = (env.get(name) or "").strip()
        if not raw:
            continue
        if not raw.isdigit() or int(raw) < low or (high is not None and int(raw) > high):
            bound = f"from {low} to {high}" if high is not None else f"of at least {low}"
            found.append(f"{name} must be a whole number {bound} (got {raw!r})")
    price = (env.get("POLICY_GATEWAY_UNIT_MONTHLY_PRICE") or "").strip()
    if price and not re.fullmatch(r"\d+(\.\d+)?", price):
        found.append("POLICY_GATEWAY_UNIT_MONTHLY_PRICE must be a decimal number such as 2803.20")
    currency = (env.get("POLICY_PRICE_CURRENCY") or "").strip()
    if currency and not re.fullmatch(r"[A-Za-z]{3}", currency):
        found.append("POLICY_PRICE_CURRENCY must be an ISO 4217 code such as EUR")
    pattern = env.get("POLICY_WORKSPACE_NAME_PATTERN") or ""
    if pattern.strip():
        try:
            re.compile(pattern)
        except re.error as exc:
            found.append(f"POLICY_WORKSPACE_NAME_PATTERN does not compile: {exc}")
    return found


def main() -> int:
    found = problems(os.environ)
    for problem in found:
        print(f"preprovision: {problem}", file=sys.stderr)
    if found:
        print("preprovision: fix the values with `azd env set NAME VALUE`", file=sys.stderr)
        return 1
    print("preprovision: environment values are usable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
