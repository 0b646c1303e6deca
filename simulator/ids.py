"""ARM resource ids: parsing, comparison and building.

ARM ids are case-insensitive; the simulator keys its state by :func:`key` and echoes ids
in the casing the resource was created with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_guid(value: str) -> bool:
    return bool(_GUID.match(value))


def key(resource_id: str) -> str:
    """The case-insensitive identity of an id (lower case, no trailing slash)."""
    return resource_id.rstrip("/").lower()


@dataclass(frozen=True)
class ResourceId:
    """A parsed ``/subscriptions/{s}/resourceGroups/{g}/providers/{ns}/{type}/{name}/...`` id."""

    subscription: str
    resource_group: str | None
    namespace: str | None
    types: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.names[-1] if self.names else (self.resource_group or self.subscription)

    @property
    def full_type(self) -> str:
        """E.g. ``Microsoft.Network/virtualNetworks/subnets``."""
        if not self.namespace:
            return "Microsoft.Resources/resourceGroups" if self.resource_group else ""
        return "/".join((self.namespace, *self.types))

    @property
    def type_key(self) -> str:
        return self.full_type.lower()

    def __str__(self) -> str:
        parts = [f"/subscriptions/{self.subscription}"]
        if self.resource_group is not None:
            parts.append(f"/resourceGroups/{self.resource_group}")
        if self.namespace:
            parts.append(f"/providers/{self.namespace}")
            for t, n in zip(self.types, self.names, strict=True):
                parts.append(f"/{t}/{n}")
        return "".join(parts)

    def parent(self) -> ResourceId:
        if len(self.types) <= 1:
            raise ValueError(f"{self} has no parent resource")
        return ResourceId(
            self.subscription,
            self.resource_group,
            self.namespace,
            self.types[:-1],
            self.names[:-1],
        )

    def child(self, type_name: str, name: str) -> ResourceId:
        return ResourceId(
            self.subscription,
            self.resource_group,
            self.namespace,
            (*self.types, type_name),
            (*self.names, name),
        )


def parse(resource_id: str) -> ResourceId:
    """Parse an ARM id; raises ValueError naming what is wrong."""
    parts = [p for p in resource_id.strip().split("/") if p]
    if len(parts) < 2 or parts[0].lower() != "subscriptions":
        raise ValueError(f"'{resource_id}' is not an ARM id (it must start /subscriptions/)")
    sub = parts[1]
    rest = parts[2:]
    rg: str | None = None
    if rest and rest[0].lower() == "resourcegroups":
        if len(rest) < 2:
            raise ValueError(f"'{resource_id}' names no resource group")
        rg, rest = rest[1], rest[2:]
    if not rest:
        return ResourceId(sub, rg, None, (), ())
    if rest[0].lower() != "providers" or len(rest) < 4 or len(rest[2:]) % 2:
        raise ValueError(f"'{resource_id}' is not a well-formed ARM resource id")
    namespace = rest[1]
    pairs = rest[2:]
    return ResourceId(sub, rg, namespace, tuple(pairs[0::2]), tuple(pairs[1::2]))


def try_parse(resource_id: str) -> ResourceId | None:
    try:
        return parse(resource_id)
    except ValueError:
        return None


def same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and key(a) == key(b)


def region_key(location: str) -> str:
    """APIM echoes 'West Europe', NRP 'westeurope': compare without case and spaces."""
    return location.replace(" ", "").lower()
