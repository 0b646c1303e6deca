"""Private DNS activities: a zone named exactly the gateway hostname, a VNet link, the `@` A record.

A zone named ``azure-api.net`` would shadow every APIM name for the linked VNet, so the zone is
the gateway's own hostname and the record is its apex (arm-behaviour.md §3.8). Undo deletes only
what this run created, record first, then link, then zone (a zone with links cannot be deleted).
"""

from __future__ import annotations

import contextlib

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.privatedns.models import PrivateZone, RecordSet, VirtualNetworkLink

from activities.apim import INSTANCE_TAG
from activities.arm_errors import classify
from shared.arm_ids import name_of
from shared.azure_clients import ClientFactory, clients
from shared.dns_models import PrivateDnsInput, PrivateDnsRecord

APEX = "@"


def _parts(group_id: str) -> tuple[str, str]:
    parts = [p for p in group_id.split("/") if p]
    if (
        len(parts) != 4
        or parts[0].lower() != "subscriptions"
        or parts[2].lower() != "resourcegroups"
    ):
        raise ValueError(f"'{group_id}' is not a resource group id")
    return parts[1], parts[3]


def _link_name(vnet_id: str) -> str:
    return f"link-{name_of(vnet_id)}"[:80]


def ensure_private_dns(
    inp: PrivateDnsInput, factory: ClientFactory | None = None
) -> PrivateDnsRecord:
    sub, rg = _parts(inp.dns_resource_group_id)
    dns = (factory or clients()).private_dns(sub)
    action = f"private DNS for {inp.zone_name}"
    tags = {INSTANCE_TAG: inp.instance_id}
    try:
        zone_created = link_created = record_created = False
        try:
            zone = dns.private_zones.get(rg, inp.zone_name)
            zone_created = (zone.tags or {}).get(INSTANCE_TAG) == inp.instance_id
        except ResourceNotFoundError:
            zone = dns.private_zones.begin_create_or_update(
                rg, inp.zone_name, PrivateZone({"location": "global", "tags": tags})
            ).result()
            zone_created = True
        link = _link_name(inp.vnet_id)
        try:
            existing_link = dns.virtual_network_links.get(rg, inp.zone_name, link)
            link_created = (existing_link.tags or {}).get(INSTANCE_TAG) == inp.instance_id
        except ResourceNotFoundError:
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
            ).result()
            link_created = True
        try:
            dns.record_sets.get(rg, inp.zone_name, "A", APEX)
        except ResourceNotFoundError:
            record_created = True
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
            zone_id=str(zone.id),
            vnet_id=inp.vnet_id,
            zone_created=zone_created,
            link_created=link_created,
            record_created=record_created or zone_created,
        )
    except HttpResponseError as exc:
        raise classify(exc, action) from None


def undo_private_dns(record: PrivateDnsRecord, factory: ClientFactory | None = None) -> None:
    parts = record.zone_id.split("/")
    sub, rg, zone = parts[2], parts[4], parts[-1]
    dns = (factory or clients()).private_dns(sub)
    try:
        if record.record_created:
            dns.record_sets.delete(rg, zone, "A", APEX)
        if record.link_created:
            with contextlib.suppress(ResourceNotFoundError):
                dns.virtual_network_links.begin_delete(
                    rg, zone, _link_name(record.vnet_id)
                ).result()
        if record.zone_created:
            with contextlib.suppress(ResourceNotFoundError):
                dns.private_zones.begin_delete(rg, zone).result()
    except ResourceNotFoundError:
        return
    except HttpResponseError as exc:
        raise classify(exc, f"undo private DNS {zone}") from None
