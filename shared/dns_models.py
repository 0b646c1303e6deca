"""Typed inputs and outputs of the private DNS activities (injection mode only)."""

from __future__ import annotations

from shared.wire_model import WireModel


class PrivateDnsInput(WireModel):
    dns_resource_group_id: str  # /subscriptions/{s}/resourceGroups/{rg}
    zone_name: str  # exactly the gateway's default hostname (DESIGN.md §2 step 6)
    vnet_id: str
    private_ip: str
    instance_id: str


class PrivateDnsRecord(WireModel):
    zone_id: str
    zone_created: bool
    link_created: bool
    record_created: bool


class UndoPrivateDnsInput(WireModel):
    """What undo_private_dns needs: what ensure_private_dns created, and the linked VNet."""

    record: PrivateDnsRecord
    vnet_id: str
