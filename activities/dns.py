"""Private DNS activities: a zone named exactly the gateway hostname, a VNet link, the `@` A record.

A zone named ``azure-api.net`` would shadow every APIM name for the linked VNet, so the zone is
the gateway's own hostname and the record is its apex (arm-behaviour.md §3.8). Undo deletes only
what this run created, record first, then link, then zone (a zone with links cannot be deleted).
"""

from __future__ import annotations

import contextlib

from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.privatedns.models import PrivateZone, RecordSet, VirtualNetworkLink

from activities.apim import INSTANCE_TAG
from activities.arm_action import arm_action, undo_action
from activities.lro import status_only
from shared.arm_ids import RESOURCE_GROUP, ArmId
from shared.azure_clients import ClientFactory, clients
from shared.dns_models import PrivateDnsInput, PrivateDnsRecord

APEX = "@"


def _link_name(vnet_id: str) -> str:
    return f"link-{ArmId.parse(vnet_id).name}"[:80]


def ensure_private_dns(
    inp: PrivateDnsInput, factory: ClientFactory | None = None
) -> PrivateDnsRecord:
    group_id = ArmId.parse(inp.dns_resource_group_id, RESOURCE_GROUP)
    rg = group_id.resource_group
    dns = (factory or clients()).private_dns(group_id.subscription)
    tags = {INSTANCE_TAG: inp.instance_id}
    zone_id = str(group_id.in_group("Microsoft.Network", "privateDnsZones", inp.zone_name))
    # What this run has made so far (found tagged as its own, or written after a 404): a
    # failure half-way carries it as the undo record (StepError.partial), never an orphan.
    made = {"zone": False, "link": False, "record": False}

    def partial() -> PrivateDnsRecord | None:
        if not any(made.values()):
            return None
        return PrivateDnsRecord(zone_id=zone_id, vnet_id=inp.vnet_id, zone_created=made["zone"],
                                link_created=made["link"],
                                record_created=made["record"] or made["zone"])  # fmt: skip

    with arm_action(f"private DNS for {inp.zone_name}", partial):
        try:
            zone = dns.private_zones.get(rg, inp.zone_name)
            made["zone"] = (zone.tags or {}).get(INSTANCE_TAG) == inp.instance_id
        except ResourceNotFoundError:
            made["zone"] = True  # from here on it may exist (a failed poll may hide a create)
            dns.private_zones.begin_create_or_update(
                rg, inp.zone_name, PrivateZone({"location": "global", "tags": tags}),
                polling=status_only(dns.private_zones),  # the zone's id is known: no GET after
            ).result()  # fmt: skip
        link = _link_name(inp.vnet_id)
        try:
            existing_link = dns.virtual_network_links.get(rg, inp.zone_name, link)
            made["link"] = (existing_link.tags or {}).get(INSTANCE_TAG) == inp.instance_id
        except ResourceNotFoundError:
            made["link"] = True
            dns.virtual_network_links.begin_create_or_update(
                rg,
                inp.zone_name,
                link,
                VirtualNetworkLink(
                    {
                        "location": "global",
                        "tags": tags,
                        "properties": {
                            "virtualNetwork": {"id": inp.vnet_id},
                            "registrationEnabled": False,
                        },
                    }
                ),
                polling=status_only(dns.virtual_network_links),
            ).result()
        try:
            dns.record_sets.get(rg, inp.zone_name, "A", APEX)
        except ResourceNotFoundError:
            made["record"] = True
        dns.record_sets.create_or_update(
            rg,
            inp.zone_name,
            "A",
            APEX,
            RecordSet(
                {
                    "properties": {
                        "ttl": 3600,
                        "metadata": tags,
                        "aRecords": [{"ipv4Address": inp.private_ip}],
                    }
                }
            ),
        )
        # A zone this run created holds a record this run wrote, even if a retry found it.
        return PrivateDnsRecord(
            zone_id=zone_id,  # as partial() says it: the same id whether made or found
            vnet_id=inp.vnet_id,
            zone_created=made["zone"],
            link_created=made["link"],
            record_created=made["record"] or made["zone"],
            private_ip=inp.private_ip,
        )


def undo_private_dns(record: PrivateDnsRecord, factory: ClientFactory | None = None) -> None:
    zone_id = ArmId.parse(record.zone_id)
    rg, zone = zone_id.resource_group, zone_id.name
    dns = (factory or clients()).private_dns(zone_id.subscription)
    with undo_action(f"undo private DNS {zone}"):
        if record.record_created:
            # A 404 here must not end the block: the link and zone may still be there (a
            # partial record from a call that failed before it wrote the record).
            with contextlib.suppress(ResourceNotFoundError):
                dns.record_sets.delete(rg, zone, "A", APEX)
        if record.link_created:
            with contextlib.suppress(ResourceNotFoundError):
                dns.virtual_network_links.begin_delete(
                    rg, zone, _link_name(record.vnet_id)
                ).result()
        if record.zone_created:
            with contextlib.suppress(ResourceNotFoundError):
                dns.private_zones.begin_delete(rg, zone).result()
