"""The dry run's plan: the saga procedure run against a context that records instead of schedules.

Nothing is scheduled and nothing is written. Each call the procedure would make is recorded
with its step, its typed input and the group it runs in (calls of one group run side by side),
and answered with the output it would most likely have (the resource made, at its planned id);
each operator wait is recorded and answered as the happy path (approved; a private IP in the
gateway subnet). Preflight's answer is the real one, read from ARM by the caller, so a request
that would fail preflight plans preflight and nothing else. Because the same procedure runs,
the plan cannot drift from what a real run does.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from orchestrators.saga import onboarding
from shared import activity_table as acts
from shared import names
from shared.apim_names import link_name
from shared.arm_ids import ArmId
from shared.operator_events import wait_kind
from shared.preflight import PreflightResult
from shared.saga_models import RunStepInput, WaiterResult

START = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # a rehearsal has no real time
HOSTNAME = "<the gateway's hostname, known once it is built>"
WAIT_STEP = {names.EVENT_APPROVAL: "approval", names.EVENT_PRIVATE_IP: "dns",
             names.EVENT_STALLED_DECISION: "wait"}  # fmt: skip


@dataclass
class PlannedCall:
    """One entry of the plan: an activity call, or an operator wait (``activity`` None)."""

    group: int
    step: str | None
    activity: str | None = None
    input: dict[str, Any] | None = None
    wait: str | None = None

    def to_json(self) -> dict[str, Any]:
        body = {"group": self.group, "step": self.step, "activity": self.activity,
                "input": self.input, "waitsFor": self.wait}  # fmt: skip
        return {k: v for k, v in body.items() if v is not None}


@dataclass(eq=False)  # tasks compare by identity, as the SDK's do
class _Task:
    kind: str
    name: str = ""
    payload: Any = None
    children: list[_Task] = field(default_factory=list)
    result: Any = None

    def cancel(self) -> None:
        return None


class _Context:
    """An OrchestrationContext whose tasks are resolved by the rehearsal, not a host."""

    def __init__(self, saga_input: dict[str, Any], instance_id: str) -> None:
        self._input = saga_input
        self.instance_id = instance_id
        self.current_utc_datetime = START
        self.is_replaying = False
        self.version: str | None = None

    def get_input(self) -> Any:
        return self._input

    def call_activity(self, name: str, input_: Any = None) -> _Task:
        return _Task("activity", name, input_)

    def call_sub_orchestrator(
        self, name: str, input_: Any = None, instance_id: str | None = None,
        version: str | None = None,
    ) -> _Task:  # fmt: skip
        return _Task("sub", name, input_)

    def create_timer(self, fire_at: dt.datetime) -> _Task:
        return _Task("timer", payload=fire_at)

    def wait_for_external_event(self, name: str) -> _Task:
        return _Task("event", name)

    def task_all(self, activities: list[Any]) -> _Task:
        return _Task("all", children=activities)

    def task_any(self, activities: list[Any]) -> _Task:
        return _Task("any", children=activities)

    def set_custom_status(self, status: Any) -> None:
        return None

    def continue_as_new(self, input_: Any) -> None:
        return None


def _usable_ip(prefixes: list[str]) -> str:
    """The first address of the gateway subnet Azure does not reserve (a stand-in VIP)."""
    network = ipaddress.IPv4Network(prefixes[0], strict=False) if prefixes else None
    return str(network.network_address + 4) if network else "10.0.0.4"


# The output each call would most likely have, from its input (the resource at its planned id).
_PREDICT: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    acts.CREATE_WORKSPACE.name: lambda i: {
        "workspaceId": f"{i['serviceId']}/workspaces/{i['name']}", "created": True},
    acts.ENSURE_NSG.name: lambda i: {
        "nsgId": str(ArmId.parse(i["subnetId"]).nsg(i["nsgName"])), "created": True},
    acts.CONFIGURE_SUBNET.name: lambda i: {"subnetId": i["subnetId"], "changed": True},
    acts.ASSIGN_ROLE.name: lambda i: {
        "assignmentId": f"{i['scope']}/providers/Microsoft.Authorization/roleAssignments/"
                        "<planned>", "created": True},
    acts.BEGIN_GATEWAY.name: lambda i: {"gatewayId": i["gatewayId"], "created": True},
    acts.LINK_WORKSPACE.name: lambda i: {
        "linkId": f"{i['gatewayId']}/configConnections/"
                  f"{i.get('linkName') or link_name(ArmId.parse(i['workspaceId']).name)}",
        "created": True, "state": "Succeeded", "hostname": HOSTNAME},
    acts.ENSURE_PRIVATE_DNS.name: lambda i: {
        "zoneId": f"{i['dnsResourceGroupId']}/providers/Microsoft.Network/privateDnsZones/"
                  f"{i['zoneName']}", "vnetId": i["vnetId"], "zoneCreated": True,
        "linkCreated": True, "recordCreated": True},
}  # fmt: skip


class _Rehearsal:
    def __init__(self, preflight: PreflightResult) -> None:
        self.preflight = preflight
        subnet = preflight.facts.subnet
        self.private_ip = _usable_ip(subnet.prefixes if subnet else [])
        self.plan: list[PlannedCall] = []
        self.group = 0

    def answer(self, name: str, payload: Any) -> Any:
        if name == acts.PUBLISH_EVENT.name:
            return None
        self.plan.append(PlannedCall(self.group, acts.ACTIVITIES[name].step, name, payload))
        if name == acts.PREFLIGHT.name:
            return self.preflight.model_dump(by_alias=True, mode="json")
        return _PREDICT[name](payload)

    def resolve(self, task: _Task, ctx: _Context) -> Any:
        if task.kind == "activity":
            return self.answer(task.name, task.payload)
        if task.kind == "sub" and task.name == names.RUN_STEP:
            call = RunStepInput.model_validate(task.payload)
            return {"ok": True, "result": self.answer(call.activity, call.payload), "attempts": 1}
        if task.kind == "sub":  # the gateway waiter: the build ends as it should
            self.plan.append(PlannedCall(self.group, "wait", wait="the gateway build"))
            return WaiterResult(state="Succeeded", hostname=HOSTNAME).model_dump(by_alias=True)
        if task.kind == "all":
            return [self.resolve(child, ctx) for child in task.children]
        if task.kind == "any":
            return self.race(task.children, ctx)
        if task.kind == "timer":
            ctx.current_utc_datetime = max(ctx.current_utc_datetime, task.payload)
        return None

    def race(self, tasks: list[_Task], ctx: _Context) -> _Task:
        """An operator wait is answered at once, the happy way; a child wins over a cancel."""
        for task in tasks:
            if task.kind == "event" and task.name != names.EVENT_CANCEL:
                kind = wait_kind(task.name)
                self.plan.append(PlannedCall(self.group, WAIT_STEP.get(kind), wait=kind))
                task.result = {names.EVENT_APPROVAL: {"approved": True, "by": "(dry run)"},
                               names.EVENT_PRIVATE_IP: {"ip": self.private_ip}}.get(
                                   kind, {"action": "retry"})  # fmt: skip
                return task
        winner = next(t for t in tasks if t.kind == "sub")
        winner.result = self.resolve(winner, ctx)
        return winner


def rehearse(
    saga_input: dict[str, Any], preflight: PreflightResult, instance_id: str
) -> list[dict[str, Any]]:
    """The calls and waits a run of ``saga_input`` would make, in order, with their groups."""
    ctx = _Context(saga_input, instance_id)
    rehearsal = _Rehearsal(preflight)
    procedure: Generator[Any, Any, Any] = onboarding(ctx)
    value: Any = None
    while True:
        try:
            task = procedure.send(value)
        except StopIteration:
            break
        rehearsal.group += 1  # what one yield schedules runs side by side
        value = rehearsal.resolve(task, ctx)
    numbers = {n: i for i, n in enumerate(sorted({c.group for c in rehearsal.plan}), start=1)}
    return [{**call.to_json(), "group": numbers[call.group]} for call in rehearsal.plan]
