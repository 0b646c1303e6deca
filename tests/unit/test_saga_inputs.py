"""The pure input builders: what each saga call carries, from the request, plan and results."""

from __future__ import annotations

from shared import saga_inputs as inputs
from shared.apim_models import LinkRecord, WorkspaceRecord
from shared.network_models import NsgRecord
from shared.preflight import PreflightResult
from shared.request import OnboardingRequest
from shared.saga_models import SagaPolicy
from shared.saga_plan import plan_for
from tests.unit.fake_azure import RG, SERVICE, SHARED_GW, SUBNET, request

NSG = NsgRecord(nsg_id=f"{RG}/rg-network/providers/Microsoft.Network/networkSecurityGroups/nsg-x",
                created=True)  # fmt: skip
WORKSPACE = WorkspaceRecord(workspace_id=f"{SERVICE}/workspaces/ws-payments", created=True)


def _run(mode: str = "injection", shared: bool = False) -> inputs.Run:
    req = OnboardingRequest.model_validate(request(mode, shared=shared))
    return inputs.Run(req, plan_for(req, SagaPolicy()), "onboard-chg1")


def _preflight(prior: dict | None) -> PreflightResult:
    subnet = {"subscription": "s", "region": "westeurope", "prefixes": ["10.20.1.0/24"],
              "delegations": [], "users": [], "prior": prior}  # fmt: skip
    return PreflightResult.model_validate(
        {
            "passed": True,
            "findings": [],
            "facts": {"mode": "injection", "serviceExists": True, "subnet": subnet},
        }
    )


def test_the_subnet_write_carries_the_state_preflight_found_before_the_run():
    prior = {"delegations": ["Microsoft.Web/serverFarms"], "nsgId": "/x/nsg-old"}
    call = inputs.subnet(_run(), NSG, _preflight(prior))
    assert (call.prior_delegations, call.prior_nsg_id) == (
        ["Microsoft.Web/serverFarms"],
        "/x/nsg-old",
    )
    assert call.delegation == "Microsoft.Web/hostingEnvironments" and call.nsg_id == NSG.nsg_id


def test_without_preflight_facts_the_prior_state_is_read_at_write_time():
    call = inputs.subnet(_run(), NSG, _preflight(None))
    assert call.prior_delegations is None and call.prior_nsg_id is None


def test_every_grant_names_the_run_that_relies_on_it_at_its_scope():
    grants = inputs.roles(_run(), (0, 1, 2), WORKSPACE)
    assert {g.instance_id for g in grants} == {"onboard-chg1"}
    assert [g.scope for g in grants] == [SERVICE, WORKSPACE.workspace_id,
                                        f"{RG}/rg-apim/providers/Microsoft.ApiManagement/gateways/gw-payments"]  # fmt: skip


def test_a_shared_gateway_is_the_gateway_scope_and_is_never_created():
    run = _run("integration", shared=True)
    assert run.gateway_id == SHARED_GW
    assert inputs.preflight(run).gateway_id is None
    assert inputs.link(run, WORKSPACE).gateway_id == SHARED_GW


def test_the_private_dns_zone_is_named_exactly_the_gateway_hostname_in_the_subnets_vnet():
    call = inputs.private_dns(_run(), "gw.example.azure-api.net", "10.20.1.9")
    assert call.zone_name == "gw.example.azure-api.net"
    assert call.vnet_id == SUBNET.split("/subnets/")[0]


def test_the_waiter_leaves_the_hostname_to_a_link_the_saga_reads_after_the_build():
    # issue 17, item 4: wait_for_link reads a link made and not yet done; its hostname is the
    # gateway's, so the waiter's last poll need not list the gateway's config connections.
    link_id = f"{RG}/gateways/gw/configConnections/ws-payments"
    made = LinkRecord(link_id=link_id, created=True, state="Updating")
    done = LinkRecord(link_id=link_id, created=True, state="Succeeded")
    deferred = LinkRecord(link_id=link_id, created=False, state="Deferred", deferred=True)
    run = _run()
    assert inputs.waiter(run, "t0", "t1", link=made).hostname_from_link is True
    for link in (done, deferred, None):  # not read again: the waiter lists them, as before
        assert inputs.waiter(run, "t0", "t1", link=link).hostname_from_link is False
