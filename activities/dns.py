"""Private DNS activities: a zone named exactly the gateway hostname, a VNet link, the `@` A record.

A zone named ``azure-api.net`` would shadow every APIM name for the linked VNet, so the zone is
the gateway's own hostname and the record is its apex (arm-behaviour.md §3.8). Undo deletes only
what this run created, record first, then link, then zone (a zone with links cannot be deleted).

Each is made by a create-only write (``If-None-Match: *``), which Private DNS documents for
zones, virtual network links and record sets ("Set to '*' to allow a new ... to be created, but
to prevent updating an existing ...": the ``IfNoneMatch`` parameter of each createOrUpdate in
azure-rest-api-specs specification/privatedns/resource-manager/Microsoft.Network/PrivateDns/
PrivateZone.tsp, VirtualNetworkLink.tsp, RecordSet.tsp): one request instead of a read and a
write, and no window between them in which another writer's resource would be taken for this
run's. Private DNS refuses one that exists with ``PreconditionFailed``: 412 for a record set,
asynchronously (the write's operation ends Failed) for a zone or a link (arm-behaviour.md §3.8,
REC-privatedns; the simulator answers both so). The step then reads it, and it is this run's
only if it carries this run's tag, as before.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
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


def _created(create: Callable[[], Any]) -> bool:
    """Run a create-only write: True when it made the resource, False when one was there."""
    try:
        create()
    except HttpResponseError as exc:
        if exc.status_code == 412 or (
            exc.error is not None and exc.error.code == "PreconditionFailed"
        ):
            return False
        raise
    return True


def ensure_private_dns(
    inp: PrivateDnsInput, factory: ClientFactory | None = None
) -> PrivateDnsRecord:
    group_id = ArmId.parse(inp.dns_resource_group_id, RESOURCE_GROUP)
    rg, zone = group_id.resource_group, inp.zone_name
    dns = (factory or clients()).private_dns(group_id.subscription)
    tags = {INSTANCE_TAG: inp.instance_id}
    zone_id = str(group_id.in_group("Microsoft.Network", "privateDnsZones", zone))
    link = _link_name(inp.vnet_id)
    # What this run has made so far (a create it sent, or found tagged as its own): a failure
    # half-way carries it as the undo record (StepError.partial), never an orphan. A create
    # whose outcome is unknown (its poll failed) counts as made: the partial record names the
    # run, and its undo deletes only what carries the run's tag.
    made = {"zone": False, "link": False, "record": False}

    def partial() -> PrivateDnsRecord | None:
        if not any(made.values()):
            return None
        return PrivateDnsRecord(zone_id=zone_id, vnet_id=inp.vnet_id, zone_created=made["zone"],
                                link_created=made["link"],
                                record_created=made["record"] or made["zone"],
                                owner_check=inp.instance_id)  # fmt: skip

    def ours(tagged: dict[str, str] | None) -> bool:
        return (tagged or {}).get(INSTANCE_TAG) == inp.instance_id

    if_missing: dict[str, Any] = {"match_condition": MatchConditions.IfMissing}
    with arm_action(f"private DNS for {zone}", partial):
        made["zone"] = True  # from here on it may exist (a failed poll may hide a create)
        if not _created(lambda: dns.private_zones.begin_create_or_update(
            rg, zone, PrivateZone({"location": "global", "tags": tags}),
            polling=status_only(dns.private_zones), **if_missing,
        ).result()):  # fmt: skip
            made["zone"] = ours(dns.private_zones.get(rg, zone).tags)
        made["link"] = True
        props = {"virtualNetwork": {"id": inp.vnet_id}, "registrationEnabled": False}
        body = {"location": "global", "tags": tags, "properties": props}
        if not _created(lambda: dns.virtual_network_links.begin_create_or_update(
            rg, zone, link, VirtualNetworkLink(body),
            polling=status_only(dns.virtual_network_links), **if_missing,
        ).result()):  # fmt: skip
            made["link"] = ours(dns.virtual_network_links.get(rg, zone, link).tags)
        record = RecordSet(
            {"properties": {"ttl": 3600, "metadata": tags,
                            "aRecords": [{"ipv4Address": inp.private_ip}]}}
        )  # fmt: skip
        made["record"] = True
        if not _created(
            lambda: dns.record_sets.create_or_update(rg, zone, "A", APEX, record, **if_missing)
        ):
            # There already: written with this run's address as before (a retry's own record,
            # or one in a zone this run did not make, which its undo then leaves).
            made["record"] = False
            dns.record_sets.create_or_update(rg, zone, "A", APEX, record)
        # A zone this run created holds a record this run wrote, even if a retry found it.
        return PrivateDnsRecord(
            zone_id=zone_id,
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
    link = _link_name(record.vnet_id)
    owner = record.owner_check

    def mine(read: Callable[[], dict[str, str] | None]) -> bool:
        """Whether to delete it: a full record says so; a partial one (``owner_check``) only
        for what carries the run's tag (a create whose outcome was unknown may have met a
        resource that was there before)."""
        if owner is None:
            return True
        try:
            return (read() or {}).get(INSTANCE_TAG) == owner
        except ResourceNotFoundError:
            return False  # gone: nothing to delete

    with undo_action(f"undo private DNS {zone}"):
        zone_mine = record.zone_created and mine(lambda: dns.private_zones.get(rg, zone).tags)
        # What is in a zone this run made is this run's (as ensure_private_dns counts it).
        if record.record_created and (
            zone_mine or mine(lambda: dns.record_sets.get(rg, zone, "A", APEX).metadata)
        ):
            # A 404 here must not end the block: the link and zone may still be there (a
            # partial record from a call that failed before it wrote the record).
            with contextlib.suppress(ResourceNotFoundError):
                dns.record_sets.delete(rg, zone, "A", APEX)
        if record.link_created and mine(lambda: dns.virtual_network_links.get(rg, zone, link).tags):
            with contextlib.suppress(ResourceNotFoundError):
                dns.virtual_network_links.begin_delete(rg, zone, link).result()
        if zone_mine:
            with contextlib.suppress(ResourceNotFoundError):
                dns.private_zones.begin_delete(rg, zone).result()
