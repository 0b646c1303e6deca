"""Microsoft.ApiManagement: services (read), workspaces, workspace gateways, config connections.

Wire facts from arm-behaviour.md §3.5-§3.7 (SPEC-APIM 2024-05-01 examples, REC-apim):
workspaces are synchronous (201/200, quoted ETag header, If-Match required on DELETE);
a gateway PUT is an LRO answering 201 with the same ``.../operationresults/{id}`` URL in
``Location`` and ``Azure-AsyncOperation`` and a body in ``Created`` / target ``Activating``;
the build then takes hours (``gatewayBuildMinutes`` of simulated time; polls never shorten
it) and ends ``Succeeded`` or, when told through ``/_sim/provisioning``, ``Failed``.
Network settings are fixed at creation; the subnet must be delegated to match the gateway's
``virtualNetworkType``, be /27../24, be used by nothing else, and sit in the gateway's region
and subscription (DOC virtual-network-workspaces-resources).
"""

from __future__ import annotations

import base64
import datetime as dt
import fnmatch
import hashlib
import heapq
import ipaddress
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from simulator import errors
from simulator.backends.base import Backend, check_if_match
from simulator.clock import iso
from simulator.ids import ResourceId, key, parse, region_key, try_parse
from simulator.lro import NEVER_BY_POLLS, Operation

NS = "Microsoft.ApiManagement"
SERVICE_TYPE = f"{NS}/service"
WORKSPACE_TYPE = f"{NS}/service/workspaces"
GATEWAY_TYPE = f"{NS}/gateways"
LINK_TYPE = f"{NS}/gateways/configConnections"
GATEWAY_WRITE = f"{GATEWAY_TYPE}/write"  # the operationName of a gateway PUT's events
WORKSPACE_LINK_TYPE = f"{NS}/service/workspaceLinks"

# Tiers that host workspaces (DOC how-to-create-workspace.md).
WORKSPACE_TIERS = {"premium", "premiumv2", "standardv2", "basicv2"}
GATEWAY_SKUS = {"Standard", "WorkspaceGatewayStandard", "WorkspaceGatewayPremium"}
# virtualNetworkType -> the delegation its subnet needs (arm-behaviour.md §3.1, §3.6).
DELEGATION_FOR = {
    "External": "Microsoft.Web/serverFarms",
    "Internal": "Microsoft.Web/hostingEnvironments",
}
# Gateways created before this date serve one workspace only (how-to-create-workspace.md).
MULTI_WORKSPACE_SINCE = dt.datetime(2025, 4, 15, tzinfo=dt.UTC)
MAX_WORKSPACES_PER_GATEWAY = 30
# Gateway and configConnection names (SPEC-APIM path parameters; arm-behaviour.md §1).
APIM_NAME = re.compile(r"^[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$")
LINK_NAME_MAX = 30
GATEWAY_NAME_MAX = 45
# Workspace ids: 1-80 characters, none of * # & + : < > ? (SPEC-APIM WorkspaceIdParameter,
# as the generated SDK's client-side check spells it).
WORKSPACE_ID = re.compile(r"^[^*#&+:<>?]+$")
WORKSPACE_ID_MAX = 80
# Switch gatewayBuildOutcome "never": a build whose end lies beyond any test's clock.
NEVER_ENDS = dt.timedelta(days=36500)
# The failure a build reports under gatewayBuildOutcome "failed" (and a Failed provisioning
# rule without an error); the real payload is unverified (arm-behaviour.md §5, question 5).
BUILD_FAILED = {
    "code": "GatewayProvisioningFailed",
    "message": "The workspace gateway could not be provisioned (simulated).",
}


def _apim_etag() -> str:
    return base64.b64encode(secrets.token_bytes(8)).decode()


@dataclass
class _Service:
    rid: ResourceId
    location: str
    sku: dict[str, Any]
    props: dict[str, Any]


@dataclass
class _Workspace:
    rid: ResourceId
    display_name: str
    description: str
    etag: str = field(default_factory=_apim_etag)


@dataclass
class _Gateway:
    rid: ResourceId
    location: str
    sku: dict[str, Any]
    network_type: str
    subnet_id: str | None
    tags: dict[str, str]
    created: dt.datetime
    state: str = "Created"
    target: str = "Activating"
    etag: str = field(default_factory=_apim_etag)
    op: Operation | None = None
    build_error: dict[str, Any] | None = None
    expose_ip: bool | None = None  # None: follow the timings
    private_ip: str | None = None


@dataclass
class _Link:
    rid: ResourceId
    source_id: str
    hostname: str
    state: str = "Updating"
    etag: str = field(default_factory=_apim_etag)


@dataclass
class _Rule:
    name: str
    outcome: str | None
    error: dict[str, Any] | None
    build_minutes: float | None
    expose_ip: bool | None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "outcome": self.outcome,
            "error": self.error,
            "buildMinutes": self.build_minutes,
            "exposePrivateIp": self.expose_ip,
        }


class ApimBackend(Backend):
    """APIM services, workspaces, gateways and config connections."""

    def reset(self) -> None:
        self.services: dict[str, _Service] = {}
        self.workspaces: dict[str, _Workspace] = {}
        self.gateways: dict[str, _Gateway] = {}
        self.links: dict[str, _Link] = {}
        self.rules: list[_Rule] = []
        # Gateways still "Created", earliest first: tick() looks at the due ones only, not at
        # every gateway on every request.
        self._created: list[tuple[dt.datetime, int, _Gateway]] = []

    # --- time ---------------------------------------------------------------------------------

    def tick(self) -> None:
        now = self.sim.clock.now()
        activating = dt.timedelta(minutes=self.sim.timings.gateway_activating_after_minutes)
        while self._created and now - self._created[0][0] >= activating:
            _, _, gw = heapq.heappop(self._created)
            if gw.state == "Created":
                gw.state = "Activating"

    def _track_created(self, gw: _Gateway) -> None:
        if gw.state == "Created":
            heapq.heappush(self._created, (gw.created, id(gw), gw))

    # --- seeding and state ----------------------------------------------------------------

    def seed(self, resource: dict[str, Any]) -> bool:
        rid = parse(resource["id"])
        t = rid.type_key
        props = resource.get("properties", {})
        if t == SERVICE_TYPE.lower():
            self.require_group(rid)
            self.services[key(str(rid))] = _Service(
                rid, resource.get("location", "West Europe"), dict(resource.get("sku", {})), props
            )
            return True
        if t == WORKSPACE_TYPE.lower():
            self._service(rid.parent())
            self.workspaces[key(str(rid))] = _Workspace(
                rid, props.get("displayName", rid.name), props.get("description", "")
            )
            return True
        if t == GATEWAY_TYPE.lower():
            self.require_group(rid)
            created = props.get("createdAtUtc")
            subnet = (props.get("backend") or {}).get("subnet", {}).get("id")
            gw = _Gateway(
                rid,
                resource.get("location", "West Europe"),
                dict(resource.get("sku", {"name": "WorkspaceGatewayPremium", "capacity": 1})),
                props.get("virtualNetworkType", "None"),
                subnet,
                dict(resource.get("tags", {})),
                _parse_time(created) if created else self.sim.clock.now(),
                state=props.get("provisioningState", "Succeeded"),
                target="",
            )
            self.gateways[key(str(rid))] = gw
            self._track_created(gw)
            if subnet:
                self.sim.network.attach_user(subnet, str(rid), GATEWAY_TYPE)
            self._finish_build(gw)
            return True
        if t == LINK_TYPE.lower():
            gw = self._gateway(rid.parent())
            self.links[key(str(rid))] = _Link(
                rid, props["sourceId"], self._hostname(gw, rid.name), "Succeeded"
            )
            return True
        return False

    def exists(self, rid: ResourceId) -> bool | None:
        table: dict[str, dict[str, Any]] = {
            SERVICE_TYPE.lower(): self.services,
            WORKSPACE_TYPE.lower(): self.workspaces,
            GATEWAY_TYPE.lower(): self.gateways,
            LINK_TYPE.lower(): self.links,
        }
        found = table.get(rid.type_key)
        return None if found is None else key(str(rid)) in found

    def snapshot(self) -> list[dict[str, Any]]:
        return [
            *(self.service_json(s) for s in self.services.values()),
            *(self.workspace_json(w) for w in self.workspaces.values()),
            *(self.gateway_json(g) for g in self.gateways.values()),
            *(self.link_json(c) for c in self.links.values()),
        ]

    # --- services and workspaces ----------------------------------------------------------

    def get_service(self, rid: ResourceId) -> dict[str, Any]:
        return self.service_json(self._service(rid))

    def put_workspace(
        self, rid: ResourceId, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[dict[str, Any], bool]:
        if len(rid.name) > WORKSPACE_ID_MAX or not WORKSPACE_ID.fullmatch(rid.name):
            raise errors.apim_invalid_name(
                "workspaceId", rid.name, WORKSPACE_ID_MAX, "without any of * # & + : < > ?"
            )
        service = self._service(rid.parent())
        tier = str(service.sku.get("name", "")).replace(" ", "").lower()
        if tier not in WORKSPACE_TIERS:
            raise errors.apim_tier_unsupported(str(service.sku.get("name")))
        existing = self.workspaces.get(key(str(rid)))
        check_if_match(headers, existing.etag if existing else None, f"Workspace {rid.name}")
        props = body.get("properties") or {}
        display = props.get("displayName")
        if not isinstance(display, str) or not display.strip():
            raise errors.apim_validation("'displayName' is required.", "displayName")
        if len(display) > 300:
            raise errors.apim_validation("'displayName' must be 1..300 characters.", "displayName")
        ws = existing or _Workspace(rid, display, "")
        ws.display_name, ws.description = display, str(props.get("description") or "")
        ws.etag = _apim_etag()
        self.workspaces[key(str(rid))] = ws
        return self.workspace_json(ws), existing is None

    def get_workspace(self, rid: ResourceId) -> _Workspace:
        self._service(rid.parent())
        ws = self.workspaces.get(key(str(rid)))
        if ws is None:
            raise errors.resource_not_found(WORKSPACE_TYPE, rid.name, rid.resource_group)
        return ws

    def list_workspaces(self, service_rid: ResourceId) -> list[dict[str, Any]]:
        self._service(service_rid)
        prefix = key(str(service_rid)) + "/workspaces/"
        return [self.workspace_json(w) for k, w in self.workspaces.items() if k.startswith(prefix)]

    def delete_workspace(self, rid: ResourceId, headers: dict[str, str]) -> bool:
        self._service(rid.parent())
        if "if-match" not in headers:
            raise errors.missing_if_match()
        ws = self.workspaces.get(key(str(rid)))
        if ws is None:
            return False
        check_if_match(headers, ws.etag, f"Workspace {rid.name}")
        linked = [k for k, c in self.links.items() if key(c.source_id) == key(str(rid))]
        # Whether APIM cascades or refuses is undocumented: switch workspaceDeleteWithLinks.
        if linked and self.sim.timings.workspace_delete_with_links == "conflict":
            raise errors.still_linked(
                "workspace", str(rid), [str(self.links[k].rid) for k in linked]
            )
        del self.workspaces[key(str(rid))]
        for link_key in linked:
            del self.links[link_key]
        return True

    def workspace_link(self, service_rid: ResourceId, workspace: str) -> dict[str, Any]:
        ws = self.get_workspace(service_rid.child("workspaces", workspace))
        gateways = sorted(
            {
                str(c.rid.parent())
                for c in self.links.values()
                if key(c.source_id) == key(str(ws.rid))
            }
        )
        return {
            "id": f"{service_rid}/workspaceLinks/{workspace}",
            "name": workspace,
            "type": WORKSPACE_LINK_TYPE,
            "properties": {"workspaceId": str(ws.rid), "gateways": [{"id": g} for g in gateways]},
        }

    def workspace_links(self, service_rid: ResourceId) -> list[dict[str, Any]]:
        return [
            self.workspace_link(service_rid, w["name"]) for w in self.list_workspaces(service_rid)
        ]

    # --- gateways -------------------------------------------------------------------------

    def put_gateway(
        self, rid: ResourceId, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[dict[str, Any], bool, Operation | None]:
        if len(rid.name) > GATEWAY_NAME_MAX or not APIM_NAME.fullmatch(rid.name):
            raise errors.apim_invalid_name("gatewayName", rid.name, GATEWAY_NAME_MAX)
        self.require_group(rid)
        existing = self.gateways.get(key(str(rid)))
        check_if_match(headers, existing.etag if existing else None, f"Gateway {rid.name}")
        location = body.get("location")
        if not isinstance(location, str) or not location:
            raise errors.apim_validation("'location' is required.", "location")
        sku = body.get("sku") or {}
        if sku.get("name") not in GATEWAY_SKUS:
            raise errors.apim_validation(
                f"'sku.name' must be one of {sorted(GATEWAY_SKUS)}.", "sku.name"
            )
        capacity = sku.get("capacity", 1)
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise errors.apim_validation("'sku.capacity' must be an integer >= 1.", "sku.capacity")
        props = body.get("properties") or {}
        network_type = props.get("virtualNetworkType") or "None"
        if network_type not in ("None", "External", "Internal"):
            raise errors.apim_validation(
                "'virtualNetworkType' must be None, External or Internal.", "virtualNetworkType"
            )
        subnet_id = ((props.get("backend") or {}).get("subnet") or {}).get("id")
        if existing is not None:
            return self._update_gateway(existing, location, sku, network_type, subnet_id, body)
        if network_type == "None" and subnet_id:
            raise errors.apim_validation(
                "A gateway with virtualNetworkType None takes no backend subnet.",
                "backend.subnet.id",
            )
        if network_type != "None":
            self._check_subnet(rid, location, network_type, subnet_id)
        gw = _Gateway(
            rid,
            location,
            {"name": sku["name"], "capacity": capacity},
            network_type,
            subnet_id,
            dict(body.get("tags") or {}),
            self.sim.clock.now(),
        )
        self.gateways[key(str(rid))] = gw
        self._track_created(gw)
        if subnet_id:
            self.sim.network.attach_user(subnet_id, str(rid), GATEWAY_TYPE)
        rule = self._rule_for(rid.name)
        minutes = (
            rule.build_minutes
            if rule and rule.build_minutes is not None
            else self.sim.timings.gateway_build_minutes
        )
        outcome = self.sim.timings.gateway_build_outcome
        gw.op = self.sim.operations.start(
            str(rid),
            "put",
            lambda op: self._finish_build(gw),
            # "never": the build does not end while anyone waits (a century of simulated time).
            duration=NEVER_ENDS if outcome == "never" else dt.timedelta(minutes=minutes),
            polls_needed=NEVER_BY_POLLS,
            result=lambda: self.gateway_json(gw),
        )
        if outcome == "failed":
            gw.op.outcome, gw.op.error = "Failed", dict(BUILD_FAILED)
            gw.build_error = gw.op.error
        if rule is not None:
            self._apply_rule(gw, rule)
        self.sim.eventgrid.write_accepted(str(rid), GATEWAY_WRITE)
        return self.gateway_json(gw), True, gw.op

    def _update_gateway(
        self,
        gw: _Gateway,
        location: str,
        sku: dict[str, Any],
        network_type: str,
        subnet_id: str | None,
        body: dict[str, Any],
    ) -> tuple[dict[str, Any], bool, Operation | None]:
        # Network settings are set at creation only (DOC virtual-network-workspaces-resources).
        if network_type != gw.network_type:
            raise errors.gateway_network_immutable("virtualNetworkType")
        if (subnet_id or "").lower() != (gw.subnet_id or "").lower():
            raise errors.gateway_network_immutable("backend.subnet.id")
        if region_key(location) != region_key(gw.location):
            raise errors.apim_validation("The location of a gateway cannot change.", "location")
        if gw.state not in ("Succeeded", "Failed") and (
            sku.get("capacity", 1) != gw.sku["capacity"] or sku["name"] != gw.sku["name"]
        ):
            raise errors.gateway_busy(str(gw.rid), gw.state)
        gw.sku = {"name": sku["name"], "capacity": sku.get("capacity", 1)}
        gw.tags = dict(body.get("tags") or gw.tags)
        gw.etag = _apim_etag()
        # Same settings again: 200 with the current state, no new build (idempotent re-PUT).
        return self.gateway_json(gw), False, None

    def _check_subnet(
        self, rid: ResourceId, location: str, network_type: str, subnet_id: str | None
    ) -> None:
        if not subnet_id:
            raise errors.apim_validation(
                f"virtualNetworkType {network_type} needs properties.backend.subnet.id.",
                "backend.subnet.id",
            )
        if try_parse(subnet_id) is None:
            raise errors.apim_validation(f"'{subnet_id}' is not a subnet id.", "backend.subnet.id")
        info = self.sim.network.subnet_info(subnet_id)
        if info.subscription.lower() != rid.subscription.lower():
            raise errors.apim_validation(
                f"The virtual network of subnet {subnet_id} must be in the gateway's "
                f"subscription {rid.subscription}.",
                "backend.subnet.id",
            )
        if info.location != region_key(location):
            raise errors.apim_validation(
                f"The virtual network of subnet {subnet_id} is in {info.location}; it must be "
                f"in the gateway's region {region_key(location)}.",
                "backend.subnet.id",
            )
        sizes = [ipaddress.ip_network(p).prefixlen for p in info.prefixes]
        if not sizes or any(s < 24 or s > 27 for s in sizes):
            raise errors.apim_validation(
                f"Subnet {info.name} is {', '.join(info.prefixes)}; a workspace gateway needs "
                "a subnet between /27 and /24.",
                "backend.subnet.id",
            )
        wanted = DELEGATION_FOR[network_type]
        if [d.lower() for d in info.delegations] != [wanted.lower()]:
            raise errors.apim_validation(
                f"Subnet {info.name} must be delegated to {wanted} (and nothing else) for "
                f"virtualNetworkType {network_type}; it is delegated to "
                f"[{', '.join(info.delegations)}].",
                "backend.subnet.id",
            )
        if info.users:
            raise errors.apim_validation(
                f"Subnet {info.name} is in use by {info.users[0]}; a workspace gateway needs "
                "a dedicated subnet.",
                "backend.subnet.id",
            )

    def _finish_build(self, gw: _Gateway) -> None:
        # The PUT's operation ended (a seeded gateway has none; a canceled write is not a
        # write success or failure, and nothing here subscribes to ResourceWriteCancel).
        if gw.op is not None and gw.op.done and gw.op.outcome != "Canceled":
            succeeded = gw.op.outcome == "Succeeded"
            self.sim.eventgrid.write_completed(str(gw.rid), GATEWAY_WRITE, succeeded)
        if gw.op is not None and gw.op.outcome == "Failed":
            gw.state, gw.target = "Failed", ""
            return
        if gw.state in ("Created", "Activating"):
            gw.state, gw.target = "Succeeded", ""
        if gw.state == "Succeeded" and gw.network_type == "Internal" and gw.subnet_id:
            network = ipaddress.ip_network(self.sim.network.subnet_info(gw.subnet_id).prefixes[0])
            # Azure keeps the first four addresses of a subnet; the VIP is the next one.
            gw.private_ip = str(network.network_address + 4)

    def portal_overview(self, rid: ResourceId) -> dict[str, Any]:
        """What the portal's Overview of a gateway shows, ARM or not: the docs say the private
        VIP is shown there (arm-behaviour.md §3.6), so an operator reads it there."""
        gw = self._gateway(rid)
        return {
            "id": str(gw.rid),
            "provisioningState": gw.state,
            "hostname": self._hostname(gw),
            "privateIpAddress": gw.private_ip,
        }

    def get_gateway(self, rid: ResourceId) -> dict[str, Any]:
        return self.gateway_json(self._gateway(rid))

    def list_gateways(self, sub: str, group: str | None) -> list[dict[str, Any]]:
        return [self.gateway_json(x) for x in self.in_listing(self.gateways.values(), sub, group)]

    def delete_gateway(self, rid: ResourceId) -> tuple[dict[str, Any], Operation] | None:
        self.require_group(rid)
        gw = self.gateways.get(key(str(rid)))
        if gw is None:
            return None
        prefix = key(str(rid)) + "/configconnections/"
        linked = [str(c.rid) for k, c in self.links.items() if k.startswith(prefix)]
        # Whether APIM cascades or refuses is undocumented: switch gatewayDeleteWithLinks.
        if linked and self.sim.timings.gateway_delete_with_links == "conflict":
            raise errors.still_linked("gateway", str(rid), linked)
        if gw.op is not None and not gw.op.done:
            gw.op.outcome = "Canceled"
            gw.op.error = {"code": "Canceled", "message": "The gateway was deleted."}
            self.sim.operations.finish(gw.op)
        gw.state, gw.target = "Terminating", "Deleting"

        def gone(_op: Operation) -> None:
            self.gateways.pop(key(str(rid)), None)
            for link_key in [k for k in self.links if k.startswith(prefix)]:
                del self.links[link_key]
            if gw.subnet_id:
                self.sim.network.detach_user(gw.subnet_id, str(rid))

        op = self.sim.operations.start(
            str(rid),
            "delete",
            gone,
            duration=dt.timedelta(minutes=self.sim.timings.gateway_delete_minutes),
            polls_needed=1,
        )
        return self.gateway_json(gw), op

    # --- config connections ---------------------------------------------------------------

    def put_link(
        self, rid: ResourceId, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[dict[str, Any], bool, Operation]:
        if len(rid.name) > LINK_NAME_MAX or not APIM_NAME.fullmatch(rid.name):
            raise errors.apim_invalid_name("configConnectionName", rid.name, LINK_NAME_MAX)
        gw = self._gateway(rid.parent())
        existing = self.links.get(key(str(rid)))
        check_if_match(
            headers, existing.etag if existing else None, f"Config connection {rid.name}"
        )
        source = ((body.get("properties") or {}).get("sourceId")) or ""
        src = try_parse(source)
        if src is None or src.type_key != WORKSPACE_TYPE.lower():
            raise errors.apim_validation(
                "'sourceId' must be the ARM id of an APIM workspace.", "properties.sourceId"
            )
        if not self.exists(src):
            raise errors.apim_validation(
                f"Workspace {source} does not exist.", "properties.sourceId"
            )
        if existing is not None and key(existing.source_id) != key(source):
            raise errors.apim_validation(
                "The sourceId of a config connection cannot change.", "properties.sourceId"
            )
        if gw.state in ("Failed", "Terminating"):
            raise errors.gateway_busy(str(gw.rid), gw.state)
        service = self._service(src.parent())
        if src.subscription.lower() != gw.rid.subscription.lower() or region_key(
            service.location
        ) != region_key(gw.location):
            raise errors.apim_validation(
                f"The workspace's service is in {service.location} ({src.subscription}); the "
                f"gateway in {gw.location} ({gw.rid.subscription}): they must match.",
                "properties.sourceId",
            )
        if existing is None:
            others = [
                c for c in self.links.values() if key(str(c.rid.parent())) == key(str(gw.rid))
            ]
            if gw.created < MULTI_WORKSPACE_SINCE and others:
                raise errors.apim_validation(
                    f"Gateway {gw.rid.name} was created before 2025-04-15 and serves one "
                    "workspace only.",
                    "properties.sourceId",
                )
            if len(others) >= MAX_WORKSPACES_PER_GATEWAY:
                raise errors.apim_validation(
                    f"Gateway {gw.rid.name} already serves {MAX_WORKSPACES_PER_GATEWAY} "
                    "workspaces, the maximum.",
                    "properties.sourceId",
                )
        building = gw.state != "Succeeded"
        during_build = self.sim.timings.config_connection_during_build
        if building and during_build == "refuse":
            raise errors.gateway_busy(str(gw.rid), gw.state)
        link = existing or _Link(rid, source, self._hostname(gw, rid.name))
        link.state, link.etag = "Updating", _apim_etag()
        self.links[key(str(rid))] = link
        duration = self.sim.timings.short_operation
        polls: float = self.sim.timings.config_connection_in_progress_polls
        if building and during_build == "await-build" and gw.op is not None and not gw.op.done:
            # The link completes with the build, whatever polls ask (NEVER_BY_POLLS).
            duration = max(duration, gw.op.ready_at - self.sim.clock.now())
            polls = NEVER_BY_POLLS

        def done(_op: Operation) -> None:
            link.state = "Failed" if gw.state in ("Failed", "Canceled") else "Succeeded"

        op = self.sim.operations.start(str(rid), "put", done, duration=duration, polls_needed=polls)
        return self.link_json(link), existing is None, op

    def get_link(self, rid: ResourceId) -> dict[str, Any]:
        self._gateway(rid.parent())
        link = self.links.get(key(str(rid)))
        if link is None:
            raise errors.resource_not_found(LINK_TYPE, rid.name, rid.resource_group)
        return self.link_json(link)

    def list_links(self, gateway_rid: ResourceId) -> list[dict[str, Any]]:
        self._gateway(gateway_rid)
        prefix = key(str(gateway_rid)) + "/configconnections/"
        return [self.link_json(c) for k, c in self.links.items() if k.startswith(prefix)]

    def delete_link(self, rid: ResourceId, headers: dict[str, str]) -> Operation | None:
        self._gateway(rid.parent())
        if "if-match" not in headers:
            raise errors.missing_if_match()
        link = self.links.get(key(str(rid)))
        if link is None:
            return None
        check_if_match(headers, link.etag, f"Config connection {rid.name}")
        link.state = "Deleting"
        return self.sim.operations.start(
            str(rid),
            "delete",
            lambda _op: self.links.pop(key(str(rid)), None),
            duration=self.sim.timings.short_operation,
            polls_needed=self.sim.timings.config_connection_in_progress_polls,
        )

    # --- /_sim/provisioning ---------------------------------------------------------------

    def set_provisioning_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        """Script gateway builds: outcome, build time, VIP exposure; for builds now and later."""
        allowed = {"name", "outcome", "error", "buildMinutes", "exposePrivateIp", "clear"}
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise errors.bad_request(
                "InvalidProvisioningRule", f"Unknown field(s) {unknown}; known: {sorted(allowed)}."
            )
        if body.get("clear"):
            self.rules.clear()
            return {"rules": []}
        problems = []
        name = body.get("name", "*")
        if not isinstance(name, str) or not name:
            problems.append("'name' must be a gateway name or glob ('*' for all)")
        outcome = body.get("outcome")
        if outcome not in (None, "Succeeded", "Failed"):
            problems.append("'outcome' must be Succeeded or Failed")
        error = body.get("error")
        if error is not None and not (
            isinstance(error, dict) and isinstance(error.get("code"), str)
        ):
            problems.append("'error' must be an object with a 'code' (and a 'message')")
        minutes = body.get("buildMinutes")
        if minutes is not None and (
            isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes < 0
        ):
            problems.append("'buildMinutes' must be a number >= 0")
        expose = body.get("exposePrivateIp")
        if expose is not None and not isinstance(expose, bool):
            problems.append("'exposePrivateIp' must be true or false")
        if problems:
            raise errors.bad_request("InvalidProvisioningRule", "; ".join(problems) + ".")
        if outcome == "Failed" and error is None:
            error = dict(BUILD_FAILED)
        rule = _Rule(str(name), outcome, error, minutes, expose)
        self.rules.append(rule)
        for gw in self.gateways.values():
            if fnmatch.fnmatch(gw.rid.name.lower(), rule.name.lower()):
                self._apply_rule(gw, rule)
        return {"rules": [r.to_json() for r in self.rules]}

    def _rule_for(self, name: str) -> _Rule | None:
        matching = [r for r in self.rules if fnmatch.fnmatch(name.lower(), r.name.lower())]
        return matching[-1] if matching else None

    def _apply_rule(self, gw: _Gateway, rule: _Rule) -> None:
        if rule.expose_ip is not None:
            gw.expose_ip = rule.expose_ip
        op = gw.op
        if op is None or op.done:
            return
        if rule.outcome is not None:
            op.outcome = "Failed" if rule.outcome == "Failed" else "Succeeded"
            op.error = rule.error if rule.outcome == "Failed" else None
            gw.build_error = op.error
        if rule.build_minutes is not None:
            ready_at = gw.created + dt.timedelta(minutes=rule.build_minutes)
            self.sim.operations.reschedule(op, ready_at)
        self.sim.operations.tick()

    # --- JSON forms -----------------------------------------------------------------------

    def service_json(self, s: _Service) -> dict[str, Any]:
        return {
            "id": str(s.rid),
            "name": s.rid.name,
            "type": SERVICE_TYPE,
            "location": s.location,
            "sku": dict(s.sku),
            "properties": {"provisioningState": "Succeeded", **s.props},
        }

    def workspace_json(self, w: _Workspace) -> dict[str, Any]:
        return {
            "id": str(w.rid),
            "name": w.rid.name,
            "type": WORKSPACE_TYPE,
            "etag": w.etag,
            "properties": {"displayName": w.display_name, "description": w.description},
        }

    def gateway_json(self, g: _Gateway) -> dict[str, Any]:
        props: dict[str, Any] = {
            "provisioningState": g.state,
            "targetProvisioningState": g.target,
            "createdAtUtc": iso(g.created),
            "virtualNetworkType": g.network_type,
        }
        # frontend.defaultHostname is "only applicable for API gateway with Standard SKU"
        # (SPEC-APIM apigateway.json) and absent from the WorkspaceGatewayPremium example;
        # switch gatewayHostname "also-frontend" shows it there too.
        if g.sku.get("name") == "Standard" or self.sim.timings.gateway_hostname == "also-frontend":
            props["frontend"] = {"defaultHostname": self._hostname(g)}
        if g.subnet_id:
            props["backend"] = {"subnet": {"id": g.subnet_id}}
        expose = self.sim.timings.gateway_exposes_private_ip if g.expose_ip is None else g.expose_ip
        if g.private_ip and expose:
            props["privateIPAddresses"] = [g.private_ip]
        return {
            "id": str(g.rid),
            "name": g.rid.name,
            "type": GATEWAY_TYPE,
            "location": g.location,
            "etag": g.etag,
            "tags": dict(g.tags),
            "sku": dict(g.sku),
            "systemData": {"createdAt": iso(g.created), "createdByType": "Application"},
            "properties": props,
        }

    def link_json(self, c: _Link) -> dict[str, Any]:
        props: dict[str, Any] = {"provisioningState": c.state, "sourceId": c.source_id}
        gw = self.gateways.get(key(str(c.rid.parent())))
        # Switch gatewayHostname "after-succeeded": the hostname shows once the build is done.
        hidden = self.sim.timings.gateway_hostname == "after-succeeded" and (
            gw is None or gw.state != "Succeeded"
        )
        if not hidden:
            # SPEC-APIM apimgatewayConfigConnections.json: defaultHostname and hostnames[].
            props["defaultHostname"] = c.hostname
            props["hostnames"] = [c.hostname]
        return {
            "id": str(c.rid),
            "name": c.rid.name,
            "type": LINK_TYPE,
            "etag": c.etag,
            "properties": props,
        }

    # --- internals ------------------------------------------------------------------------

    def _hostname(self, gw: _Gateway, _link: str | None = None) -> str:
        # Documented form <gateway-name>-<hash>.gateway.<region>-<n>.azure-api.net
        # (DOC virtual-network-workspaces-resources); the hash is stable per gateway id.
        digest = hashlib.sha256(key(str(gw.rid)).encode()).hexdigest()[:12]
        return f"{gw.rid.name.lower()}-{digest}.gateway.{region_key(gw.location)}-01.azure-api.net"

    def _service(self, rid: ResourceId) -> _Service:
        self.require_group(rid)
        service = self.services.get(key(str(rid)))
        if service is None:
            raise errors.resource_not_found(SERVICE_TYPE, rid.name, rid.resource_group)
        return service

    def _gateway(self, rid: ResourceId) -> _Gateway:
        self.require_group(rid)
        gw = self.gateways.get(key(str(rid)))
        if gw is None:
            raise errors.resource_not_found(GATEWAY_TYPE, rid.name, rid.resource_group)
        return gw


def _parse_time(raw: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
