"""The saga driven without a host: modes, parallel groups, retries, compensation, operator waits."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from shared import names
from tests.unit.fake_azure import SHARED_GW, fake_world, request, run
from tests.unit.orchestration_driver import START, step_error

UNDO_OF = {
    names.CREATE_WORKSPACE: names.DELETE_WORKSPACE,
    names.ENSURE_NSG: names.UNDO_NSG,
    names.CONFIGURE_SUBNET: names.RESTORE_SUBNET,
    names.BEGIN_GATEWAY: names.DELETE_GATEWAY,
    names.LINK_WORKSPACE: names.UNLINK_WORKSPACE,
    names.ASSIGN_ROLE: names.REMOVE_ROLE,
    names.ENSURE_PRIVATE_DNS: names.UNDO_PRIVATE_DNS,
}
UNDOS = set(UNDO_OF.values())


def _forward(world) -> list[str]:
    return [
        n for n in world.called() if n not in UNDOS | {names.PUBLISH_EVENT, names.GET_GATEWAY_STATE}
    ]


def _undone(world) -> list[str]:
    return [n for n in world.called() if n in UNDOS]


def _events(world) -> list[str]:
    return [c.payload["kind"] for c in world.calls if c.name == names.PUBLISH_EVENT]


def test_injection_runs_every_step_and_waits_the_build_on_timers():
    world = fake_world()
    result = run(world, request("injection"))
    assert result["outcome"] == "Succeeded"
    assert _forward(world) == [
        names.PREFLIGHT, names.CREATE_WORKSPACE, names.ENSURE_NSG, names.CONFIGURE_SUBNET,
        names.BEGIN_GATEWAY, names.LINK_WORKSPACE, names.ASSIGN_ROLE, names.ASSIGN_ROLE,
        names.ASSIGN_ROLE, names.ENSURE_PRIVATE_DNS,
    ]  # fmt: skip
    dns = next(c for c in world.calls if c.name == names.ENSURE_PRIVATE_DNS)
    assert dns.payload["privateIp"] == "10.20.1.4"
    assert dns.payload["zoneName"] == result["hostname"]
    assert world.now - START >= dt.timedelta(hours=3)
    assert _events(world)[0] == "accepted" and _events(world)[-1] == "succeeded"


def test_network_and_workspace_run_side_by_side_and_roles_beside_the_link():
    world = fake_world()
    run(world, request("injection"))
    assert [len(g) for g in world.groups] == [2, 4]


def test_integration_delegates_to_server_farms_and_skips_dns():
    world = fake_world()
    result = run(world, request("integration"))
    assert result["outcome"] == "Succeeded"
    subnet = next(c for c in world.calls if c.name == names.CONFIGURE_SUBNET)
    assert subnet.payload["delegation"] == "Microsoft.Web/serverFarms"
    assert names.ENSURE_PRIVATE_DNS not in world.called()
    gateway = next(c for c in world.calls if c.name == names.BEGIN_GATEWAY)
    assert gateway.payload["networkType"] == "External"


def test_mode_none_touches_no_network():
    world = fake_world()
    result = run(world, request("none"))
    assert result["outcome"] == "Succeeded"
    assert not {names.ENSURE_NSG, names.CONFIGURE_SUBNET} & set(world.called())
    steps = {s["name"]: s["status"] for s in result["steps"]}
    assert steps["network"] == "skipped"


def test_shared_gateway_is_joined_not_created_and_not_awaited():
    world = fake_world()
    result = run(world, request("integration", shared=True))
    assert result["outcome"] == "Succeeded"
    assert names.BEGIN_GATEWAY not in world.called()
    assert names.GET_GATEWAY_STATE not in world.called()
    link = next(c for c in world.calls if c.name == names.LINK_WORKSPACE)
    assert link.payload["gatewayId"] == SHARED_GW


@pytest.mark.parametrize(
    ("failing", "undone"),
    [
        (names.PREFLIGHT, []),
        (names.CREATE_WORKSPACE, [names.UNDO_NSG]),
        (names.ENSURE_NSG, [names.DELETE_WORKSPACE]),
        (names.CONFIGURE_SUBNET, [names.UNDO_NSG, names.DELETE_WORKSPACE]),
        (names.BEGIN_GATEWAY, [names.RESTORE_SUBNET, names.UNDO_NSG, names.DELETE_WORKSPACE]),
        (names.LINK_WORKSPACE, [names.REMOVE_ROLE] * 3 + [names.DELETE_GATEWAY, names.RESTORE_SUBNET,
                                names.UNDO_NSG, names.DELETE_WORKSPACE]),
        (names.ENSURE_PRIVATE_DNS, [names.REMOVE_ROLE] * 3 + [names.UNLINK_WORKSPACE,
                                    names.DELETE_GATEWAY, names.RESTORE_SUBNET, names.UNDO_NSG,
                                    names.DELETE_WORKSPACE]),
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


def test_role_failure_undoes_the_link_and_the_other_roles():
    world = fake_world()
    world.fail(names.ASSIGN_ROLE, step_error("permanent", "AuthorizationFailed"))
    result = run(world, request("integration"))
    assert result["outcome"] == "Compensated"
    assert _undone(world)[:3] == [names.REMOVE_ROLE, names.REMOVE_ROLE, names.UNLINK_WORKSPACE]
    access = next(s for s in result["steps"] if s["name"] == "access")
    assert access["status"] in ("failed", "undone")


def test_transient_faults_are_retried_on_growing_timers():
    world = fake_world()
    world.fail(names.CREATE_WORKSPACE, step_error("transient", "InternalServerError"),
               step_error("transient", "InternalServerError"))  # fmt: skip
    result = run(world, request("none"))
    assert result["outcome"] == "Succeeded"
    attempts = [c.at for c in world.calls if c.name == names.CREATE_WORKSPACE]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(attempts)]
    assert len(attempts) == 3 and gaps[1] > gaps[0] > 0


def test_retry_after_is_honoured():
    world = fake_world()
    world.fail(names.PREFLIGHT, step_error("throttled", "SubscriptionRequestsThrottled", 300))
    run(world, request("none"))
    first, second = (c.at for c in world.calls if c.name == names.PREFLIGHT)
    assert (second - first).total_seconds() >= 300


def test_transient_fault_that_never_clears_fails_the_step():
    world = fake_world()
    world.fail(names.CONFIGURE_SUBNET, *[step_error("transient", "RetryableError")] * 10)
    result = run(world, request("integration"))
    assert result["outcome"] == "Compensated"
    assert world.called(names.CONFIGURE_SUBNET) == [names.CONFIGURE_SUBNET] * 6


def test_failed_build_is_compensated():
    world = fake_world(build_state="Failed")
    result = run(world, request("integration"))
    assert result["outcome"] == "Compensated"
    assert names.DELETE_GATEWAY in _undone(world)


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
    dns = next(c for c in world.calls if c.name == names.ENSURE_PRIVATE_DNS)
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
    gateway = next(c for c in world.calls if c.name == names.BEGIN_GATEWAY)
    assert gateway.at >= START + dt.timedelta(hours=4)


def test_unapproved_gateway_is_never_created():
    world = fake_world()
    result = run(world, request("integration"), requireApproval=True, approvalTimeoutHours=2)
    assert result["outcome"] == "Compensated"
    assert names.BEGIN_GATEWAY not in world.called()


def test_undo_that_keeps_failing_ends_compensation_failed_with_leftovers():
    world = fake_world()
    world.fail(names.BEGIN_GATEWAY, step_error("permanent", "Boom"))
    world.fail(names.UNDO_NSG, *[step_error("transient", "InternalServerError")] * 30)
    result = run(world, request("integration"))
    assert result["outcome"] == "CompensationFailed"
    assert result["leftovers"] == [
        next(c.payload["nsgId"] for c in world.calls if c.name == names.UNDO_NSG)
    ]
    assert names.DELETE_WORKSPACE in _undone(world)  # the other undos still ran
    assert _events(world)[-1] == "compensationFailed"


def test_custom_status_always_names_the_step():
    world = fake_world()
    run(world, request("injection"))
    assert all("step" in s for s in world.statuses)
    waits = [s for s in world.statuses if s["step"] == "wait" and s.get("waitingFor")]
    assert waits and all(s["until"] for s in waits)
