"""What every provider backend shares: the link to the simulation, ETags, If-Match checks."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from simulator import errors

if TYPE_CHECKING:
    from simulator.core import Simulation
    from simulator.ids import ResourceId


class _HasRid(Protocol):
    @property
    def rid(self) -> ResourceId: ...


_T = TypeVar("_T", bound=_HasRid)


class Backend:
    """Base of the provider backends. Subclasses own their resources and rules."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.reset()

    def reset(self) -> None:
        """Forget every resource."""

    def tick(self) -> None:
        """Advance time-driven state to the simulation clock's now."""

    def seed(self, resource: dict[str, Any]) -> bool:
        """Take a seeded ARM resource if it is of this provider's types; True when taken."""
        return False

    def snapshot(self) -> list[dict[str, Any]]:
        """Every resource in its ARM GET form."""
        return []

    def exists(self, rid: ResourceId) -> bool | None:
        """Whether the resource exists; None when its type is not this provider's."""
        return None

    def require_group(self, rid: ResourceId) -> None:
        self.sim.resources.resolve_group(rid.subscription, rid.resource_group)

    def in_listing(self, items: Iterable[_T], sub: str, group: str | None) -> list[_T]:
        """The items (with a ``rid``) of a subscription-wide or resource-group listing.

        The subscription (and group, when named) must exist, as for ARM's list calls.
        """
        self.sim.resources.subscription(sub)
        if group is not None:
            self.sim.resources.resolve_group(sub, group)
        return [
            item
            for item in items
            if item.rid.subscription.lower() == sub.lower()
            and (group is None or (item.rid.resource_group or "").lower() == group.lower())
        ]


def new_guid() -> str:
    return str(uuid.uuid4())


def check_if_match(headers: dict[str, str], etag: str | None, what: str) -> None:
    """Enforce If-Match / If-None-Match against the current ETag (None = no entity)."""
    if_match = headers.get("if-match")
    if if_match is not None:
        if etag is None:
            raise errors.precondition_failed(f"{what} does not exist; If-Match cannot match.")
        if if_match.strip() != "*" and _bare(if_match) != _bare(etag):
            raise errors.precondition_failed(
                f"The ETag in If-Match ({if_match}) does not match the current ETag of {what} "
                f"({etag}); read it again and retry."
            )
    if_none_match = headers.get("if-none-match")
    if (
        if_none_match is not None
        and etag is not None
        and (if_none_match.strip() == "*" or _bare(if_none_match) == _bare(etag))
    ):
        raise errors.precondition_failed(f"{what} exists already and cannot be created again.")


def _bare(etag: str) -> str:
    etag = etag.strip()
    if etag.startswith("W/"):
        etag = etag[2:]
    return etag.strip('"')
