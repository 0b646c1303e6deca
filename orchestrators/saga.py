"""The onboarding saga (DESIGN.md §2): forward steps with their parallelism, undo in reverse.

Order: preflight; NSG ∥ workspace; subnet; optional approval gate; gateway (or the shared one);
link ∥ role assignments (the gateway resource exists while it builds); the build waited out by
a sub-orchestration; private DNS for injection; report. Each forward step that creates
something pushes its undo entry; when a step cannot succeed, the entries run in reverse and the
run ends ``Compensated`` or, if an undo still fails, ``CompensationFailed`` with the leftovers.
Operator waits (approval, stalled build, private IP) are external events raced against a
deadline, with a reminder notification; custom status always says step, what it waits for and
until when.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators.step_runner import POLICIES, run_with_retry
from shared import names
from shared.request import OnboardingRequest
from shared.saga_models import (
    RunStepInput,
    RunStepResult,
    SagaInput,
    SagaResult,
    StepRecord,
    UndoEntry,
    WaiterInput,
)

bp = df.Blueprint()

DELEGATION = {
    "integration": "Microsoft.Web/serverFarms",
    "injection": "Microsoft.Web/hostingEnvironments",
}
NETWORK_TYPE = {"none": "None", "integration": "External", "injection": "Internal"}


class StepFailed(Exception):
    """A forward step could not succeed; the saga compensates."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"{step}: {message}")
        self.step = step


class Saga:
    """State of one run while the generator executes (rebuilt identically on every replay)."""

    def __init__(self, context: Any, inp: SagaInput) -> None:
        self.ctx = context
        self.policy = inp.policy
        self.req = OnboardingRequest.model_validate(inp.request)
        self.steps: dict[str, StepRecord] = {}
        self.undo: list[UndoEntry] = []
        self.hostname: str | None = None
        self.child = 0

    # --- bookkeeping ---------------------------------------------------------------------

    def current_time(self) -> dt.datetime:
        return self.ctx.current_utc_datetime

    def step(self, name: str) -> StepRecord:
        record = self.steps.setdefault(name, StepRecord(name=name))
        record.status, record.started = "running", self.current_time().isoformat()
        return record

    def status(
        self, step: str, waiting_for: str | None = None, until: dt.datetime | None = None
    ) -> None:
        self.ctx.set_custom_status(
            {
                "step": step,
                "waitingFor": waiting_for,
                "until": until.isoformat() if until else None,
                "steps": [s.model_dump(by_alias=True) for s in self.steps.values()],
            }
        )

    def done(self, record: StepRecord, created: list[str] | None = None) -> None:
        record.status, record.ended = "succeeded", self.current_time().isoformat()
        record.created.extend(created or [])

    def failed(self, record: StepRecord, result: RunStepResult) -> StepFailed:
        error = result.error or {}
        record.status, record.ended = "failed", self.current_time().isoformat()
        record.attempts = result.attempts
        record.error = f"{error.get('code', 'Error')}: {error.get('message', '')}"
        return StepFailed(record.name, record.error)

    def push_undo(self, step: str, activity: str, payload: dict[str, Any], label: str) -> None:
        self.undo.append(UndoEntry(step=step, activity=activity, payload=payload, label=label))

    # --- calling activities ----------------------------------------------------------------

    def call(
        self, record: StepRecord, activity: str, payload: Any, policy: str = "default"
    ) -> Generator[Any, Any, Any]:
        """Run one activity inline with retries; raise StepFailed when it cannot succeed."""
        result = yield from run_with_retry(self.ctx, activity, payload, POLICIES[policy])
        record.attempts += result.attempts
        if not result.ok:
            raise self.failed(record, result)
        return result.result

    def parallel(
        self, calls: list[tuple[str, Any, str]]
    ) -> Generator[Any, Any, list[RunStepResult]]:
        """Run activities side by side as run_step sub-orchestrations; none of them raises."""
        tasks = []
        for activity, payload, policy in calls:
            self.child += 1
            child_id = f"{self.ctx.instance_id}:{self.child}"
            body = RunStepInput(activity=activity, payload=payload, policy=policy)  # type: ignore[arg-type]
            tasks.append(
                self.ctx.call_sub_orchestrator(
                    names.RUN_STEP, body.model_dump(by_alias=True), child_id
                )
            )
        results = yield self.ctx.task_all(tasks)
        return [RunStepResult.model_validate(r) for r in results]

    def notify(self, kind: str, detail: dict[str, Any] | None = None) -> Generator[Any, Any, None]:
        """Publish a status event; a failed publish never fails the onboarding."""
        event = {
            "kind": kind,
            "ticketId": self.req.ticket_id,
            "instanceId": self.ctx.instance_id,
            "at": self.current_time().isoformat(),
            **(detail or {}),
        }
        with contextlib.suppress(Exception):  # notifications are best effort by design
            yield self.ctx.call_activity(names.PUBLISH_EVENT, event)

    def operator_wait(
        self, step: str, event: str, what: str, hours: float
    ) -> Generator[Any, Any, Any]:
        """Wait for an operator event with a reminder; None when the deadline passes."""
        deadline = self.current_time() + dt.timedelta(hours=hours)
        reminder = min(self.policy.reminder_hours, hours)
        while True:
            self.status(step, what, deadline)
            detail = {
                "step": step,
                "waitingFor": what,
                "event": event,
                "until": deadline.isoformat(),
            }
            yield from self.notify("waitingOnOperator", detail)
            wake = min(self.current_time() + dt.timedelta(hours=reminder), deadline)
            raised = self.ctx.wait_for_external_event(event)
            timer = self.ctx.create_timer(wake)
            winner = yield self.ctx.task_any([raised, timer])
            if winner == raised:
                timer.cancel()
                return raised.result
            if self.current_time() >= deadline:
                return None

    # --- the saga ------------------------------------------------------------------------

    def run(self) -> Generator[Any, Any, dict[str, Any]]:
        req = self.req
        yield from self.notify("accepted")
        try:
            yield from self.forward()
        except StepFailed as failure:
            return (yield from self.compensate(failure))
        result = SagaResult(
            outcome="Succeeded",
            instance_id=self.ctx.instance_id,
            ticket_id=req.ticket_id,
            steps=list(self.steps.values()),
            created=[e.label for e in self.undo],
            hostname=self.hostname,
        )
        self.status("report")
        yield from self.notify("succeeded", {"hostname": self.hostname})
        return result.model_dump(by_alias=True)

    def forward(self) -> Generator[Any, Any, None]:
        req = self.req
        mode = req.gateway.network.mode
        shared_gateway = req.gateway.existing_gateway_id
        service_id = req.apim_service_id
        rg_prefix = service_id.split("/providers/")[0]
        gateway_id = (
            shared_gateway
            or f"{rg_prefix}/providers/Microsoft.ApiManagement/gateways/{req.gateway.name}"
        )
        instance = self.ctx.instance_id

        # 1 preflight (read only)
        record = self.step("preflight")
        self.status("preflight")
        preflight = yield from self.call(
            record,
            names.PREFLIGHT,
            {"apimServiceId": service_id, "mode": mode, "subnetId": req.gateway.network.subnet_id,
             "workspaceName": req.workspace.name,
             "gatewayId": None if shared_gateway else gateway_id,
             "existingGatewayId": shared_gateway, "instanceId": instance},
        )  # fmt: skip
        if not preflight.get("passed"):
            bad = [
                f"{f['check']}: {f['detail']}" for f in preflight.get("findings", []) if not f["ok"]
            ]
            record.status, record.error = "failed", "; ".join(bad)
            raise StepFailed("preflight", "; ".join(bad))
        self.done(record)

        # 2 ∥ 3: NSG and workspace side by side, then the subnet (it needs the NSG id)
        needs_network = mode != "none" and not shared_gateway
        self.status("network+workspace")
        net_record = self.step("network") if needs_network else None
        ws_record = self.step("workspace")
        calls: list[tuple[str, Any, str]] = [
            (names.CREATE_WORKSPACE,
             {"serviceId": service_id, "name": req.workspace.name,
              "displayName": req.workspace.display_name,
              "description": req.workspace.description, "instanceId": instance}, "default"),
        ]  # fmt: skip
        if needs_network:
            calls.append(
                (names.ENSURE_NSG,
                 {"subnetId": req.gateway.network.subnet_id, "nsgName": f"nsg-{req.gateway.name}",
                  "mode": mode, "tags": {"onboarding-instance": instance}}, "default")
            )  # fmt: skip
        results = yield from self.parallel(calls)
        ws_result = results[0]
        if ws_result.ok:
            workspace = ws_result.result
            self.push_undo("workspace", names.DELETE_WORKSPACE, workspace, workspace["workspaceId"])
            ws_record.attempts = ws_result.attempts
            self.done(ws_record, [workspace["workspaceId"]])
        nsg = None
        if needs_network and net_record is not None:
            nsg_result = results[1]
            net_record.attempts = nsg_result.attempts
            if nsg_result.ok:
                nsg = nsg_result.result
                self.push_undo("network", names.UNDO_NSG, nsg, nsg["nsgId"])
        if not ws_result.ok:
            raise self.failed(ws_record, ws_result)
        if net_record is not None:
            if nsg is None:
                raise self.failed(net_record, results[1])
            subnet = yield from self.call(
                net_record,
                names.CONFIGURE_SUBNET,
                {"subnetId": req.gateway.network.subnet_id, "delegation": DELEGATION[mode],
                 "nsgId": nsg["nsgId"]},
            )  # fmt: skip
            self.push_undo("network", names.RESTORE_SUBNET, subnet, subnet["subnetId"])
            self.done(
                net_record, [nsg["nsgId"]] + ([subnet["subnetId"]] if subnet["changed"] else [])
            )
        else:
            self.steps["network"] = StepRecord(name="network", status="skipped")

        # optional approval gate before the gateway is created
        if self.policy.require_approval and not shared_gateway:
            record = self.step("approval")
            decision = yield from self.operator_wait(
                "approval", names.EVENT_APPROVAL, "approval to create the gateway",
                self.policy.approval_timeout_hours,
            )  # fmt: skip
            if not decision or not (
                decision.get("approved") if isinstance(decision, dict) else decision
            ):
                record.status, record.error = "failed", "not approved before the deadline"
                raise StepFailed("approval", "the gateway was not approved")
            self.done(record)

        # 4 gateway (new or shared), then link ∥ roles while it builds
        record = self.step("gateway")
        self.status("gateway")
        if not shared_gateway:
            gateway = yield from self.call(
                record,
                names.BEGIN_GATEWAY,
                {"gatewayId": gateway_id, "location": preflight["facts"]["serviceRegion"],
                 "capacity": req.gateway.capacity, "networkType": NETWORK_TYPE[mode],
                 "subnetId": req.gateway.network.subnet_id, "instanceId": instance,
                 "ticketId": req.ticket_id},
            )  # fmt: skip
            self.push_undo("gateway", names.DELETE_GATEWAY, gateway, gateway_id)
        workspace_id = next(e.label for e in self.undo if e.step == "workspace")
        access_record = self.step("access")
        grants = []
        for grant in req.access:
            scope = {"service": service_id, "workspace": workspace_id, "gateway": gateway_id}[
                grant.scope
            ]
            grants.append(
                (names.ASSIGN_ROLE,
                 {"scope": scope, "roleName": grant.role, "principalId": grant.principal_id,
                  "principalType": grant.principal_type}, "principal")
            )  # fmt: skip
        results = yield from self.parallel(
            [
                (
                    names.LINK_WORKSPACE,
                    {"gatewayId": gateway_id, "workspaceId": workspace_id},
                    "default",
                ),
                *grants,
            ]
        )
        link_result, role_results = results[0], results[1:]
        if link_result.ok:
            self.push_undo(
                "gateway", names.UNLINK_WORKSPACE, link_result.result, link_result.result["linkId"]
            )
            self.hostname = link_result.result.get("hostname")
            self.done(record, [gateway_id] if not shared_gateway else [])
            record.created.append(link_result.result["linkId"])
        created_roles = []
        for role in role_results:
            if role.ok:
                self.push_undo(
                    "access", names.REMOVE_ROLE, role.result, role.result["assignmentId"]
                )
                created_roles.append(role.result["assignmentId"])
            access_record.attempts += role.attempts
        if not link_result.ok:
            raise self.failed(record, link_result)
        failed_roles = [r for r in role_results if not r.ok]
        if failed_roles:
            raise self.failed(access_record, failed_roles[0])
        self.done(access_record, created_roles)

        # 5 wait for the build (a new gateway only)
        if not shared_gateway:
            yield from self.wait_build(gateway_id, mode)
        else:
            self.steps["wait"] = StepRecord(name="wait", status="skipped")
            self.steps["dns"] = StepRecord(name="dns", status="skipped")

    def wait_build(self, gateway_id: str, mode: str) -> Generator[Any, Any, None]:
        req = self.req
        record = self.step("wait")
        while True:
            deadline = self.current_time() + dt.timedelta(hours=self.policy.build_deadline_hours)
            self.status("wait", "gateway build", deadline)
            self.child += 1
            waited = yield self.ctx.call_sub_orchestrator(
                names.GATEWAY_WAITER,
                WaiterInput(gateway_id=gateway_id, started_at=self.current_time().isoformat(),
                            deadline_at=deadline.isoformat()).model_dump(by_alias=True),
                f"{self.ctx.instance_id}:{self.child}",
            )  # fmt: skip
            record.attempts += int(waited.get("polls", 0))
            if waited.get("stalled"):
                decision = yield from self.operator_wait(
                    "wait", names.EVENT_STALLED_DECISION,
                    "decision on a stalled gateway build (keepWaiting or abort)",
                    self.policy.stalled_timeout_hours,
                )  # fmt: skip
                action = decision.get("action") if isinstance(decision, dict) else decision
                if action == "keepWaiting":
                    continue
                record.status, record.error = "failed", "the gateway build stalled"
                raise StepFailed("wait", "the gateway build passed its deadline")
            if str(waited.get("state", "")).lower() != "succeeded":
                record.status, record.error = "failed", f"gateway build ended {waited.get('state')}"
                raise StepFailed("wait", f"the gateway build ended {waited.get('state')}")
            self.hostname = waited.get("hostname") or self.hostname
            self.done(record)
            break
        if mode != "injection":
            self.steps["dns"] = StepRecord(name="dns", status="skipped")
            return
        record = self.step("dns")
        private_ip = waited.get("privateIp")
        if not private_ip:
            supplied = yield from self.operator_wait(
                "dns", names.EVENT_PRIVATE_IP, "the gateway's private IP (ARM does not expose it)",
                self.policy.private_ip_timeout_hours,
            )  # fmt: skip
            private_ip = supplied.get("ip") if isinstance(supplied, dict) else supplied
            if not private_ip:
                record.status, record.error = "failed", "no private IP supplied before the deadline"
                raise StepFailed("dns", "no private IP was supplied")
        assert req.dns is not None  # the contract requires dns for injection
        vnet_id = str(req.gateway.network.subnet_id).split("/subnets/")[0]
        dns = yield from self.call(
            record,
            names.ENSURE_PRIVATE_DNS,
            {"dnsResourceGroupId": req.dns.resource_group_id, "zoneName": self.hostname,
             "vnetId": vnet_id, "privateIp": private_ip, "instanceId": self.ctx.instance_id},
        )  # fmt: skip
        self.push_undo(
            "dns", names.UNDO_PRIVATE_DNS, {"record": dns, "vnetId": vnet_id}, dns["zoneId"]
        )
        self.done(record, [dns["zoneId"]])

    def compensate(self, failure: StepFailed) -> Generator[Any, Any, dict[str, Any]]:
        self.status("compensate")
        yield from self.notify("failed", {"step": failure.step, "error": str(failure)})
        leftovers: list[str] = []
        for entry in reversed(self.undo):
            result = yield from run_with_retry(
                self.ctx, entry.activity, entry.payload, POLICIES["undo"]
            )
            record = self.steps.setdefault(entry.step, StepRecord(name=entry.step))
            if result.ok:
                record.undone.append(entry.label)
                record.status = "undone" if record.status != "undo-failed" else record.status
            else:
                leftovers.append(entry.label)
                record.status = "undo-failed"
                record.error = f"undo failed: {(result.error or {}).get('message', '')}"
        outcome = "CompensationFailed" if leftovers else ("Compensated" if self.undo else "Failed")
        final = SagaResult(
            outcome=outcome,  # type: ignore[arg-type]
            instance_id=self.ctx.instance_id,
            ticket_id=self.req.ticket_id,
            steps=list(self.steps.values()),
            error=str(failure),
            created=[e.label for e in self.undo],
            leftovers=leftovers,
        )
        self.status("done")
        yield from self.notify(
            "compensationFailed" if leftovers else "compensated", {"leftovers": leftovers}
        )
        return final.model_dump(by_alias=True)


def onboarding(context: Any) -> Generator[Any, Any, dict[str, Any]]:
    inp = SagaInput.model_validate(context.get_input())
    return (yield from Saga(context, inp).run())


@bp.orchestration_trigger(context_name="context", orchestration=names.SAGA)
def onboarding_saga(context: df.DurableOrchestrationContext) -> Any:
    return (yield from onboarding(context))
