"""Typed inputs and outputs of the APIM activities (workspace, gateway, link)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.wire_model import WireModel

# Workspaces carry no tags in 2024-05-01, so ownership is marked in the description.
OWNER_MARK = "[onboarding:{instance}]"
INSTANCE_TAG = "onboarding-instance"
TICKET_TAG = "onboarding-ticket"


class CreateWorkspaceInput(WireModel):
    service_id: str
    name: str
    display_name: str
    description: str = ""
    instance_id: str


class WorkspaceRecord(WireModel):
    workspace_id: str
    created: bool


class BeginGatewayInput(WireModel):
    gateway_id: str
    location: str
    capacity: int = Field(ge=1)
    network_type: Literal["None", "External", "Internal"]
    subnet_id: str | None = None
    instance_id: str
    ticket_id: str


class GatewayRecord(WireModel):
    gateway_id: str
    created: bool


class GatewayState(WireModel):
    gateway_id: str
    provisioning_state: str
    hostname: str | None = None
    private_ip: str | None = None
    # Which builds this one is like (the poll schedule reads their recorded durations); None in
    # histories recorded before they were read.
    location: str | None = None
    sku: str | None = None


class LinkInput(WireModel):
    gateway_id: str
    workspace_id: str
    # The config connection's name; None: derived from the workspace's (shared/apim_names.py).
    link_name: str | None = None


class LinkRecord(WireModel):
    """A config connection this call started (its undo record), or why it must wait.

    ``state`` is the link's provisioningState when the PUT was accepted (the saga polls it to
    an end); ``deferred`` says APIM refused the link while the gateway builds, so nothing was
    made and the saga links after the build.
    """

    link_id: str
    created: bool
    hostname: str | None = None
    state: str = "Succeeded"
    deferred: bool = False


class LinkStateInput(WireModel):
    link_id: str


class LinkState(WireModel):
    link_id: str
    provisioning_state: str
    hostname: str | None = None


class GatewayStateInput(WireModel):
    gateway_id: str
    # True when the saga reads its own link after the build (its hostname is there, issue 13):
    # the gateway's config connections are then not listed for it (issue 17, item 4).
    hostname_from_link: bool = False
