"""Private DNS (Microsoft.Network/privateDnsZones): zones, virtual network links, record sets.

Behaviour follows the recorded service (REC-privatedns, azure-cli privatedns recordings) and
SPEC-DNS 2024-06-01 (arm-behaviour.md §3.8):

* Zone and link writes are LROs: 202 with body ``{}`` plus ``Location``
  (``.../privateDnsOperationResults/{id}``) and ``Azure-AsyncOperation``
  (``.../privateDnsOperationStatuses/{id}``); the status answers 202 ``{"status":"InProgress"}``
  then 200 ``{"status":"Succeeded"}``; the SDK then GETs the resource.
* Preconditions on zones and links fail *asynchronously*: the PUT is accepted (202) and the
  status poll answers 200 ``{"error": {"code": "PreconditionFailed", ...}, "status": "Failed"}``.
  Record sets fail them synchronously with 412.
* ETags are unquoted GUIDs, in the ``ETag`` header and the body.
* Record sets are synchronous (200 update / 201 create); names are lower-cased, ``fqdn`` ends
  with a dot, ``isAutoRegistered`` is false; every zone has the SOA record set ``@``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from simulator import errors
from simulator.backends.base import Backend, check_if_match, new_guid
from simulator.ids import ResourceId, key, try_parse
from simulator.lro import Operation

ZONE_TYPE = "Microsoft.Network/privateDnsZones"
LINK_TYPE = "Microsoft.Network/privateDnsZones/virtualNetworkLinks"
VNET_TYPE = "Microsoft.Network/virtualNetworks"

# Record types of the 2024-06-01 API and the property holding each type's records
# (SPEC-DNS privatedns.json RecordSetProperties). SOA exists once per zone, as "@".
RECORD_FIELDS: dict[str, str] = {
    "A": "aRecords",
    "AAAA": "aaaaRecords",
    "CNAME": "cnameRecord",
    "MX": "mxRecords",
    "PTR": "ptrRecords",
    "SOA": "soaRecord",
    "SRV": "srvRecords",
    "TXT": "txtRecords",
}
RECORD_TYPES = {t.lower(): t for t in RECORD_FIELDS}

# Zone limits as a real new zone reports them (REC-privatedns test_PutZone_ZoneNotExists...).
_MAX_RECORD_SETS = 25000
_MAX_LINKS = 1000
_MAX_LINKS_WITH_REGISTRATION = 100

# The SOA record a new zone gets (SPEC-DNS RecordSetSOAGet.json).
_SOA = {
    "host": "azureprivatedns.net",
    "email": "azureprivatedns-hostmaster.microsoft.com",
    "serialNumber": 1,
    "refreshTime": 3600,
    "retryTime": 300,
    "expireTime": 2419200,
    "minimumTtl": 10,
}
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")


@dataclass
class _RecordSet:
    zone_rid: ResourceId
    record_type: str  # canonical upper-case form, e.g. "A"
    name: str  # lower-cased relative name, "@" for the apex
    props: dict[str, Any]
    etag: str = field(default_factory=new_guid)

    @property
    def id(self) -> str:
        return f"{self.zone_rid}/{self.record_type}/{self.name}"


@dataclass
class _Link:
    rid: ResourceId
    vnet_id: str
    registration: bool
    tags: dict[str, str] = field(default_factory=dict)
    resolution_policy: str | None = None
    etag: str = field(default_factory=new_guid)
    state: str = "Succeeded"
    link_state: str = "Completed"


@dataclass
class _Zone:
    rid: ResourceId
    tags: dict[str, str] = field(default_factory=dict)
    etag: str = field(default_factory=new_guid)
    state: str = "Succeeded"
    guid: str = field(default_factory=new_guid)
    links: dict[str, _Link] = field(default_factory=dict)  # lower name -> link
    records: dict[tuple[str, str], _RecordSet] = field(default_factory=dict)  # (TYPE, name)


@dataclass
class DnsWrite:
    """What a zone/link write or delete hands the HTTP layer: the operation to poll."""

    op: Operation
    resource_group_path: str  # /subscriptions/{s}/resourceGroups/{g}, where the op URLs live


class PrivateDnsBackend(Backend):
    """Private DNS zones with their virtual network links and record sets."""

    def reset(self) -> None:
        self.zones: dict[str, _Zone] = {}

    # --- existence, seeding, state -----------------------------------------------------------

    def exists(self, rid: ResourceId) -> bool | None:
        if rid.namespace is None or rid.namespace.lower() != "microsoft.network":
            return None
        if not rid.types or rid.types[0].lower() != "privatednszones":
            return None
        zone = self.zones.get(key(str(_zone_rid(rid))))
        if len(rid.types) == 1:
            return zone is not None
        if len(rid.types) != 2:
            return None
        kind = rid.types[1].lower()
        if kind == "virtualnetworklinks":
            return zone is not None and rid.name.lower() in zone.links
        if kind in RECORD_TYPES:
            return zone is not None and (RECORD_TYPES[kind], rid.name.lower()) in zone.records
        return None

    def seed(self, resource: dict[str, Any]) -> bool:
        rid = try_parse(resource["id"])
        if rid is None or not self._is_dns_id(rid):
            return False
        props = resource.get("properties", {}) or {}
        tags = dict(resource.get("tags", {}) or {})
        if len(rid.types) == 1:
            self.require_group(rid)
            self._validate_zone_name(rid.name)
            zone = self.zones.get(key(str(rid))) or self._new_zone(rid)
            zone.tags = tags
            self.zones[key(str(rid))] = zone
            return True
        zone = self._zone(_zone_rid(rid))
        kind = rid.types[1].lower()
        if kind == "virtualnetworklinks":
            vnet_id = str((props.get("virtualNetwork") or {}).get("id", ""))
            if not vnet_id:
                raise errors.bad_request(
                    "InvalidSeed", f"Seeded link {rid} needs properties.virtualNetwork.id."
                )
            zone.links[rid.name.lower()] = _Link(
                rid, vnet_id, bool(props.get("registrationEnabled", False)), tags
            )
            zone.etag = new_guid()
            return True
        record_type = RECORD_TYPES[kind]
        name = rid.name.lower()
        zone.records[(record_type, name)] = _RecordSet(
            zone.rid, record_type, name, self._record_props(zone, record_type, name, props)
        )
        return True

    def snapshot(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for zone in self.zones.values():
            out.append(self.zone_json(zone))
            out.extend(self.link_json(link) for link in zone.links.values())
            out.extend(self.record_json(zone, r) for r in zone.records.values())
        return out

    # --- zones -----------------------------------------------------------------------------

    def get_zone(self, rid: ResourceId) -> dict[str, Any]:
        return self.zone_json(self._zone(rid))

    def list_zones(self, sub: str, group: str | None) -> list[dict[str, Any]]:
        return [self.zone_json(x) for x in self.in_listing(self.zones.values(), sub, group)]

    def put_zone(self, rid: ResourceId, body: dict[str, Any], headers: dict[str, str]) -> DnsWrite:
        self.require_group(rid)
        self._validate_zone_name(rid.name)
        _require_global(body)
        existing = self.zones.get(key(str(rid)))
        # Preconditions are judged when the operation runs and fail it asynchronously
        # (REC-privatedns test_PutZone_ZoneExistsIfNoneMatchFailure_ExpectError,
        # test_PatchZone_ZoneExistsIfMatchFailure_ExpectError).
        failure = _async_precondition(
            headers,
            existing.etag if existing else None,
            errors.zone_exists(rid.name),
            errors.zone_modified(rid.name),
        )
        if failure is not None:
            return self._start(rid, "put", lambda _op: None, outcome_error=failure)
        zone = existing or self._new_zone(rid)
        zone.tags = dict(body.get("tags") or {})
        zone.etag = new_guid()
        zone.state = "Updating" if existing else "Creating"
        self.zones[key(str(rid))] = zone
        return self._start(
            rid,
            "put",
            lambda _op: setattr(zone, "state", "Succeeded"),
            result=lambda: self.zone_json(zone),
        )

    def delete_zone(self, rid: ResourceId, headers: dict[str, str]) -> DnsWrite | None:
        self.require_group(rid)
        zone = self.zones.get(key(str(rid)))
        if zone is None:
            # REC-privatedns test_DeleteZone_ZoneNotExists_ExpectNoError: 204.
            return None
        check_if_match(headers, zone.etag, f"The Zone {rid.name}")
        if zone.links:
            raise errors.zone_has_links(rid.name, [link.rid.name for link in zone.links.values()])
        zone.state = "Deleting"
        return self._start(rid, "delete", lambda _op: self.zones.pop(key(str(rid)), None))

    # --- virtual network links --------------------------------------------------------------

    def get_link(self, rid: ResourceId) -> dict[str, Any]:
        return self.link_json(self._link(rid))

    def list_links(self, zone_rid: ResourceId) -> list[dict[str, Any]]:
        return [self.link_json(link) for link in self._zone(zone_rid).links.values()]

    def put_link(self, rid: ResourceId, body: dict[str, Any], headers: dict[str, str]) -> DnsWrite:
        zone = self._parent_zone(_zone_rid(rid))
        _require_global(body)
        props = body.get("properties") or {}
        vnet_id = (props.get("virtualNetwork") or {}).get("id")
        if not isinstance(vnet_id, str) or not vnet_id:
            raise errors.invalid_dns_request("properties.virtualNetwork.id is required.")
        vnet_rid = try_parse(vnet_id)
        if vnet_rid is None or vnet_rid.type_key != VNET_TYPE.lower():
            raise errors.invalid_dns_request(
                f"'{vnet_id}' is not a virtual network id "
                "(/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Network/"
                "virtualNetworks/{name})."
            )
        # The VNet must exist (Azure/azure-cli#23351). None: the network backend does not
        # answer for it, so the simulator cannot tell and accepts.
        if self.sim.resource_exists(vnet_rid) is False:
            raise errors.vnet_not_found_for_link(vnet_id)
        registration = props.get("registrationEnabled", False)
        if not isinstance(registration, bool):
            raise errors.invalid_dns_request("properties.registrationEnabled must be a boolean.")
        for other in zone.links.values():
            if other.rid.name.lower() != rid.name.lower() and key(other.vnet_id) == key(vnet_id):
                raise errors.vnet_already_linked(vnet_id, zone.rid.name, other.rid.name)
        existing = zone.links.get(rid.name.lower())
        failure = _async_precondition(
            headers,
            existing.etag if existing else None,
            errors.link_exists(rid.name),
            errors.link_modified(rid.name),
        )
        if failure is not None:
            return self._start(rid, "put", lambda _op: None, outcome_error=failure)
        link = existing or _Link(rid, vnet_id, registration)
        link.vnet_id = str(vnet_rid)
        link.registration = registration
        link.resolution_policy = props.get("resolutionPolicy", link.resolution_policy)
        link.tags = dict(body.get("tags") or {})
        link.etag = new_guid()
        link.state = "Updating" if existing else "Creating"
        # SPEC-DNS VirtualNetworkLinkPut.json: "Completed" once the link is in place.
        link.link_state = "InProgress"
        zone.links[rid.name.lower()] = link
        zone.etag = new_guid()

        def complete(_op: Operation) -> None:
            link.state, link.link_state = "Succeeded", "Completed"

        return self._start(rid, "put", complete, result=lambda: self.link_json(link))

    def delete_link(self, rid: ResourceId, headers: dict[str, str]) -> DnsWrite | None:
        self.require_group(rid)
        zone = self.zones.get(key(str(_zone_rid(rid))))
        link = zone.links.get(rid.name.lower()) if zone else None
        if zone is None or link is None:
            # REC-privatedns test_DeleteLink_LinkNotExists / _ZoneNotExists_ExpectNoError.
            return None
        check_if_match(headers, link.etag, f"The Virtual Network Link {rid.name}")
        link.state = "Deleting"

        def complete(_op: Operation) -> None:
            zone.links.pop(rid.name.lower(), None)
            zone.etag = new_guid()

        return self._start(rid, "delete", complete)

    # --- record sets ------------------------------------------------------------------------

    def get_record(self, zone_rid: ResourceId, record_type: str, name: str) -> dict[str, Any]:
        zone = self._zone(zone_rid)
        canonical = _record_type(record_type)
        found = zone.records.get((canonical, name.lower()))
        if found is None:
            raise errors.resource_not_found(
                f"{ZONE_TYPE}/{zone.rid.name}/{canonical}", name, zone_rid.resource_group
            )
        return self.record_json(zone, found)

    def list_records(self, zone_rid: ResourceId, record_type: str | None) -> list[dict[str, Any]]:
        zone = self._zone(zone_rid)
        canonical = _record_type(record_type) if record_type else None
        return [
            self.record_json(zone, r)
            for r in zone.records.values()
            if canonical is None or r.record_type == canonical
        ]

    def put_record(
        self,
        zone_rid: ResourceId,
        record_type: str,
        name: str,
        body: dict[str, Any],
        headers: dict[str, str],
    ) -> tuple[dict[str, Any], bool]:
        zone = self._parent_zone(zone_rid)
        canonical = _record_type(record_type)
        if canonical == "SOA":
            # SOA PUT exists in the API (SPEC-DNS RecordSetSOAPut.json) but is not simulated.
            raise errors.not_implemented("PUT", f"{zone_rid}/SOA/{name}")
        relative = name.lower()  # SPEC-DNS RecordSetAPut.json: recordA -> recorda
        existing = zone.records.get((canonical, relative))
        try:
            check_if_match(headers, existing.etag if existing else None, relative)
        except errors.ArmError as exc:
            raise errors.record_set_precondition(
                relative, existing is not None and "exists already" in exc.message
            ) from exc
        props = self._record_props(zone, canonical, relative, body.get("properties") or {})
        record = existing or _RecordSet(zone.rid, canonical, relative, props)
        record.props = props
        record.etag = new_guid()
        zone.records[(canonical, relative)] = record
        return self.record_json(zone, record), existing is None

    def delete_record(
        self, zone_rid: ResourceId, record_type: str, name: str, headers: dict[str, str]
    ) -> bool:
        """True when a record set was deleted (200), False when there was none (204)."""
        zone = self._zone(zone_rid)
        canonical = _record_type(record_type)
        if canonical == "SOA":
            raise errors.invalid_dns_request("The SOA record set of a zone cannot be deleted.")
        existing = zone.records.get((canonical, name.lower()))
        if existing is None:
            return False
        try:
            check_if_match(headers, existing.etag, name.lower())
        except errors.ArmError as exc:
            raise errors.record_set_precondition(name.lower(), False) from exc
        del zone.records[(canonical, name.lower())]
        return True

    # --- JSON forms -------------------------------------------------------------------------

    def zone_json(self, zone: _Zone) -> dict[str, Any]:
        registered = sum(1 for link in zone.links.values() if link.registration)
        return {
            "id": str(zone.rid),
            "name": zone.rid.name,
            "type": ZONE_TYPE,
            "etag": zone.etag,
            "location": "global",
            **_tags(zone.tags),
            "properties": {
                "maxNumberOfRecordSets": _MAX_RECORD_SETS,
                "maxNumberOfVirtualNetworkLinks": _MAX_LINKS,
                "maxNumberOfVirtualNetworkLinksWithRegistration": _MAX_LINKS_WITH_REGISTRATION,
                "numberOfRecordSets": len(zone.records),
                "numberOfVirtualNetworkLinks": len(zone.links),
                "numberOfVirtualNetworkLinksWithRegistration": registered,
                "provisioningState": zone.state,
                "internalId": zone.guid,
            },
        }

    def link_json(self, link: _Link) -> dict[str, Any]:
        props: dict[str, Any] = {
            "virtualNetwork": {"id": link.vnet_id},
            "registrationEnabled": link.registration,
            "virtualNetworkLinkState": link.link_state,
            "provisioningState": link.state,
        }
        if link.resolution_policy is not None:
            props["resolutionPolicy"] = link.resolution_policy
        return {
            "id": str(link.rid),
            "name": link.rid.name,
            "type": LINK_TYPE,
            # VNet links quote their GUID etag (zones and record sets do not): REC-privatedns.
            "etag": f'"{link.etag}"',
            "location": "global",
            **_tags(link.tags),
            "properties": props,
        }

    def record_json(self, zone: _Zone, record: _RecordSet) -> dict[str, Any]:
        return {
            "id": record.id,
            "name": record.name,
            "type": f"{ZONE_TYPE}/{record.record_type}",
            "etag": record.etag,
            "properties": copy.deepcopy(record.props),
        }

    # --- internals --------------------------------------------------------------------------

    def _new_zone(self, rid: ResourceId) -> _Zone:
        zone = _Zone(rid)
        # Every new zone has its SOA record set (numberOfRecordSets 1, REC-privatedns).
        zone.records[("SOA", "@")] = _RecordSet(
            rid,
            "SOA",
            "@",
            {"ttl": 3600, "fqdn": f"{rid.name}.", "isAutoRegistered": False, "soaRecord": _SOA},
        )
        return zone

    def _record_props(
        self, zone: _Zone, record_type: str, name: str, given: dict[str, Any]
    ) -> dict[str, Any]:
        records_field = RECORD_FIELDS[record_type]
        props: dict[str, Any] = {}
        if given.get("metadata"):
            props["metadata"] = dict(given["metadata"])
        ttl = given.get("ttl", 3600)
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 <= ttl <= 2147483647:
            raise errors.invalid_dns_request(f"The TTL '{ttl}' of record set {name} is invalid.")
        props["ttl"] = ttl
        fqdn_head = "" if name == "@" else f"{name}."
        props["fqdn"] = f"{fqdn_head}{zone.rid.name}."
        props["isAutoRegistered"] = False
        default: Any = None if record_type == "CNAME" else []
        value = copy.deepcopy(given.get(records_field, default))
        if record_type == "A":
            for item in value or []:
                _check_ipv4((item or {}).get("ipv4Address"), name)
        if value is not None:
            props[records_field] = value
        return props

    def _validate_zone_name(self, name: str) -> None:
        # DNS name rules: 2+ labels of 1-63 chars, 253 chars in all (unverified wording).
        labels = name.rstrip(".").split(".")
        if len(name) > 253 or len(labels) < 2 or not all(_LABEL.match(p) for p in labels):
            raise errors.invalid_dns_request(f"The zone name '{name}' is not a valid DNS name.")

    @staticmethod
    def _is_dns_id(rid: ResourceId) -> bool:
        return (
            (rid.namespace or "").lower() == "microsoft.network"
            and bool(rid.types)
            and rid.types[0].lower() == "privatednszones"
            and (len(rid.types) == 1 or (len(rid.types) == 2 and _known_child(rid.types[1])))
        )

    def _zone(self, rid: ResourceId) -> _Zone:
        self.require_group(rid)
        zone = self.zones.get(key(str(rid)))
        if zone is None:
            raise errors.resource_not_found(ZONE_TYPE, rid.name, rid.resource_group)
        return zone

    def _parent_zone(self, rid: ResourceId) -> _Zone:
        """The zone a child PUT goes under: ARM refuses a nested resource whose parent is
        missing with 404 ParentResourceNotFound before the provider sees it."""
        self.require_group(rid)
        zone = self.zones.get(key(str(rid)))
        if zone is None:
            raise errors.parent_resource_not_found(rid.name)
        return zone

    def _link(self, rid: ResourceId) -> _Link:
        zone = self._zone(_zone_rid(rid))
        link = zone.links.get(rid.name.lower())
        if link is None:
            raise errors.resource_not_found(
                f"{ZONE_TYPE}/{zone.rid.name}/virtualNetworkLinks",
                rid.name,
                rid.resource_group,
            )
        return link

    def _start(
        self,
        rid: ResourceId,
        action: Literal["put", "delete"],
        complete: Callable[[Operation], object],
        *,
        result: Callable[[], dict[str, Any] | None] = lambda: None,
        outcome_error: dict[str, Any] | None = None,
    ) -> DnsWrite:
        def run(op: Operation) -> None:
            complete(op)  # completions may return a value (dict.pop); the registry wants None

        op = self.sim.operations.start(
            str(rid),
            action,
            run,
            duration=self.sim.timings.short_operation,
            polls_needed=self.sim.timings.dns_in_progress_polls,
            result=result,
            outcome="Failed" if outcome_error else "Succeeded",
            error=outcome_error,
        )
        group = f"/subscriptions/{rid.subscription}/resourceGroups/{rid.resource_group}"
        return DnsWrite(op, group)


def _tags(tags: dict[str, str]) -> dict[str, Any]:
    # A zone created without tags has no "tags" member (REC-privatedns GET bodies).
    return {"tags": dict(tags)} if tags else {}


def _zone_rid(rid: ResourceId) -> ResourceId:
    return ResourceId(
        rid.subscription, rid.resource_group, rid.namespace, rid.types[:1], rid.names[:1]
    )


def _known_child(type_name: str) -> bool:
    return type_name.lower() == "virtualnetworklinks" or type_name.lower() in RECORD_TYPES


def _record_type(value: str) -> str:
    canonical = RECORD_TYPES.get(value.lower())
    if canonical is None:
        raise errors.invalid_dns_request(
            f"The record type '{value}' is not supported. Supported: {', '.join(RECORD_FIELDS)}."
        )
    return canonical


def _require_global(body: dict[str, Any]) -> None:
    # Zones and links live in "global" (SPEC-DNS examples send "Global"; responses "global").
    location = body.get("location")
    if location is None:
        raise errors.bad_request("LocationRequired", "The location property is required.")
    if str(location).replace(" ", "").lower() != "global":
        raise errors.invalid_dns_request(
            f"The location '{location}' is not valid; private DNS resources are 'global'."
        )


def _async_precondition(
    headers: dict[str, str],
    etag: str | None,
    exists_error: dict[str, Any],
    modified_error: dict[str, Any],
) -> dict[str, Any] | None:
    """The async failure body an If-(None-)Match header earns, or None when it holds."""
    try:
        check_if_match(headers, etag, "resource")
    except errors.ArmError:
        if headers.get("if-none-match") is not None and etag is not None:
            return exists_error
        return modified_error
    return None


def _check_ipv4(value: Any, name: str) -> None:
    parts = str(value).split(".") if isinstance(value, str) else []
    if len(parts) != 4 or not all(p.isdigit() and 0 <= int(p) <= 255 for p in parts):
        raise errors.invalid_dns_request(
            f"The IPv4 address '{value}' of record set {name} is not valid."
        )
