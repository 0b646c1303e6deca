"""Microsoft.Network: virtual networks, subnets, network security groups and security rules.

Behaviour follows NRP as recorded (arm-behaviour.md §3.1-§3.4): writes are LROs that answer
200/201 with the resource already in ``Updating`` plus an ``Azure-AsyncOperation`` URL under
``providers/Microsoft.Network/locations/{region}/operations/{id}``; ETags are weak
(``W/"<guid>"``), in the body and (on GETs) in an ``ETag`` header; a stale ``If-Match`` answers
NRP's 412; subnet PUT replaces the whole subnet and keeps every property it carries (NRP
serves the whole resource of its api-version, unknown ones to an SDK included); a subnet used
by a resource refuses delegation and prefix changes; a write to a VNet (or its subnets)
while another write on it is still running answers 429 ``RetryableError``.
"""

from __future__ import annotations

import copy
import functools
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from simulator import errors
from simulator.backends.base import Backend, check_if_match, new_guid
from simulator.ids import ResourceId, key, parse, region_key
from simulator.lro import Operation

VNET_TYPE = "Microsoft.Network/virtualNetworks"
SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets"
NSG_TYPE = "Microsoft.Network/networkSecurityGroups"
RULE_TYPE = "Microsoft.Network/networkSecurityGroups/securityRules"
DELEGATION_TYPE = "Microsoft.Network/virtualNetworks/subnets/delegations"

# Read-only properties that mean "this subnet is in use by another resource".
_SUBNET_USERS = (
    "ipConfigurations",
    "serviceAssociationLinks",
    "resourceNavigationLinks",
    "privateEndpoints",
    "ipConfigurationProfiles",
    "applicationGatewayIPConfigurations",
)
# Maintained by Azure: what a PUT carries for these is ignored (a read-modify-write sends
# them back); the users are kept from the current state. Every other property a PUT carries,
# known or not, is kept as sent.
_SUBNET_READ_ONLY = ("provisioningState", "purpose", *_SUBNET_USERS)
_RULE_FIELDS_REQUIRED = ("protocol", "access", "direction", "priority")
_PROTOCOLS = {"tcp": "Tcp", "udp": "Udp", "icmp": "Icmp", "esp": "Esp", "ah": "Ah", "*": "*"}
# NRP adds these six to every NSG (REC-network test_network_nsg).
_DEFAULT_RULES = (
    ("AllowVnetInBound", 65000, "Inbound", "Allow", "VirtualNetwork", "VirtualNetwork"),
    ("AllowAzureLoadBalancerInBound", 65001, "Inbound", "Allow", "AzureLoadBalancer", "*"),
    ("DenyAllInBound", 65500, "Inbound", "Deny", "*", "*"),
    ("AllowVnetOutBound", 65000, "Outbound", "Allow", "VirtualNetwork", "VirtualNetwork"),
    ("AllowInternetOutBound", 65001, "Outbound", "Allow", "*", "Internet"),
    ("DenyAllOutBound", 65500, "Outbound", "Deny", "*", "*"),
)


@dataclass
class SubnetInfo:
    """What other providers need to know about a subnet."""

    id: str
    name: str
    prefixes: list[str]
    delegations: list[str]
    vnet_id: str
    location: str
    subscription: str
    users: list[str]


@dataclass
class _Vnet:
    rid: ResourceId
    location: str
    address_prefixes: list[str]
    tags: dict[str, str] = field(default_factory=dict)
    etag: str = ""
    state: str = "Succeeded"
    guid: str = field(default_factory=new_guid)
    subnets: dict[str, _Subnet] = field(default_factory=dict)  # lower name -> subnet


@dataclass
class _Subnet:
    rid: ResourceId
    props: dict[str, Any]
    etag: str = ""
    state: str = "Succeeded"


@dataclass
class _Nsg:
    rid: ResourceId
    location: str
    tags: dict[str, str] = field(default_factory=dict)
    rules: dict[str, _Rule] = field(default_factory=dict)  # lower name -> rule
    etag: str = ""
    state: str = "Succeeded"
    guid: str = field(default_factory=new_guid)


@dataclass
class _Rule:
    rid: ResourceId
    props: dict[str, Any]
    etag: str = ""
    state: str = "Succeeded"


def _etag() -> str:
    return f'W/"{new_guid()}"'


class NetworkBackend(Backend):
    """VNets with their subnets, and NSGs with their rules."""

    def reset(self) -> None:
        self.vnets: dict[str, _Vnet] = {}
        self.nsgs: dict[str, _Nsg] = {}

    # --- lookups for other providers --------------------------------------------------------

    def subnet_info(self, subnet_id: str) -> SubnetInfo:
        vnet, subnet = self._subnet(parse(subnet_id))
        return SubnetInfo(
            id=str(subnet.rid),
            name=subnet.rid.name,
            prefixes=_prefixes(subnet.props),
            delegations=[
                d.get("properties", {}).get("serviceName", "")
                for d in subnet.props.get("delegations", [])
            ],
            vnet_id=str(vnet.rid),
            location=region_key(vnet.location),
            subscription=vnet.rid.subscription,
            users=_users(subnet.props),
        )

    def attach_user(self, subnet_id: str, user_id: str, link_type: str) -> None:
        """Record that ``user_id`` (e.g. a gateway) now uses the subnet.

        Shown as a ``serviceAssociationLinks`` entry: what Azure shows on a subnet that an
        App Service-based resource uses is not documented for workspace gateways
        (arm-behaviour.md §5 q4), so this shape is the simulator's choice.
        """
        _, subnet = self._subnet(parse(subnet_id))
        links = subnet.props.setdefault("serviceAssociationLinks", [])
        if any(key(link["properties"]["link"]) == key(user_id) for link in links):
            return
        name = f"link-{parse(user_id).name}"
        links.append(
            {
                "name": name,
                "id": f"{subnet.rid}/serviceAssociationLinks/{name}",
                "etag": _etag(),
                "type": f"{SUBNET_TYPE}/serviceAssociationLinks",
                "properties": {
                    "provisioningState": "Succeeded",
                    "linkedResourceType": link_type,
                    "link": user_id,
                    "allowDelete": False,
                },
            }
        )
        subnet.etag = _etag()

    def detach_user(self, subnet_id: str, user_id: str) -> None:
        try:
            _, subnet = self._subnet(parse(subnet_id))
        except errors.ArmError:
            return
        links = subnet.props.get("serviceAssociationLinks", [])
        kept = [link for link in links if key(link["properties"]["link"]) != key(user_id)]
        if kept:
            subnet.props["serviceAssociationLinks"] = kept
        else:
            subnet.props.pop("serviceAssociationLinks", None)
        subnet.etag = _etag()

    def exists(self, rid: ResourceId) -> bool | None:
        t = rid.type_key
        if t == VNET_TYPE.lower():
            return key(str(rid)) in self.vnets
        if t == SUBNET_TYPE.lower():
            vnet = self.vnets.get(key(str(rid.parent())))
            return vnet is not None and rid.name.lower() in vnet.subnets
        if t == NSG_TYPE.lower():
            return key(str(rid)) in self.nsgs
        if t == RULE_TYPE.lower():
            nsg = self.nsgs.get(key(str(rid.parent())))
            return nsg is not None and rid.name.lower() in nsg.rules
        return None

    # --- seeding and state ------------------------------------------------------------------

    def seed(self, resource: dict[str, Any]) -> bool:
        rid = parse(resource["id"])
        props = resource.get("properties", {})
        if rid.type_key == VNET_TYPE.lower():
            self.require_group(rid)
            vnet = _Vnet(
                rid,
                resource.get("location", "westeurope"),
                list(props.get("addressSpace", {}).get("addressPrefixes", [])),
                dict(resource.get("tags", {})),
                _etag(),
            )
            self.vnets[key(str(rid))] = vnet
            for sub in props.get("subnets", []):
                srid = rid.child("subnets", sub["name"])
                sprops = copy.deepcopy(sub.get("properties", {}))
                sprops["delegations"] = self._delegations(srid, sprops.get("delegations", []))
                vnet.subnets[sub["name"].lower()] = _Subnet(srid, sprops, _etag())
            return True
        if rid.type_key == NSG_TYPE.lower():
            self.require_group(rid)
            nsg = _Nsg(rid, resource.get("location", "westeurope"), etag=_etag())
            for rule in props.get("securityRules", []):
                nsg.rules[rule["name"].lower()] = _Rule(
                    rid.child("securityRules", rule["name"]), dict(rule["properties"]), _etag()
                )
            self.nsgs[key(str(rid))] = nsg
            return True
        return False

    def snapshot(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for vnet in self.vnets.values():
            out.append(self.vnet_json(vnet))
            out.extend(self.subnet_json(s) for s in vnet.subnets.values())
        for nsg in self.nsgs.values():
            out.append(self.nsg_json(nsg))
        return out

    # --- virtual networks -------------------------------------------------------------------

    def get_vnet(self, rid: ResourceId) -> dict[str, Any]:
        return self.vnet_json(self._vnet(rid))

    def list_vnets(self, sub: str, group: str | None) -> list[dict[str, Any]]:
        return [self.vnet_json(x) for x in self.in_listing(self.vnets.values(), sub, group)]

    def put_vnet(
        self, rid: ResourceId, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[dict[str, Any], bool, Operation]:
        self.require_group(rid)
        existing = self.vnets.get(key(str(rid)))
        _check_if_match(headers, existing.etag if existing else None, rid, "Virtual network")
        if existing is not None:
            self._refuse_if_busy(existing)
        location = body.get("location")
        if not location:
            raise errors.bad_request("LocationRequired", "The location property is required.")
        if existing is not None and region_key(location) != region_key(existing.location):
            raise errors.bad_request(
                "InvalidRequestFormat", f"The location of {rid} cannot be changed."
            )
        props = body.get("properties", {})
        prefixes = props.get("addressSpace", {}).get("addressPrefixes", [])
        if not prefixes:
            raise errors.bad_request(
                "InvalidAddressSpace", "properties.addressSpace.addressPrefixes is required."
            )
        for p in prefixes:
            _network(p)
        vnet = existing or _Vnet(rid, location, [])
        old_prefixes = vnet.address_prefixes
        vnet.address_prefixes = list(prefixes)
        try:
            if "subnets" in props:
                self._reconcile_subnets(vnet, props["subnets"])
            else:
                for subnet in vnet.subnets.values():
                    self._check_in_space(vnet, subnet.rid, _prefixes(subnet.props))
        except errors.ArmError:
            vnet.address_prefixes = old_prefixes
            raise
        vnet.tags = dict(body.get("tags", vnet.tags))
        vnet.etag = _etag()
        vnet.state = "Updating"
        self.vnets[key(str(rid))] = vnet
        op = self._start(vnet, str(rid), "put", lambda _op: self._settle_vnet(vnet))
        return self.vnet_json(vnet), existing is None, op

    def delete_vnet(self, rid: ResourceId) -> Operation | None:
        self.require_group(rid)
        vnet = self.vnets.get(key(str(rid)))
        if vnet is None:
            return None
        self._refuse_if_busy(vnet)
        for subnet in vnet.subnets.values():
            users = _users(subnet.props)
            if users:
                raise errors.vnet_in_use(str(rid), users[0])
        vnet.state = "Deleting"
        return self._start(vnet, str(rid), "delete", lambda _op: self._drop_vnet(vnet))

    def _reconcile_subnets(self, vnet: _Vnet, wanted: list[dict[str, Any]]) -> None:
        names = {s.get("name", "").lower() for s in wanted}
        for name, subnet in vnet.subnets.items():
            if name not in names and _users(subnet.props):
                raise errors.subnet_in_use_delete(str(subnet.rid), _users(subnet.props)[0])
        staged = []
        for item in wanted:
            if not item.get("name"):
                raise errors.bad_request("InvalidRequestFormat", "Every subnet needs a name.")
            srid = vnet.rid.child("subnets", item["name"])
            staged.append((srid, self._validated_subnet(vnet, srid, item, exclude=names)))
        vnet.subnets = {
            srid.name.lower(): _Subnet(srid, props, _etag(), "Updating") for srid, props in staged
        }

    def _settle_vnet(self, vnet: _Vnet) -> None:
        vnet.state = "Succeeded"
        for subnet in vnet.subnets.values():
            subnet.state = "Succeeded"

    def _drop_vnet(self, vnet: _Vnet) -> None:
        self.vnets.pop(key(str(vnet.rid)), None)

    # --- subnets ----------------------------------------------------------------------------

    def get_subnet(self, rid: ResourceId) -> dict[str, Any]:
        _, subnet = self._subnet(rid)
        return self.subnet_json(subnet)

    def list_subnets(self, vnet_rid: ResourceId) -> list[dict[str, Any]]:
        return [self.subnet_json(s) for s in self._vnet(vnet_rid).subnets.values()]

    def put_subnet(
        self, rid: ResourceId, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[dict[str, Any], bool, Operation]:
        vnet = self._vnet(rid.parent())
        existing = vnet.subnets.get(rid.name.lower())
        _check_if_match(headers, existing.etag if existing else None, rid, "Subnet")
        self._refuse_if_busy(vnet)
        props = self._validated_subnet(vnet, rid, {"name": rid.name, **body}, exclude=set())
        subnet = existing or _Subnet(rid, {})
        if existing is not None:
            self._check_in_use_change(existing, props)
            for name in _SUBNET_READ_ONLY:  # kept from the current state
                if name in existing.props and name != "provisioningState":
                    props[name] = existing.props[name]
        subnet.props = props
        subnet.etag = _etag()
        subnet.state = "Updating"
        vnet.subnets[rid.name.lower()] = subnet
        op = self._start(vnet, str(rid), "put", lambda _op: setattr(subnet, "state", "Succeeded"))
        return self.subnet_json(subnet), existing is None, op

    def delete_subnet(self, rid: ResourceId) -> Operation | None:
        vnet = self._vnet(rid.parent())
        subnet = vnet.subnets.get(rid.name.lower())
        if subnet is None:
            return None
        users = _users(subnet.props)
        if users:
            raise errors.subnet_in_use_delete(str(rid), users[0])
        self._refuse_if_busy(vnet)
        subnet.state = "Deleting"
        return self._start(
            vnet, str(rid), "delete", lambda _op: vnet.subnets.pop(rid.name.lower(), None)
        )

    def _validated_subnet(
        self, vnet: _Vnet, rid: ResourceId, item: dict[str, Any], exclude: set[str]
    ) -> dict[str, Any]:
        """The properties of a subnet PUT, checked; raises the NRP error on a problem."""
        given = item.get("properties", {})
        props = {k: copy.deepcopy(v) for k, v in given.items() if k not in _SUBNET_READ_ONLY}
        prefixes = _prefixes(props)
        if not prefixes:
            raise errors.bad_request(
                "InvalidRequestFormat",
                f"Subnet {rid.name} needs properties.addressPrefix or addressPrefixes.",
            )
        self._check_in_space(vnet, rid, prefixes)
        for other in vnet.subnets.values():
            if other.rid.name.lower() == rid.name.lower():
                continue
            if exclude and other.rid.name.lower() not in exclude:
                continue
            for mine in prefixes:
                for theirs in _prefixes(other.props):
                    if _network(mine).overlaps(_network(theirs)):
                        raise errors.subnet_overlap(rid.name, other.rid.name)
        nsg_ref = props.get("networkSecurityGroup")
        if nsg_ref is not None:
            nsg_id = nsg_ref.get("id") if isinstance(nsg_ref, dict) else None
            nsg = self.nsgs.get(key(nsg_id)) if nsg_id else None
            if nsg is None:
                raise errors.invalid_reference(str(nsg_id), str(rid))
            if region_key(nsg.location) != region_key(vnet.location):
                raise errors.invalid_reference(str(nsg_id), str(rid))
            props["networkSecurityGroup"] = {"id": str(nsg.rid)}
        delegations = props.get("delegations", [])
        for d in delegations:
            service = (d.get("properties") or {}).get("serviceName", "")
            namespace = service.split("/", 1)[0]
            # Delegating to Microsoft.Web needs the provider registered (delegation include in
            # DOC api-management); the exact NRP error is unverified (arm-behaviour.md §5 q3).
            # Whether other targets need theirs is unknown: switch
            # nonWebDelegationNeedsRegistration (off: only Microsoft.Web is checked).
            checked = (
                namespace.lower() == "microsoft.web"
                or self.sim.timings.non_web_delegation_needs_registration
            )
            if (
                namespace
                and checked
                and not self.sim.resources.is_registered(rid.subscription, namespace)
            ):
                raise errors.missing_registration(rid.subscription, namespace)
        props["delegations"] = self._delegations(rid, delegations)
        return props

    def _check_in_space(self, vnet: _Vnet, rid: ResourceId, prefixes: list[str]) -> None:
        spaces = [_network(p) for p in vnet.address_prefixes]
        for prefix in prefixes:
            net = _network(prefix)
            if not any(
                net.version == s.version and net.subnet_of(s)  # type: ignore[arg-type]
                for s in spaces
            ):
                raise errors.subnet_outside_vnet(rid.name, prefix, vnet.rid.name)

    def _check_in_use_change(self, subnet: _Subnet, new: dict[str, Any]) -> None:
        users = _users(subnet.props)
        if not users:
            return
        old_services = [d["properties"]["serviceName"] for d in subnet.props.get("delegations", [])]
        new_services = [d["properties"]["serviceName"] for d in new.get("delegations", [])]
        if sorted(s.lower() for s in old_services) != sorted(s.lower() for s in new_services):
            raise errors.delegation_in_use(str(subnet.rid), old_services, new_services, users[0])
        if sorted(_prefixes(subnet.props)) != sorted(_prefixes(new)):
            raise errors.subnet_in_use_update(str(subnet.rid), users[0])

    @staticmethod
    def _delegations(rid: ResourceId, given: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for i, d in enumerate(given):
            name = d.get("name") or f"delegation{i}"
            service = (d.get("properties") or {}).get("serviceName")
            if not service or "/" not in service:
                raise errors.bad_request(
                    "InvalidServiceNameOnDelegation",
                    f"Delegation {name} of subnet {rid.name} needs properties.serviceName "
                    "such as Microsoft.Web/serverFarms.",
                )
            out.append(
                {
                    "name": name,
                    "id": f"{rid}/delegations/{name}",
                    "etag": _etag(),
                    "type": DELEGATION_TYPE,
                    "properties": {
                        "provisioningState": "Succeeded",
                        "serviceName": service,
                        # NRP fills actions itself (arm-behaviour.md §3.3, inferred).
                        "actions": ["Microsoft.Network/virtualNetworks/subnets/action"],
                    },
                }
            )
        return out

    # --- network security groups ------------------------------------------------------------

    def get_nsg(self, rid: ResourceId) -> dict[str, Any]:
        return self.nsg_json(self._nsg(rid))

    def list_nsgs(self, sub: str, group: str | None) -> list[dict[str, Any]]:
        return [self.nsg_json(x) for x in self.in_listing(self.nsgs.values(), sub, group)]

    def put_nsg(
        self, rid: ResourceId, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[dict[str, Any], bool, Operation]:
        self.require_group(rid)
        existing = self.nsgs.get(key(str(rid)))
        _check_if_match(headers, existing.etag if existing else None, rid, "Network security group")
        location = body.get("location")
        if not location:
            raise errors.bad_request("LocationRequired", "The location property is required.")
        props = body.get("properties", {})
        rules: dict[str, _Rule] = {}
        for item in props.get("securityRules", []) or []:
            name = item.get("name")
            if not name:
                raise errors.bad_request(
                    "InvalidRequestFormat", "Every security rule needs a name."
                )
            rrid = rid.child("securityRules", name)
            rules[name.lower()] = _Rule(rrid, _validated_rule(rrid, item.get("properties", {})))
        _check_priorities(list(rules.values()))
        nsg = existing or _Nsg(rid, location)
        nsg.rules = rules
        for rule in rules.values():
            rule.etag, rule.state = _etag(), "Updating"
        nsg.tags = dict(body.get("tags", nsg.tags))
        nsg.etag, nsg.state = _etag(), "Updating"
        self.nsgs[key(str(rid))] = nsg
        op = self._start(nsg, str(rid), "put", lambda _op: self._settle_nsg(nsg))
        return self.nsg_json(nsg), existing is None, op

    def delete_nsg(self, rid: ResourceId) -> Operation | None:
        self.require_group(rid)
        nsg = self.nsgs.get(key(str(rid)))
        if nsg is None:
            return None
        users = self._nsg_subnets(nsg)
        if users:
            raise errors.nsg_in_use(str(rid), users)
        nsg.state = "Deleting"
        return self._start(nsg, str(rid), "delete", lambda _op: self.nsgs.pop(key(str(rid)), None))

    def get_rule(self, rid: ResourceId) -> dict[str, Any]:
        nsg = self._nsg(rid.parent())
        rule = nsg.rules.get(rid.name.lower())
        if rule is None:
            raise errors.resource_not_found(RULE_TYPE, rid.name, rid.resource_group)
        return _rule_json(rule)

    def list_rules(self, nsg_rid: ResourceId) -> list[dict[str, Any]]:
        return [_rule_json(r) for r in self._nsg(nsg_rid).rules.values()]

    def put_rule(
        self, rid: ResourceId, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[dict[str, Any], bool, Operation]:
        nsg = self._nsg(rid.parent())
        existing = nsg.rules.get(rid.name.lower())
        _check_if_match(headers, existing.etag if existing else None, rid, "Security rule")
        rule = _Rule(rid, _validated_rule(rid, body.get("properties", {})), _etag(), "Updating")
        others = [r for n, r in nsg.rules.items() if n != rid.name.lower()]
        _check_priorities([*others, rule])
        nsg.rules[rid.name.lower()] = rule
        nsg.etag = _etag()
        op = self._start(nsg, str(rid), "put", lambda _op: setattr(rule, "state", "Succeeded"))
        return _rule_json(rule), existing is None, op

    def delete_rule(self, rid: ResourceId) -> Operation | None:
        nsg = self._nsg(rid.parent())
        if rid.name.lower() not in nsg.rules:
            return None
        nsg.rules[rid.name.lower()].state = "Deleting"
        return self._start(
            nsg, str(rid), "delete", lambda _op: nsg.rules.pop(rid.name.lower(), None)
        )

    def _settle_nsg(self, nsg: _Nsg) -> None:
        nsg.state = "Succeeded"
        for rule in nsg.rules.values():
            rule.state = "Succeeded"

    def _nsg_subnets(self, nsg: _Nsg) -> list[str]:
        return [
            str(s.rid)
            for v in self.vnets.values()
            for s in v.subnets.values()
            if key((s.props.get("networkSecurityGroup") or {}).get("id", "")) == key(str(nsg.rid))
        ]

    # --- JSON forms -------------------------------------------------------------------------

    def vnet_json(self, vnet: _Vnet) -> dict[str, Any]:
        return {
            "name": vnet.rid.name,
            "id": str(vnet.rid),
            "etag": vnet.etag,
            "type": VNET_TYPE,
            "location": region_key(vnet.location),
            "tags": dict(vnet.tags),
            "properties": {
                "provisioningState": vnet.state,
                "resourceGuid": vnet.guid,
                "addressSpace": {"addressPrefixes": list(vnet.address_prefixes)},
                "subnets": [self.subnet_json(s) for s in vnet.subnets.values()],
                "virtualNetworkPeerings": [],
                "enableDdosProtection": False,
            },
        }

    def subnet_json(self, subnet: _Subnet) -> dict[str, Any]:
        props = copy.deepcopy(subnet.props)
        props["provisioningState"] = subnet.state
        props.setdefault("delegations", [])
        props.setdefault("privateEndpointNetworkPolicies", "Disabled")
        props.setdefault("privateLinkServiceNetworkPolicies", "Enabled")
        # NRP shows "purpose" only when a service sets it (SPEC-NET SubnetCreateWithDelegation).
        return {
            "name": subnet.rid.name,
            "id": str(subnet.rid),
            "etag": subnet.etag,
            "type": SUBNET_TYPE,
            "properties": props,
        }

    def nsg_json(self, nsg: _Nsg) -> dict[str, Any]:
        rid = str(nsg.rid)
        defaults = [
            {
                "name": name,
                "id": f"{rid}/defaultSecurityRules/{name}",
                "etag": nsg.etag,
                "type": f"{NSG_TYPE}/defaultSecurityRules",
                "properties": _with_rule_arrays(
                    {
                        "provisioningState": "Succeeded",
                        "description": f"Default rule {name}",
                        "protocol": "*",
                        "sourcePortRange": "*",
                        "destinationPortRange": "*",
                        "sourceAddressPrefix": src,
                        "destinationAddressPrefix": dst,
                        "access": access,
                        "priority": priority,
                        "direction": direction,
                    }
                ),
            }
            for name, priority, direction, access, src, dst in _DEFAULT_RULES
        ]
        props: dict[str, Any] = {
            "provisioningState": nsg.state,
            "resourceGuid": nsg.guid,
            "securityRules": [_rule_json(r) for r in nsg.rules.values()],
            "defaultSecurityRules": defaults,
        }
        subnets = self._nsg_subnets(nsg)
        if subnets:
            props["subnets"] = [{"id": s} for s in subnets]
        return {
            "name": nsg.rid.name,
            "id": rid,
            "etag": nsg.etag,
            "type": NSG_TYPE,
            "location": region_key(nsg.location),
            "tags": dict(nsg.tags),
            "properties": props,
        }

    # --- internals --------------------------------------------------------------------------

    def _vnet(self, rid: ResourceId) -> _Vnet:
        self.require_group(rid)
        vnet = self.vnets.get(key(str(rid)))
        if vnet is None:
            raise errors.resource_not_found(VNET_TYPE, rid.name, rid.resource_group)
        return vnet

    def _subnet(self, rid: ResourceId) -> tuple[_Vnet, _Subnet]:
        if rid.type_key != SUBNET_TYPE.lower():
            raise errors.bad_request("InvalidResourceId", f"'{rid}' is not a subnet id.")
        vnet = self._vnet(rid.parent())
        subnet = vnet.subnets.get(rid.name.lower())
        if subnet is None:
            raise errors.resource_not_found(
                SUBNET_TYPE, f"{vnet.rid.name}/{rid.name}", rid.resource_group
            )
        return vnet, subnet

    def _nsg(self, rid: ResourceId) -> _Nsg:
        self.require_group(rid)
        nsg = self.nsgs.get(key(str(rid)))
        if nsg is None:
            raise errors.resource_not_found(NSG_TYPE, rid.name, rid.resource_group)
        return nsg

    def _refuse_if_busy(self, vnet: _Vnet) -> None:
        """NRP serialises writes per VNet and answers 429 RetryableError meanwhile (§3.3)."""
        for op in self.sim.operations.pending_under(str(vnet.rid)):
            raise errors.retryable_another_operation(op.op_id, op.resource_id)

    def _start(
        self,
        owner: _Vnet | _Nsg,
        resource_id: str,
        action: Literal["put", "delete"],
        complete: Callable[[Operation], Any],
    ) -> Operation:
        return self.sim.operations.start(
            resource_id,
            action,
            complete,
            duration=self.sim.timings.short_operation,
            polls_needed=self.sim.timings.network_in_progress_polls,
            region=region_key(owner.location),
        )


def _check_if_match(headers: dict[str, str], etag: str | None, rid: ResourceId, what: str) -> None:
    """``If-Match`` / ``If-None-Match``; a stale ``If-Match`` is NRP's 412 (errors.py)."""
    try:
        check_if_match(headers, etag, f"{what} {rid}")
    except errors.ArmError as exc:
        given = headers.get("if-match")
        if exc.status == 412 and etag is not None and given is not None:
            raise errors.etag_mismatch(given, etag, str(rid)) from None
        raise


def _prefixes(props: dict[str, Any]) -> list[str]:
    # Portal-created subnets may carry only the plural list (DOC inject-vnet-v2.md).
    if props.get("addressPrefixes"):
        return [str(p) for p in props["addressPrefixes"]]
    if props.get("addressPrefix"):
        return [str(props["addressPrefix"])]
    return []


def _users(props: dict[str, Any]) -> list[str]:
    users: list[str] = []
    for name in _SUBNET_USERS:
        for item in props.get(name) or []:
            link = (item.get("properties") or {}).get("link") if isinstance(item, dict) else None
            users.append(str(link or item.get("id", name)))
    return users


# A subnet write checks its prefixes against every subnet of its VNet (as NRP does); parsing
# each of theirs again made that check cost a parse per subnet of the VNet (issue 17, item 5).
# The networks are immutable; a bad prefix raises and is not cached.
@functools.lru_cache(maxsize=4096)
def _network(prefix: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        net = ipaddress.ip_network(prefix, strict=False)
    except ValueError as exc:
        raise errors.invalid_prefix(prefix) from exc
    if str(net) != prefix.strip():
        raise errors.invalid_cidr(prefix, str(net))
    return net


def _validated_rule(rid: ResourceId, props: dict[str, Any]) -> dict[str, Any]:
    missing = [f for f in _RULE_FIELDS_REQUIRED if props.get(f) in (None, "")]
    if missing:
        raise errors.invalid_security_rule(rid.name, f"missing {', '.join(missing)}")
    out = copy.deepcopy(props)
    protocol = _PROTOCOLS.get(str(props["protocol"]).lower())
    if protocol is None:
        raise errors.invalid_security_rule(rid.name, f"protocol {props['protocol']} is not valid")
    out["protocol"] = protocol
    if str(props["access"]).lower() not in {"allow", "deny"}:
        raise errors.invalid_security_rule(rid.name, "access must be Allow or Deny")
    out["access"] = str(props["access"]).title()
    if str(props["direction"]).lower() not in {"inbound", "outbound"}:
        raise errors.invalid_security_rule(rid.name, "direction must be Inbound or Outbound")
    out["direction"] = str(props["direction"]).title()
    priority = props["priority"]
    if isinstance(priority, bool) or not isinstance(priority, int) or not 100 <= priority <= 4096:
        raise errors.invalid_security_rule(rid.name, "priority must be an integer 100..4096")
    for a, b in (
        ("sourceAddressPrefix", "sourceAddressPrefixes"),
        ("destinationAddressPrefix", "destinationAddressPrefixes"),
        ("sourcePortRange", "sourcePortRanges"),
        ("destinationPortRange", "destinationPortRanges"),
    ):
        if not props.get(a) and not props.get(b):
            raise errors.invalid_security_rule(rid.name, f"{a} or {b} is required")
        if props.get(a) and props.get(b):
            raise errors.invalid_security_rule(rid.name, f"give {a} or {b}, not both")
    return out


def _check_priorities(rules: list[_Rule]) -> None:
    seen: dict[tuple[str, int], str] = {}
    for rule in rules:
        slot = (rule.props["direction"], rule.props["priority"])
        if slot in seen:
            raise errors.security_rule_conflict(rule.rid.name, seen[slot])
        seen[slot] = rule.rid.name


# NRP answers every rule with the plural fields, empty when the singular one is used (SPEC-NET
# NetworkSecurityGroupRuleGet.json / NetworkSecurityGroupCreateWithRule.json responses).
_RULE_ARRAYS = (
    "sourcePortRanges", "destinationPortRanges", "sourceAddressPrefixes",
    "destinationAddressPrefixes",
)  # fmt: skip


def _with_rule_arrays(props: dict[str, Any]) -> dict[str, Any]:
    for name in _RULE_ARRAYS:
        props.setdefault(name, [])
    return props


def _rule_json(rule: _Rule) -> dict[str, Any]:
    return {
        "name": rule.rid.name,
        "id": str(rule.rid),
        "etag": rule.etag,
        "type": RULE_TYPE,
        "properties": _with_rule_arrays(
            {"provisioningState": rule.state, **copy.deepcopy(rule.props)}
        ),
    }
