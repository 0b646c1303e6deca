"""Microsoft.ApiManagement activities: workspace, gateway, config connection; undo beside do.

The gateway build takes hours, so ``begin_gateway`` only starts it and ``get_gateway_state``
reads where it is; the orchestrator polls on durable timers (DESIGN.md §3). Ownership is what
makes undo safe: a resource counts as created by this run only if it carries this run's mark
(tags on gateways, a mark in the workspace description), so a re-run after a crash still knows
what to delete and never deletes what was there before.
"""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest
from azure.mgmt.apimanagement.models import (
    ApiManagementGatewayConfigConnectionResource,
    ApiManagementGatewayResource,
    ApiManagementGatewaySkuProperties,
    BackendConfiguration,
    BackendSubnetConfiguration,
    WorkspaceContract,
)

from activities.arm_action import arm_action, undo_action
from shared.apim_models import (
    INSTANCE_TAG,
    OWNER_MARK,
    TICKET_TAG,
    BeginGatewayInput,
    CreateWorkspaceInput,
    GatewayRecord,
    GatewayState,
    LinkInput,
    LinkRecord,
    LinkState,
    LinkStateInput,
    WorkspaceRecord,
)
from shared.apim_names import link_name
from shared.arm_ids import ArmId
from shared.azure_clients import ClientFactory, clients
from shared.step_errors import StepError

API_VERSION = "2024-05-01"
# Fields where a gateway may expose its private VIP; real ARM has none today (arm-behaviour §3.6).
VIP_FIELDS = ("privateIPAddresses", "privateIpAddresses", "privateIPAddress")


def create_workspace(
    inp: CreateWorkspaceInput, factory: ClientFactory | None = None
) -> WorkspaceRecord:
    """Create the workspace, or adopt it when this run created it before (a retried activity)."""
    service_id = ArmId.parse(inp.service_id)
    api = (factory or clients()).apim(service_id.subscription)
    rg, service = service_id.resource_group, service_id.name
    mark = OWNER_MARK.format(instance=inp.instance_id)
    action = f"create workspace {inp.name}"
    with arm_action(action):
        try:
            existing = api.workspace.get(rg, service, inp.name)
        except ResourceNotFoundError:
            existing = None
        if existing is not None and mark not in (existing.description or ""):
            raise StepError(
                "permanent",
                "WorkspaceExists",
                f"{action}: a workspace named {inp.name} already exists and was not created by "
                "this onboarding; choose another name or remove it.",
            )
        description = f"{inp.description} {mark}".strip()
        created = api.workspace.create_or_update(
            rg,
            service,
            inp.name,
            WorkspaceContract(display_name=inp.display_name, description=description),
        )
        return WorkspaceRecord(workspace_id=str(created.id), created=True)


def delete_workspace(record: WorkspaceRecord, factory: ClientFactory | None = None) -> None:
    if not record.created:
        return
    workspace_id = ArmId.parse(record.workspace_id)
    api = (factory or clients()).apim(workspace_id.subscription)
    with undo_action(f"delete workspace {workspace_id.name}"):
        api.workspace.delete(
            workspace_id.resource_group,
            workspace_id.parent.name,
            workspace_id.name,
            if_match="*",
        )


def begin_gateway(inp: BeginGatewayInput, factory: ClientFactory | None = None) -> GatewayRecord:
    """Start the gateway build (or find this run's build under way) and return at once."""
    gateway_id = ArmId.parse(inp.gateway_id)
    api = (factory or clients()).apim(gateway_id.subscription)
    rg, name = gateway_id.resource_group, gateway_id.name
    action = f"create gateway {name}"
    with arm_action(action):
        try:
            existing = api.api_gateway.get(rg, name)
        except ResourceNotFoundError:
            existing = None
        if existing is not None:
            if (existing.tags or {}).get(INSTANCE_TAG) != inp.instance_id:
                raise StepError(
                    "permanent",
                    "GatewayExists",
                    f"{action}: a gateway named {name} already exists and belongs to another "
                    "run; choose another name or join it as a shared gateway.",
                )
            return GatewayRecord(gateway_id=str(existing.id), created=True)
        backend = (
            BackendConfiguration(subnet=BackendSubnetConfiguration(id=inp.subnet_id))
            if inp.subnet_id
            else None
        )
        poller = api.api_gateway.begin_create_or_update(
            rg,
            name,
            ApiManagementGatewayResource(
                location=inp.location,
                sku=ApiManagementGatewaySkuProperties(
                    name="WorkspaceGatewayPremium", capacity=inp.capacity
                ),
                virtual_network_type=inp.network_type,
                backend=backend,
                tags={INSTANCE_TAG: inp.instance_id, TICKET_TAG: inp.ticket_id},
            ),
            # No poller: a sync poller would poll from a background thread for hours.
            polling=False,
        )
        # Never wait on the poller: the build takes hours; the orchestrator polls on timers.
        del poller
        return GatewayRecord(gateway_id=inp.gateway_id, created=True)


def get_gateway_state(
    gateway_id: str, factory: ClientFactory | None = None, read_links: bool = True
) -> GatewayState:
    """Where the build is, plus the hostname and (if ARM shows one) the private VIP.

    Without ``read_links`` the hostname is only the gateway's own: the caller reads its link
    after the build, which reports it (one list of the config connections less).
    """
    gateway = ArmId.parse(gateway_id)
    api = (factory or clients()).apim(gateway.subscription)
    with arm_action(f"read gateway {gateway.name}"):
        response = api._send_request(  # raw body: the model drops fields it does not know
            HttpRequest("GET", f"{gateway_id}?api-version={API_VERSION}")
        )
        response.raise_for_status()
        raw: dict[str, Any] = response.json()
    props = raw.get("properties") or {}
    state = str(props.get("provisioningState", "Unknown"))
    hostname = (props.get("frontend") or {}).get("defaultHostname")
    if not hostname and state.lower() == "succeeded" and read_links:
        # A WorkspaceGatewayPremium gateway shows no frontend.defaultHostname: its hostname is
        # on the config connection, which may have shown none while the gateway built.
        hostname = _links_hostname(api, gateway)
    return GatewayState(
        gateway_id=gateway_id, provisioning_state=state, hostname=hostname,
        private_ip=_first_ip(props), location=raw.get("location") or None,
        sku=(raw.get("sku") or {}).get("name") or None,
    )  # fmt: skip


def _links_hostname(api: Any, gateway: ArmId) -> str | None:
    """The hostname the gateway's config connections report, if they agree on one."""
    with arm_action(f"read links of gateway {gateway.name}"):
        names = {
            str(link.default_hostname)
            for link in api.api_gateway_config_connection.list_by_gateway(
                gateway.resource_group, gateway.name
            )
            if link.default_hostname
        }
    return names.pop() if len(names) == 1 else None


def _first_ip(props: dict[str, Any]) -> str | None:
    for field in VIP_FIELDS:
        value = props.get(field)
        if isinstance(value, list) and value:
            return str(value[0])
        if isinstance(value, str) and value:
            return value
    return None


def delete_gateway(record: GatewayRecord, factory: ClientFactory | None = None) -> None:
    """Start deleting the gateway this run created; a gateway that was there before stays."""
    if not record.created:
        return
    gateway_id = ArmId.parse(record.gateway_id)
    api = (factory or clients()).apim(gateway_id.subscription)
    with undo_action(f"delete gateway {gateway_id.name}"):
        api.api_gateway.begin_delete(gateway_id.resource_group, gateway_id.name, polling=False)


def link_workspace(inp: LinkInput, factory: ClientFactory | None = None) -> LinkRecord:
    """Start linking the workspace to the gateway (config connection named after the
    workspace, ``shared.apim_names.link_name``) and return at once: the saga polls the link
    (get_link_state) to its end.

    Whether APIM accepts a link while the gateway builds is undocumented. If it refuses one
    (400/409/423) while the gateway is not yet Succeeded, nothing was made: the record says
    ``deferred`` and the saga links after the build.
    """
    gateway_id = ArmId.parse(inp.gateway_id)
    api = (factory or clients()).apim(gateway_id.subscription)
    rg, gateway = gateway_id.resource_group, gateway_id.name
    workspace = ArmId.parse(inp.workspace_id).name
    name = inp.link_name or link_name(workspace)  # a workspace name may be no valid link name
    link_id = str(gateway_id.child("configConnections", name))
    action = f"link workspace {workspace} to gateway {gateway}"
    with arm_action(action):
        try:
            try:
                existing = api.api_gateway_config_connection.get(rg, gateway, name)
            except ResourceNotFoundError:
                existing = None
            if existing is not None and (
                (existing.source_id or "").lower() != inp.workspace_id.lower()
            ):
                raise StepError(
                    "permanent",
                    "LinkNameTaken",
                    f"{action}: the gateway already has a config connection named {name} for "
                    f"another workspace ({existing.source_id}).",
                )
            if existing is not None and existing.provisioning_state == "Succeeded":
                link = existing  # a retry after a lost result: already made, nothing to send
            else:
                link = api.api_gateway_config_connection.begin_create_or_update(
                    rg, gateway, name,
                    ApiManagementGatewayConfigConnectionResource(source_id=inp.workspace_id),
                    polling=False,
                ).result()  # fmt: skip
        except HttpResponseError as exc:
            if exc.status_code in (400, 409, 423) and _still_building(api, rg, gateway):
                return LinkRecord(link_id=link_id, created=False, state="Deferred", deferred=True)
            raise  # classified by arm_action
    # The link's name is the workspace's (or derived from it) and points at it, and the
    # workspace is this run's (create_workspace refuses foreign ones), so the link is this run's
    # even when a retry finds it made.
    return LinkRecord(link_id=str(link.id or link_id), created=True,
                      hostname=link.default_hostname,
                      state=str(link.provisioning_state or "Updating"))  # fmt: skip


def _still_building(api: Any, rg: str, gateway: str) -> bool:
    try:
        state = api.api_gateway.get(rg, gateway).provisioning_state
    except HttpResponseError:
        return False  # unknown: let the refusal be classified as it is
    return str(state or "").lower() != "succeeded"


def get_link_state(inp: LinkStateInput, factory: ClientFactory | None = None) -> LinkState:
    """The config connection's provisioningState and the hostname it reports."""
    link = ArmId.parse(inp.link_id)
    api = (factory or clients()).apim(link.subscription)
    with arm_action(f"read link {link.name}"):
        found = api.api_gateway_config_connection.get(
            link.resource_group, link.parent.name, link.name
        )
    return LinkState(
        link_id=inp.link_id,
        provisioning_state=str(found.provisioning_state or "Unknown"),
        hostname=found.default_hostname,
    )


def unlink_workspace(record: LinkRecord, factory: ClientFactory | None = None) -> None:
    if not record.created:
        return
    link_id = ArmId.parse(record.link_id)
    api = (factory or clients()).apim(link_id.subscription)
    rg, gateway, name = link_id.resource_group, link_id.parent.name, link_id.name
    with undo_action(f"unlink {name}"):
        poller = api.api_gateway_config_connection.begin_delete(rg, gateway, name, if_match="*")
        try:
            poller.result()
        except HttpResponseError as exc:
            if exc.status_code != 403:
                raise
            # The DELETE was accepted; only its status URL (.../gateways/{gw}/operationresults,
            # readable through the RBAC Administrator's */read, which infra/ grants at the
            # gateway group only when gateway-scope roles are allowed) was refused. The link
            # itself is readable (configConnections/read): gone is done, still there is a
            # delete in progress to check again later (issue 13, simulator/access.py).
            try:
                api.api_gateway_config_connection.get(rg, gateway, name)
            except ResourceNotFoundError:
                return
            raise StepError(
                "transient",
                "LinkStillDeleting",
                f"unlink {name}: the delete was accepted and is still running; checking again",
            ) from None
