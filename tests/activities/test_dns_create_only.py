"""Private DNS by create-only writes (If-None-Match: *) against the simulator (issue 17, item 4).

A fresh zone, VNet link and A record cost one write each, with no read before (or after);
what was there before is still told from this run's work by its tag, also when a create's
outcome was never learnt (its poll failed): the partial record's undo deletes only what
carries the run's tag.
"""

from __future__ import annotations

import pytest

from activities.dns import ensure_private_dns, undo_private_dns
from shared.dns_models import PrivateDnsInput, PrivateDnsRecord
from shared.step_errors import StepError
from tests.simulator.conftest import SUB, VNET_ID

ZONE = "gw-create-only-0123456789ab.gateway.westeurope-01.azure-api.net"
DNS_RG_ID = f"/subscriptions/{SUB}/resourceGroups/rg-dns"
ZONE_ID = f"{DNS_RG_ID}/providers/Microsoft.Network/privateDnsZones/{ZONE}"
LINK_ID = f"{ZONE_ID}/virtualNetworkLinks/link-vnet-apim"


def _dns(instance: str = "onboard-chg1") -> PrivateDnsInput:
    return PrivateDnsInput(
        dns_resource_group_id=DNS_RG_ID, zone_name=ZONE, vnet_id=VNET_ID,
        private_ip="10.20.1.4", instance_id=instance,
    )  # fmt: skip


def _on(sim, resource_id: str) -> list[str]:
    return [
        r["method"]
        for r in sim.requests()
        if r["path"].split("?")[0].lower() == resource_id.lower()
    ]


def test_a_fresh_zone_link_and_record_are_one_write_each_and_no_read(sim, factory):
    sim.call("DELETE", "/_sim/requests")
    record = ensure_private_dns(_dns(), factory)
    assert (record.zone_created, record.link_created, record.record_created) == (True,) * 3
    assert record.owner_check is None  # a full record: its flags are facts
    assert _on(sim, ZONE_ID) == ["PUT"]
    assert _on(sim, LINK_ID) == ["PUT"]
    assert _on(sim, f"{ZONE_ID}/A/@") == ["PUT"]


def test_what_another_run_made_is_found_by_the_refused_create_and_kept(sim, factory):
    ensure_private_dns(_dns(instance="onboard-other"), factory)
    record = ensure_private_dns(_dns(), factory)
    assert (record.zone_created, record.link_created, record.record_created) == (False,) * 3
    apex = sim.resource(f"{ZONE_ID}/A/@")
    assert apex["properties"]["aRecords"] == [{"ipv4Address": "10.20.1.4"}]  # written, as before
    undo_private_dns(record, factory)
    assert sim.resource(ZONE_ID) is not None and sim.resource(LINK_ID) is not None


def test_a_create_whose_outcome_is_unknown_never_undoes_what_was_there(sim, factory):
    ensure_private_dns(_dns(instance="onboard-other"), factory)  # the zone is someone else's
    # Our create-only write is accepted (202) and its operation fails (PreconditionFailed),
    # but the poll that would say so is lost: the step cannot know the zone is not its own.
    sim.fault(method="GET", path="*/privateDnsOperationStatuses/*", reset=True, count=1)
    with pytest.raises(StepError) as raised:
        ensure_private_dns(_dns(), factory)
    partial = PrivateDnsRecord.model_validate(raised.value.partial)
    assert partial.zone_created and partial.owner_check == "onboard-chg1"
    undo_private_dns(partial, factory)
    sim.advance(minutes=5)
    assert sim.resource(ZONE_ID) is not None and sim.resource(LINK_ID) is not None


def test_a_create_whose_outcome_is_unknown_is_undone_when_it_was_this_runs(sim, factory):
    sim.fault(method="GET", path="*/privateDnsOperationStatuses/*", reset=True, count=1)
    with pytest.raises(StepError) as raised:
        ensure_private_dns(_dns(), factory)
    partial = PrivateDnsRecord.model_validate(raised.value.partial)
    sim.advance(minutes=5)  # the zone's create ran to its end meanwhile
    assert sim.resource(ZONE_ID) is not None
    undo_private_dns(partial, factory)
    sim.advance(minutes=5)
    assert sim.resource(ZONE_ID) is None
