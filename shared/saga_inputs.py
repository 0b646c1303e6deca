"""Pure builders of each saga activity's typed input from the request, the plan and earlier results.

The procedure (orchestrators/saga.py) only says which call comes when; what each call carries
is decided here, unit-tested alone. ARM ids are built through shared/arm_ids.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shared.access_models import AssignRoleInput
from shared.apim_models import (
    BeginGatewayInput,
    CreateWorkspaceInput,
    LinkInput,
    LinkRecord,
    LinkStateInput,
)
from shared.apim_models import WorkspaceRecord as Workspace
from shared.arm_ids import gateway_id_for, vnet_id_of
from shared.dns_models import PrivateDnsInput
from shared.network_models import ConfigureSubnetInput, EnsureNsgInput, NsgRecord
from shared.preflight import DELEGATION_FOR_MODE, PreflightInput, PreflightResult
from shared.request import OnboardingRequest
from shared.saga_models import SignalledWaiterInput, WaiterInput
from shared.saga_plan import Plan

NETWORK_TYPE: dict[str, Literal["None", "External", "Internal"]] = {
    "none": "None", "integration": "External", "injection": "Internal",
}  # fmt: skip
INSTANCE_TAG = "onboarding-instance"


@dataclass(frozen=True)
class Run:
    """What every builder may read: the request, its plan and the run's instance id."""

    request: OnboardingRequest
    plan: Plan
    instance_id: str

    @property
    def gateway_id(self) -> str:
        """The shared gateway joined, or the one this run creates beside the APIM service."""
        gateway = self.request.gateway
        if gateway.existing_gateway_id:
            return gateway.existing_gateway_id
        assert gateway.name is not None  # the contract requires a name for a new gateway
        return gateway_id_for(self.request.apim_service_id, gateway.name)

    @property
    def subnet_id(self) -> str:
        subnet_id = self.request.gateway.network.subnet_id
        assert subnet_id is not None  # the contract requires it for integration and injection
        return subnet_id


def preflight(run: Run) -> PreflightInput:
    req = run.request
    return PreflightInput(
        apim_service_id=req.apim_service_id,
        mode=run.plan.mode,
        subnet_id=req.gateway.network.subnet_id,
        workspace_name=req.workspace.name,
        gateway_id=None if run.plan.shared_gateway else run.gateway_id,
        existing_gateway_id=req.gateway.existing_gateway_id,
        instance_id=run.instance_id,
    )


def workspace(run: Run) -> CreateWorkspaceInput:
    ws = run.request.workspace
    return CreateWorkspaceInput(
        service_id=run.request.apim_service_id,
        name=ws.name,
        display_name=ws.display_name,
        description=ws.description,
        instance_id=run.instance_id,
    )


def nsg(run: Run, pre: PreflightResult | None = None) -> EnsureNsgInput:
    """The NSG of the mode, with the region and prefixes preflight read (not read again)."""
    subnet = pre.facts.subnet if pre is not None else None
    return EnsureNsgInput(
        subnet_id=run.subnet_id,
        nsg_name=f"nsg-{run.request.gateway.name}",
        mode=run.plan.mode,
        tags={INSTANCE_TAG: run.instance_id},
        location=subnet.region if subnet else None,
        prefixes=list(subnet.prefixes) if subnet else None,
    )


def subnet(run: Run, nsg: NsgRecord, pre: PreflightResult) -> ConfigureSubnetInput:
    """The delegation and NSG to set, with the subnet as preflight found it before the run, so
    that an undo restores that state even when the write is retried after a lost result."""
    prior = pre.facts.subnet.prior if pre.facts.subnet else None
    return ConfigureSubnetInput(
        subnet_id=run.subnet_id,
        delegation=DELEGATION_FOR_MODE[run.plan.mode],
        nsg_id=nsg.nsg_id,
        prior_delegations=prior.delegations if prior else None,
        prior_nsg_id=prior.nsg_id if prior else None,
        # Written from under If-Match, not read again (issue 17, item 4).
        read=pre.subnet_read,
    )


def roles(run: Run, indexes: tuple[int, ...], workspace: Workspace) -> list[AssignRoleInput]:
    """The grants at ``indexes`` of the request's access list, at their scopes' ids."""
    scopes = {
        "service": run.request.apim_service_id,
        "workspace": workspace.workspace_id,
        "gateway": run.gateway_id,
    }
    return [
        AssignRoleInput(
            scope=scopes[grant.scope],
            role_name=grant.role,
            principal_id=grant.principal_id,
            principal_type=grant.principal_type,
            instance_id=run.instance_id,
        )
        for grant in (run.request.access[i] for i in indexes)
    ]


def gateway(run: Run, pre: PreflightResult) -> BeginGatewayInput:
    req = run.request
    return BeginGatewayInput(
        gateway_id=run.gateway_id,
        location=pre.facts.service_region,
        capacity=req.gateway.capacity,
        network_type=NETWORK_TYPE[run.plan.mode],
        subnet_id=req.gateway.network.subnet_id,
        instance_id=run.instance_id,
        ticket_id=req.ticket_id,
    )


def link(run: Run, workspace: Workspace) -> LinkInput:
    return LinkInput(gateway_id=run.gateway_id, workspace_id=workspace.workspace_id)


def link_state(link: LinkRecord) -> LinkStateInput:
    return LinkStateInput(link_id=link.link_id)


def waiter(
    run: Run,
    started_at: str,
    deadline_at: str,
    link: LinkRecord | None = None,
    push_signal: bool = False,
) -> WaiterInput:
    """The build's waiter. It leaves the hostname to ``link`` when the saga reads that link
    after the build (:func:`link_read_after_build`): one list of the gateway's config
    connections less on its last poll (issue 17, item 4). With ``push_signal`` (the run
    started with POLICY_GATEWAY_PUSH_SIGNAL on) it also wakes on the gateway's write event."""
    kind = SignalledWaiterInput if push_signal else WaiterInput
    return kind(
        gateway_id=run.gateway_id,
        started_at=started_at,
        deadline_at=deadline_at,
        hostname_from_link=link is not None and link_read_after_build(link),
    )


LINK_DONE = {"succeeded", "failed", "canceled"}  # orchestrators.gateway_waiter.TERMINAL


def link_read_after_build(link: LinkRecord) -> bool:
    """Whether the saga reads ``link`` after the build (wait_for_link polls a link that was
    made, not deferred, and is not done yet); that read reports the gateway's hostname. A
    deferred link or one already done is not read again: the waiter then lists the gateway's
    config connections for the hostname, as before."""
    return not link.deferred and link.state.lower() not in LINK_DONE


def private_dns(run: Run, hostname: str, private_ip: str) -> PrivateDnsInput:
    dns = run.request.dns
    assert dns is not None  # the contract requires it for injection with a new gateway
    return PrivateDnsInput(
        dns_resource_group_id=dns.resource_group_id,
        zone_name=hostname,
        vnet_id=vnet_id_of(run.subnet_id),
        private_ip=private_ip,
        instance_id=run.instance_id,
    )
