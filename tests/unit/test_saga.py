"""The saga driven without a host: modes, parallel groups, retries, compensation, operator waits."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from shared import activity_table as acts
from shared import names
from shared.retry import DEFAULT as DEFAULT_RETRY
from shared.retry import LINK_POLL_DELAYS_S
from tests.unit.fake_azure import SHARED_GW, fake_world, request, run
from tests.unit.orchestration_driver import START, step_error

UNDOS = set(acts.UNDO_OF.values())
CW, NSG, SUBNET, ROLE, LINK = (acts.CREATE_WORKSPACE.name, acts.ENSURE_NSG.name, acts.CONFIGURE_SUBNET.name,
                               acts.ASSIGN_ROLE.name, acts.LINK_WORKSPACE.name)  # fmt: skip
FIRST_UNDOS = [acts.REMOVE_ROLE.name, acts.REMOVE_ROLE.name, acts.RESTORE_SUBNET.name, acts.UNDO_NSG.name,
               acts.DELETE_WORKSPACE.name]  # fmt: skip


def _forward(world) -> list[str]:
    return [
        n
        for n in world.called()
        if n
        not in UNDOS
        | {acts.PUBLISH_EVENT.name, acts.GET_GATEWAY_STATE.name, acts.GET_LINK_STATE.name}
    ]


def _undone(world) -> list[str]:
    return [n for n in world.called() if n in UNDOS]


def _events(world) -> list[str]:
    return [c.payload["kind"] for c in world.calls if c.name == acts.PUBLISH_EVENT.name]


def test_injection_runs_every_step_and_waits_the_build_on_timers():
    world = fake_world()
    result = run(world, request("injection"))
    assert result["outcome"] == "Succeeded"
    assert _forward(world) == [
        acts.PREFLIGHT.name, acts.CREATE_WORKSPACE.name, acts.ENSURE_NSG.name, acts.CONFIGURE_SUBNET.name,
        acts.ASSIGN_ROLE.name, acts.ASSIGN_ROLE.name, acts.BEGIN_GATEWAY.name, acts.LINK_WORKSPACE.name,
        acts.ASSIGN_ROLE.name, acts.ENSURE_PRIVATE_DNS.name,
    ]  # fmt: skip
    dns = next(c for c in world.calls if c.name == acts.ENSURE_PRIVATE_DNS.name)
    assert dns.payload["privateIp"] == "10.20.1.4"
    assert dns.payload["zoneName"] == result["hostname"]
    assert world.now - START >= dt.timedelta(hours=3)
    assert _events(world)[0] == "accepted" and _events(world)[-1] == "succeeded"


@pytest.mark.parametrize(
    ("mode", "shared", "groups"),
    [
        ("injection", False, [[CW, NSG], [SUBNET, ROLE, ROLE], [LINK, ROLE]]),
        ("integration", False, [[CW, NSG], [SUBNET, ROLE, ROLE], [LINK, ROLE]]),
        # a group of one call runs inline, not as a group
        ("none", False, [[ROLE, ROLE], [LINK, ROLE]]),
        ("integration", True, [[ROLE, ROLE], [LINK, ROLE]]),
    ],
)
def test_parallel_groups_follow_the_plan(mode, shared, groups):
    world = fake_world()
    run(world, request(mode, shared=shared))
    assert world.groups == groups


def test_workspace_roles_are_assigned_before_the_gateway_exists():
    world = fake_world()
    run(world, request("integration"))
    scopes = [c.payload["scope"] for c in world.calls if c.name == acts.ASSIGN_ROLE.name]
    gateway_at = world.called().index(acts.BEGIN_GATEWAY.name)
    early = [c for c in world.calls[:gateway_at] if c.name == acts.ASSIGN_ROLE.name]
    assert len(early) == 2 and all("/gateways/" not in c.payload["scope"] for c in early)
    assert "/gateways/" in scopes[-1]


def test_integration_delegates_to_server_farms_and_skips_dns():
    world = fake_world()
    result = run(world, request("integration"))
    assert result["outcome"] == "Succeeded"
    subnet = next(c for c in world.calls if c.name == acts.CONFIGURE_SUBNET.name)
    assert subnet.payload["delegation"] == "Microsoft.Web/serverFarms"
    assert acts.ENSURE_PRIVATE_DNS.name not in world.called()
    gateway = next(c for c in world.calls if c.name == acts.BEGIN_GATEWAY.name)
    assert gateway.payload["networkType"] == "External"


def test_mode_none_touches_no_network():
    world = fake_world()
    result = run(world, request("none"))
    assert result["outcome"] == "Succeeded"
    assert not {acts.ENSURE_NSG.name, acts.CONFIGURE_SUBNET.name} & set(world.called())
    steps = {s["name"]: s["status"] for s in result["steps"]}
    assert steps["network"] == "skipped"


def test_shared_gateway_is_joined_not_created_and_not_awaited():
    world = fake_world()
    result = run(world, request("integration", shared=True))
    assert result["outcome"] == "Succeeded"
    assert acts.BEGIN_GATEWAY.name not in world.called()
    assert acts.GET_GATEWAY_STATE.name not in world.called()
    link = next(c for c in world.calls if c.name == acts.LINK_WORKSPACE.name)
    assert link.payload["gatewayId"] == SHARED_GW


@pytest.mark.parametrize(
    ("failing", "undone"),
    [
        (acts.PREFLIGHT.name, []),
        (acts.CREATE_WORKSPACE.name, [acts.UNDO_NSG.name]),
        (acts.ENSURE_NSG.name, [acts.DELETE_WORKSPACE.name]),
        (acts.CONFIGURE_SUBNET.name, [acts.REMOVE_ROLE.name, acts.REMOVE_ROLE.name, acts.UNDO_NSG.name,
                                  acts.DELETE_WORKSPACE.name]),
        (acts.BEGIN_GATEWAY.name, FIRST_UNDOS),
        (acts.LINK_WORKSPACE.name, [acts.REMOVE_ROLE.name, acts.DELETE_GATEWAY.name, *FIRST_UNDOS]),
        (acts.ENSURE_PRIVATE_DNS.name, [acts.REMOVE_ROLE.name, acts.UNLINK_WORKSPACE.name,
                                    acts.DELETE_GATEWAY.name, *FIRST_UNDOS]),
    ],
)  # fmt: skip
def test_permanent_failure_undoes_exactly_the_completed_steps_in_reverse(failing, undone):
    world = fake_world()
    world.fail(failing, step_error("permanent", "BadThing"))
    result = run(world, request("injection"))
    assert _undone(world) == undone
    assert result["outcome"] == ("Compensated" if undone else "Failed")
    assert "BadThing" in result["error"]
    assert _events(world)[-1] == "compensated"


def test_role_failure_undoes_the_other_role_and_everything_before_it():
    world = fake_world()
    world.fail(acts.ASSIGN_ROLE.name, step_error("permanent", "AuthorizationFailed"))
    result = run(world, request("integration"))
    assert result["outcome"] == "Compensated"
    assert _undone(world) == [acts.REMOVE_ROLE.name, acts.RESTORE_SUBNET.name, acts.UNDO_NSG.name,
                              acts.DELETE_WORKSPACE.name]  # fmt: skip
    assert acts.BEGIN_GATEWAY.name not in world.called()
    assert "AuthorizationFailed" in result["error"]


def test_transient_faults_are_retried_on_growing_timers():
    world = fake_world()
    world.fail(acts.CREATE_WORKSPACE.name, step_error("transient", "InternalServerError"),
               step_error("transient", "InternalServerError"))  # fmt: skip
    result = run(world, request("none"))
    assert result["outcome"] == "Succeeded"
    attempts = [c.at for c in world.calls if c.name == acts.CREATE_WORKSPACE.name]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(attempts)]
    assert len(attempts) == 3 and gaps[1] > gaps[0] > 0


def test_retry_after_is_honoured():
    world = fake_world()
    world.fail(acts.PREFLIGHT.name, step_error("throttled", "SubscriptionRequestsThrottled", 300))
    run(world, request("none"))
    first, second = (c.at for c in world.calls if c.name == acts.PREFLIGHT.name)
    assert (second - first).total_seconds() >= 300


def test_transient_fault_that_never_clears_fails_the_step():
    world = fake_world()
    attempts = DEFAULT_RETRY.max_attempts  # 10 since issue 18 (was 6)
    world.fail(acts.CONFIGURE_SUBNET.name,
               *[step_error("transient", "RetryableError")] * (attempts + 2))  # fmt: skip
    result = run(world, request("integration"))
    assert result["outcome"] == "Compensated"
    assert world.called(acts.CONFIGURE_SUBNET.name) == [acts.CONFIGURE_SUBNET.name] * attempts


def test_failed_build_is_compensated():
    world = fake_world(build_state="Failed")
    result = run(world, request("integration"))
    assert result["outcome"] == "Compensated"
    assert acts.DELETE_GATEWAY.name in _undone(world)


def test_stalled_build_waits_for_the_operator_who_keeps_waiting():
    world = fake_world()
    world.raise_event(
        names.EVENT_STALLED_DECISION, dt.timedelta(hours=2), {"action": "keepWaiting"}
    )
    result = run(world, request("integration"), buildDeadlineHours=1)
    assert result["outcome"] == "Succeeded"
    assert any(s.get("waitingFor", "") and "stalled" in s["waitingFor"] for s in world.statuses)


def test_stalled_build_aborted_by_the_operator_is_compensated():
    world = fake_world()
    world.raise_event(
        names.EVENT_STALLED_DECISION, dt.timedelta(hours=1, minutes=30), {"action": "abort"}
    )
    result = run(world, request("integration"), buildDeadlineHours=1)
    assert result["outcome"] == "Compensated"


def test_missing_private_ip_waits_for_an_operator_to_supply_it():
    world = fake_world(vip=None)
    world.raise_event(names.EVENT_PRIVATE_IP, dt.timedelta(hours=5), {"ip": "10.20.1.9"})
    result = run(world, request("injection"))
    assert result["outcome"] == "Succeeded"
    dns = next(c for c in world.calls if c.name == acts.ENSURE_PRIVATE_DNS.name)
    assert dns.payload["privateIp"] == "10.20.1.9"
    waiting = [
        s for s in world.statuses if s.get("waitingFor", "") and "private IP" in s["waitingFor"]
    ]
    assert waiting and waiting[0]["until"]
    assert "waitingOnOperator" in _events(world)


def test_no_private_ip_before_the_deadline_compensates_after_reminders():
    world = fake_world(vip=None)
    result = run(world, request("injection"), privateIpTimeoutHours=48, reminderHours=24)
    assert result["outcome"] == "Compensated"
    assert _events(world).count("waitingOnOperator") == 2  # first notice + one reminder


def test_approval_gate_holds_the_gateway_until_approved():
    world = fake_world()
    world.raise_event(names.EVENT_APPROVAL, dt.timedelta(hours=4), {"approved": True, "by": "bob"})
    result = run(world, request("integration"), requireApproval=True)
    assert result["outcome"] == "Succeeded"
    gateway = next(c for c in world.calls if c.name == acts.BEGIN_GATEWAY.name)
    assert gateway.at >= START + dt.timedelta(hours=4)


def test_approval_gate_comes_before_the_first_write_and_shows_what_is_approved():
    world = fake_world()
    world.raise_event(names.EVENT_APPROVAL, dt.timedelta(hours=4), {"approved": True, "by": "bob"})
    run(world, request("integration"), requireApproval=True, gatewayUnitMonthlyPrice=2800.5)
    approved_at = START + dt.timedelta(hours=4)
    before = [
        c.name for c in world.calls if c.at < approved_at and c.name != acts.PUBLISH_EVENT.name
    ]
    assert before == [acts.PREFLIGHT.name]
    asks = next(s["asks"]["approval"] for s in world.statuses if s.get("asks"))
    assert asks["team"] == "payments" and asks["workspace"] == "ws-payments"
    assert asks["gateway"] == {"shared": False, "name": "gw-payments", "units": 1}
    assert asks["networkMode"] == "integration" and asks["subnetId"].endswith("/snet-gw-a")
    assert asks["grantCount"] == 3 and len(asks["grants"]) == 3
    assert asks["monthlyCost"] == {"known": True, "amount": 2800.5, "currency": "USD",
                                   "units": 1, "unitPrice": 2800.5}  # fmt: skip
    notified = next(c.payload for c in world.calls if c.name == acts.PUBLISH_EVENT.name
                    and c.payload["kind"] == "waitingOnOperator")  # fmt: skip
    assert notified["asks"]["approval"] == asks


WRITES = {acts.CREATE_WORKSPACE.name, acts.ENSURE_NSG.name, acts.CONFIGURE_SUBNET.name,
          acts.ASSIGN_ROLE.name, acts.BEGIN_GATEWAY.name, acts.LINK_WORKSPACE.name}  # fmt: skip


def test_an_unapproved_onboarding_writes_nothing():
    world = fake_world()
    result = run(world, request("integration"), requireApproval=True, approvalTimeoutHours=2)
    assert result["outcome"] == "Failed"  # nothing was made, so nothing to undo
    assert not WRITES & set(world.called())


def test_undo_that_keeps_failing_ends_compensation_failed_with_leftovers():
    world = fake_world()
    world.fail(acts.BEGIN_GATEWAY.name, step_error("permanent", "Boom"))
    world.fail(acts.UNDO_NSG.name, *[step_error("transient", "InternalServerError")] * 30)
    result = run(world, request("integration"))
    assert result["outcome"] == "CompensationFailed"
    assert result["leftovers"] == [
        next(c.payload["nsgId"] for c in world.calls if c.name == acts.UNDO_NSG.name)
    ]
    assert acts.DELETE_WORKSPACE.name in _undone(world)  # the other undos still ran
    assert _events(world)[-1] == "compensationFailed"


def test_custom_status_always_names_the_step():
    world = fake_world()
    run(world, request("injection"))
    assert all("step" in s for s in world.statuses)
    waits = [s for s in world.statuses if s["step"] == "wait" and s.get("waitingFor")]
    assert waits and all(s["until"] for s in waits)


def test_every_completed_step_is_notified():
    world = fake_world()
    run(world, request("injection"))
    done = [c.payload["step"] for c in world.calls
            if c.name == acts.PUBLISH_EVENT.name and c.payload["kind"] == "stepDone"]  # fmt: skip
    assert done == ["preflight", "workspace", "network", "gateway", "access", "wait", "dns"]


def test_a_refusal_sent_as_json_text_is_not_taken_for_approval():
    world = fake_world()
    world.raise_event(names.EVENT_APPROVAL, dt.timedelta(hours=1), '{"approved": false}')
    result = run(world, request("integration"), requireApproval=True)
    assert result["outcome"] == "Failed"
    assert not WRITES & set(world.called())
    assert "not approved" in result["error"]


def test_an_invalid_private_ip_is_refused_and_the_wait_goes_on():
    world = fake_world(vip=None)
    world.raise_event(names.EVENT_PRIVATE_IP, dt.timedelta(hours=4), {"ip": "8.8.8.8"})
    world.raise_event(names.EVENT_PRIVATE_IP, dt.timedelta(hours=5), '{"ip": "10.20.1.9"}')
    result = run(world, request("injection"))
    assert result["outcome"] == "Succeeded"
    dns = next(c for c in world.calls if c.name == acts.ENSURE_PRIVATE_DNS.name)
    assert dns.payload["privateIp"] == "10.20.1.9"
    assert any("not a private" in (s.get("waitingFor") or "") for s in world.statuses)


def test_a_transient_poll_failure_is_retried_and_the_wait_goes_on():
    world = fake_world()
    world.fail(
        acts.GET_GATEWAY_STATE.name, step_error("throttled", "SubscriptionRequestsThrottled", 60)
    )
    result = run(world, request("integration"))
    assert result["outcome"] == "Succeeded"


def test_a_gateway_that_vanishes_during_the_build_fails_the_wait():
    world = fake_world()
    world.fail(acts.GET_GATEWAY_STATE.name, step_error("permanent", "ResourceNotFound"))
    result = run(world, request("integration"))
    assert result["outcome"] == "Compensated"
    wait = next(s for s in result["steps"] if s["name"] == "wait")
    assert "ResourceNotFound" in wait["error"]


def test_a_long_build_is_polled_across_several_waiter_executions():
    world = fake_world()
    world.activities[acts.BEGIN_GATEWAY.name] = lambda p, _: {
        "gatewayId": p["gatewayId"],
        "created": True,
    }
    world.raise_event(names.EVENT_STALLED_DECISION, dt.timedelta(hours=7), {"action": "abort"})
    result = run(world, request("integration"))
    wait = next(s for s in result["steps"] if s["name"] == "wait")
    assert wait["attempts"] > 20  # more polls than one execution holds (continue_as_new)
    assert result["outcome"] == "Compensated"


def test_an_unreadable_activity_result_is_compensated_not_crashed():
    world = fake_world()
    world.activities[acts.CONFIGURE_SUBNET.name] = lambda p, _: {"unexpected": True}
    result = run(world, request("integration"))
    assert result["outcome"] == "Compensated"
    assert "internal error" in result["error"]
    assert acts.DELETE_WORKSPACE.name in _undone(world)


def test_a_stalled_build_is_reported_as_stalled_while_it_waits():
    world = fake_world()
    world.raise_event(names.EVENT_STALLED_DECISION, dt.timedelta(hours=2), "keepWaiting")
    run(world, request("integration"), buildDeadlineHours=1)
    stalled = [s for s in world.statuses if "stalled" in (s.get("waitingFor") or "")]
    assert stalled and all(s["until"] for s in stalled)
    assert any(st["status"] == "stalled" for st in stalled[0]["steps"] if st["name"] == "wait")


def test_an_ip_outside_the_gateway_subnet_is_refused_and_asked_again_once():
    world = fake_world(vip=None)
    world.raise_event(names.EVENT_PRIVATE_IP, dt.timedelta(hours=4), {"ip": "10.99.0.4"})
    world.raise_event(names.EVENT_PRIVATE_IP, dt.timedelta(hours=5), {"ip": "10.20.1.9"})
    result = run(world, request("injection"))
    assert result["outcome"] == "Succeeded"
    dns = next(c for c in world.calls if c.name == acts.ENSURE_PRIVATE_DNS.name)
    assert dns.payload["privateIp"] == "10.20.1.9"
    asks = [c.payload for c in world.calls if c.name == acts.PUBLISH_EVENT.name
            and c.payload["kind"] == "waitingOnOperator"]  # fmt: skip
    assert [a["event"] for a in asks] == ["private_ip-1", "private_ip-2"]
    assert "not in the gateway subnet" in asks[1]["waitingFor"]


def test_an_answer_to_an_earlier_wait_never_answers_a_later_one():
    world = fake_world(vip=None)
    world.raise_event("private_ip-1", dt.timedelta(hours=4), {"ip": "8.8.8.8"})
    world.raise_event("private_ip-1", dt.timedelta(hours=4, minutes=1), {"ip": "10.20.1.7"})
    world.raise_event("private_ip-2", dt.timedelta(hours=6), {"ip": "10.20.1.9"})
    result = run(world, request("injection"))
    assert result["outcome"] == "Succeeded"
    dns = next(c for c in world.calls if c.name == acts.ENSURE_PRIVATE_DNS.name)
    assert (
        dns.payload["privateIp"] == "10.20.1.9"
    )  # the stale second answer to wait 1 was not taken


def _link_refused_while_building(world, refusals: list[dict]):
    def link(p, w):
        started = next(c.at for c in w.calls if c.name == acts.BEGIN_GATEWAY.name)
        if w.now - started < dt.timedelta(hours=3):
            refusals.append(p)
            return {"linkId": f"{p['gatewayId']}/configConnections/ws-payments",
                    "created": False, "deferred": True}  # fmt: skip
        return {"linkId": f"{p['gatewayId']}/configConnections/ws-payments", "created": True,
                "state": "Updating"}  # fmt: skip

    world.activities[acts.LINK_WORKSPACE.name] = link


def test_a_link_refused_while_the_gateway_builds_is_made_after_the_build():
    world = fake_world()
    refusals: list[dict] = []
    _link_refused_while_building(world, refusals)
    result = run(world, request("injection"))
    assert result["outcome"] == "Succeeded"
    assert len(refusals) == 1
    forward = _forward(world)
    assert forward.index(acts.LINK_WORKSPACE.name, forward.index(acts.LINK_WORKSPACE.name) + 1) > (
        forward.index(acts.BEGIN_GATEWAY.name)
    )
    done = [c.payload["step"] for c in world.calls
            if c.name == acts.PUBLISH_EVENT.name and c.payload["kind"] == "stepDone"]  # fmt: skip
    assert done == ["preflight", "workspace", "network", "access", "wait", "gateway", "dns"]
    assert result["hostname"] == "gw-payments-abc.gateway.westeurope-01.azure-api.net"


def test_a_link_accepted_during_the_build_is_polled_after_it_not_awaited():
    world = fake_world()
    result = run(world, request("injection"))
    assert result["outcome"] == "Succeeded"
    polls = [c.at for c in world.calls if c.name == acts.GET_LINK_STATE.name]
    gateway_ready = START + dt.timedelta(hours=3)
    assert polls and all(at >= gateway_ready for at in polls)


def test_a_link_that_never_completes_fails_the_gateway_step_and_is_undone():
    world = fake_world()
    world.activities[acts.GET_LINK_STATE.name] = lambda p, _: {
        "linkId": p["linkId"], "provisioningState": "Updating"}  # fmt: skip
    result = run(world, request("integration", shared=True))
    assert result["outcome"] == "Compensated"
    gateway = {s["name"]: s for s in result["steps"]}["gateway"]
    assert gateway["status"] == "undone" and "ended Updating" in result["error"]
    assert acts.UNLINK_WORKSPACE.name in _undone(world)
    assert len(world.called(acts.GET_LINK_STATE.name)) == len(LINK_POLL_DELAYS_S)


def test_a_failed_link_compensates():
    world = fake_world()
    world.activities[acts.GET_LINK_STATE.name] = lambda p, _: {
        "linkId": p["linkId"], "provisioningState": "Failed"}  # fmt: skip
    result = run(world, request("integration"))
    assert result["outcome"] == "Compensated"
    assert "ended Failed" in result["error"]
    assert acts.DELETE_GATEWAY.name in _undone(world)
