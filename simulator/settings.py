"""Timings and switches that shape the simulator's behaviour, set by seed, ``/_sim/timings``
or ``/_sim/behaviour`` (the switches only; simulator/README.md "Switches")."""

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
    # Switches: what Azure does is unknown or a choice (simulator/README.md, "Switches");
    # the defaults are real ARM where it is known. SWITCHES below names them.
    # Real ARM has no private VIP field on Microsoft.ApiManagement/gateways (arm-behaviour.md
    # §3.6): False by default; True shows it in properties.privateIPAddresses once built.
    gateway_exposes_private_ip: bool = False
    # Where a workspace gateway's hostname appears: "config-connection" (real ARM: the
    # WorkspaceGatewayPremium create example has no frontend.defaultHostname; the hostname is
    # on the config connection), "also-frontend" (also properties.frontend.defaultHostname),
    # "after-succeeded" (on the config connection only once the gateway build succeeded).
    gateway_hostname: str = "config-connection"
    # How a gateway build ends: "succeeded", "failed" (the async status carries
    # GatewayProvisioningFailed) or "never" (it stays Activating until deleted).
    gateway_build_outcome: str = "succeeded"
    # What APIM does with a config connection PUT while the gateway still builds: nothing
    # documents it (arm-behaviour.md open questions), so it is a switch the app must survive
    # under every value: "accept" (links at once), "refuse" (409 until the build succeeded),
    # "await-build" (accepted; the link stays Updating until the build ends, then follows it).
    config_connection_during_build: str = "accept"
    # Deleting a workspace that a gateway's config connection still names: "cascade" (the
    # links go with it) or "conflict" (409 until they are deleted). Undocumented.
    workspace_delete_with_links: str = "cascade"
    # Deleting a gateway that still has config connections: "cascade" or "conflict".
    gateway_delete_with_links: str = "cascade"
    # Whether delegating a subnet to a service outside Microsoft.Web also needs that
    # namespace registered (Microsoft.Web always does: the APIM docs' include).
    non_web_delegation_needs_registration: bool = False
    # Whether a role assignment PUT that sets principalType still checks the directory (a
    # principal not found, or still replicating, is then PrincipalNotFound). Real ARM skips it
    # ("skipped": the grant is made even for a principal that does not exist); "performed"
    # checks as without principalType (simulator/README.md, Authorization behaviour).
    directory_check_with_principal_type: str = "skipped"
    # When Event Grid's ResourceWriteSuccess/Failure for an asynchronous PUT (a gateway build)
    # is raised: "completed" (when the build ends; the docs' "raised when a resource create or
    # update operation succeeds"), "accepted" (one Success when the PUT is accepted, none at
    # the end) or "never" (the events are lost). Undocumented for LROs: simulator/eventgrid.py.
    resource_write_event_at: str = "completed"

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

    def behaviour_json(self) -> dict[str, Any]:
        """The switches only (GET /_sim/behaviour)."""
        return {_camel(name): getattr(self, name) for name in SWITCHES}

    def update_behaviour(self, values: dict[str, Any]) -> None:
        """Set switches (camelCase); a timing or unknown name is refused, none applied."""
        known = switch_names()
        unknown = sorted(name for name in values if name not in known)
        if unknown:
            raise errors.bad_request(
                "InvalidBehaviour",
                f"Unknown switch(es) {unknown}. Known switches: {', '.join(sorted(known))}.",
            )
        self.update(values)


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
    "gateway_hostname": ("config-connection", "also-frontend", "after-succeeded"),
    "gateway_build_outcome": ("succeeded", "failed", "never"),
    "config_connection_during_build": ("accept", "refuse", "await-build"),
    "workspace_delete_with_links": ("cascade", "conflict"),
    "gateway_delete_with_links": ("cascade", "conflict"),
    "directory_check_with_principal_type": ("skipped", "performed"),
    "resource_write_event_at": ("completed", "accepted", "never"),
}
# The behaviour switches (GET/POST /_sim/behaviour); everything else is a timing.
SWITCHES = (
    "gateway_exposes_private_ip",
    *_CHOICES,
    "non_web_delegation_needs_registration",
)


def switch_names() -> list[str]:
    """The switches' camelCase names, as /_sim/behaviour and the seed spell them."""
    return [_camel(name) for name in SWITCHES]


def choices(camel: str) -> tuple[object, ...]:
    """Every value a switch takes (for a test matrix): its choices, or False/True."""
    snake = next(name for name in SWITCHES if _camel(name) == camel)
    return _CHOICES.get(snake, (False, True))


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(p.title() for p in rest)
