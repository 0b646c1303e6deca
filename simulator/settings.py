"""Timings and switches that shape the simulator's behaviour, set by seed or ``/_sim/timings``."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from simulator import errors


@dataclass
class Timings:
    """How long simulated work takes, in simulated time (the simulator's clock)."""

    # "Creating a workspace gateway ... can take up to 3 hours or more" (how-to-create-workspace).
    gateway_build_minutes: float = 180.0
    # Created -> Activating happens once the platform picks the build up.
    gateway_activating_after_minutes: float = 2.0
    gateway_delete_minutes: float = 15.0
    # Network and DNS writes take seconds in Azure; they end after this much simulated time
    # or after the given number of "InProgress" status polls, whichever comes first.
    short_operation_seconds: float = 5.0
    network_in_progress_polls: int = 0
    dns_in_progress_polls: int = 1
    config_connection_in_progress_polls: int = 1
    provider_registration_seconds: float = 30.0
    provider_registration_polls: int = 1
    # When set, status polls carry Retry-After with this many seconds.
    poll_retry_after_seconds: int | None = None
    # Injection-mode gateways expose a private VIP in properties.privateIPAddresses; turn it
    # off to reproduce real ARM, which has no such field (arm-behaviour.md §3.6).
    gateway_exposes_private_ip: bool = True
    # What APIM does with a config connection PUT while the gateway still builds: nothing
    # documents it (arm-behaviour.md open questions), so it is a switch the app must survive
    # under every value: "accept" (links at once), "refuse" (409 until the build succeeded),
    # "await-build" (accepted; the link stays Updating until the build ends, then follows it).
    config_connection_during_build: str = "accept"
    # Whether a role assignment PUT that sets principalType still checks the directory (a
    # principal not found, or still replicating, is then PrincipalNotFound). Real ARM skips it
    # ("skipped": the grant is made even for a principal that does not exist); "performed"
    # checks as without principalType (simulator/README.md, Authorization behaviour).
    directory_check_with_principal_type: str = "skipped"

    @property
    def short_operation(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.short_operation_seconds)

    def to_json(self) -> dict[str, Any]:
        return {_camel(f.name): getattr(self, f.name) for f in dataclasses.fields(self)}

    def update(self, values: dict[str, Any]) -> None:
        """Apply camelCase fields; unknown names and wrong types are refused, none applied."""
        by_camel = {_camel(f.name): f for f in dataclasses.fields(self)}
        staged: dict[str, Any] = {}
        for name, value in values.items():
            f = by_camel.get(name)
            if f is None:
                raise errors.bad_request(
                    "InvalidTiming",
                    f"Unknown timing '{name}'. Known timings: {', '.join(sorted(by_camel))}.",
                )
            staged[f.name] = _coerce(name, f, value)
        for attr, value in staged.items():
            setattr(self, attr, value)


def _coerce(name: str, f: dataclasses.Field[Any], value: Any) -> Any:
    kind = str(f.type)
    choices = _CHOICES.get(f.name)
    if choices is not None:
        if value not in choices:
            raise errors.bad_request(
                "InvalidTiming", f"Timing '{name}' must be one of {', '.join(choices)}."
            )
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise errors.bad_request("InvalidTiming", f"Timing '{name}' must be true or false.")
        return value
    if value is None and "None" in kind:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise errors.bad_request("InvalidTiming", f"Timing '{name}' must be a number >= 0.")
    return int(value) if kind.startswith("int") else float(value)


_CHOICES = {
    "config_connection_during_build": ("accept", "refuse", "await-build"),
    "directory_check_with_principal_type": ("skipped", "performed"),
}


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(p.title() for p in rest)
