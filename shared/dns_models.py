"""Typed inputs and outputs of the private DNS activities (injection mode only)."""

from __future__ import annotations

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from shared.wire_model import WireModel


class PrivateDnsInput(WireModel):
    dns_resource_group_id: str  # /subscriptions/{s}/resourceGroups/{rg}
    zone_name: str  # exactly the gateway's default hostname (DESIGN.md §2 step 6)
    vnet_id: str
    private_ip: str
    instance_id: str


class PrivateDnsRecord(WireModel):
    """What ensure_private_dns made (its undo record), with the VNet it linked the zone to."""

    zone_id: str
    vnet_id: str
    zone_created: bool
    link_created: bool
    record_created: bool
    # The A record's address (the team record and the drift check compare it; None in records
    # of older runs).
    private_ip: str | None = None
    # Set (to the run's instance id) on the partial record of a call that failed half-way: a
    # create whose outcome it did not learn may have met a resource that was there before, so
    # the undo deletes only what carries this run's tag. None: the flags are known facts.
    # Internal to the undo: left out of the wire form when None and of the JSON schema, so a
    # team record (the API) reads as before.
    owner_check: SkipJsonSchema[str | None] = Field(default=None, exclude_if=lambda v: v is None)
