"""The onboarding saga (DESIGN.md §2): forward steps with their parallelism, undo in reverse.

The order and the parallel groups come from shared/saga_plan.py: preflight; workspace ∥ NSG;
subnet ∥ service/workspace-scope roles; optional approval gate; gateway (or the shared one);
link ∥ gateway-scope roles while it builds; the build waited out by a sub-orchestration;
private DNS for injection; report. Each forward activity that changes something pushes its undo
entry (the activity's typed output); when a step cannot succeed, the entries run in reverse and
the run ends ``Compensated`` or, if an undo still fails, ``CompensationFailed`` with the
leftovers. Operator waits (approval, stalled build, private IP) are external events raced
against a deadline with reminders; custom status always says the step, what it waits for and
until when; milestones are notified through the publish_event activity.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Generator
from typing import Any

import azure.durable_functions as df
from pydantic import BaseModel

from orchestrators.step_runner import POLICIES, run_with_retry
from shared import names
from shared.access_models import AssignRoleInput, RoleRecord
from shared.apim_models import (
    BeginGatewayInput,
    CreateWorkspaceInput,
    GatewayRecord,
    LinkInput,
    LinkRecord,
    WorkspaceRecord,
)
from shared.dns_models import PrivateDnsInput, PrivateDnsRecord, UndoPrivateDnsInput
from shared.network_models import ConfigureSubnetInput, EnsureNsgInput, NsgRecord, SubnetRecord
from shared.operator_events import (
    parse_approval,
    parse_cancel,
    parse_failed_decision,
    parse_private_ip,
    parse_stalled_decision,
)
from shared.preflight import DELEGATION_FOR_MODE, PreflightInput, PreflightResult
from shared.request import OnboardingRequest
from shared.run_log import milestone
from shared.saga_models import (
    RunStepInput,
    RunStepResult,
    SagaInput,
    SagaResult,
    StatusEvent,
    StepRecord,
    UndoEntry,
    WaiterInput,
    WaiterResult,
)
from shared.saga_plan import (
    build_deadline,
    compensation_order,
    deadline_after,
    next_wake,
    passed,
    plan_for,
)

bp = df.Blueprint()

NETWORK_TYPE = {"none": "None", "integration": "External", "injection": "Internal"}
Call = tuple[str, BaseModel, str]  # activity, typed input, retry policy name


class StepFailed(Exception):
    """A forward step could not succeed; the saga compensates."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"{step}: {message}")
        self.step = step


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(by_alias=True, mode="json")


class Saga:
    """State of one run while the generator executes (rebuilt identically on every replay)."""

    def __init__(self, context: Any, inp: SagaInput) -> None:
        self.ctx = context
        self.policy = inp.policy
        self.req = OnboardingRequest.model_validate(inp.request)
        self.plan = plan_for(self.req, self.policy)
        self.steps: dict[str, StepRecord] = {}
        self.undo: list[UndoEntry] = []
        self.hostname: str | None = None
        self.current: StepRecord | None = None
        self.child = 0

    # --- bookkeeping ---------------------------------------------------------------------

    def current_time(self) -> dt.datetime:
        return self.ctx.current_utc_datetime

    def begin(self, name: str) -> StepRecord:
        record = self.steps.setdefault(name, StepRecord(name=name))
        record.status, record.started = "running", self.current_time().isoformat()
        self.current = record
        return record

    def skip(self, name: str) -> None:
        self.steps[name] = StepRecord(name=name, status="skipped")

    def status(
        self,
        step: str,
        waiting_for: str,
        until: dt.datetime | None,
        event: str | None = None,
        cancellable: bool = False,
    ) -> None:
        custom: dict[str, Any] = {
            "step": step,
            "waitingFor": waiting_for,
            "until": until.isoformat() if until else None,
            "steps": [s.model_dump(by_alias=True) for s in self.steps.values()],
        }
        if event is not None:
            # The operator API acts only on the event the run waits for (and cancel with it).
            custom["operatorEvent"] = event
        if event is not None or cancellable:
            custom["cancellable"] = True  # a cancel event is awaited now
        self.ctx.set_custom_status(custom)

    def working(self, step: str, what: str, policy: str = "default") -> None:
        """Status while activities run: until = the end of their retry budget."""
        budget = POLICIES[policy].max_total_s
        self.status(step, what, self.current_time() + dt.timedelta(seconds=budget))

    def done(
        self, record: StepRecord, created: list[str] | None = None
    ) -> Generator[Any, Any, None]:
        record.status, record.ended = "succeeded", self.current_time().isoformat()
        record.created.extend(created or [])
        milestone(self.ctx, self.req.ticket_id, "step done", step=record.name)
        yield from self.notify("stepDone", step=record.name, created=list(record.created))

    def failed(self, record: StepRecord, result: RunStepResult) -> StepFailed:
        error = result.error or {}
        return self.fail(record, f"{error.get('code', 'Error')}: {error.get('message', '')}")

    def cancelled(self, step: str, cancel: Any) -> StepFailed:
        """The operator's terminate-with-compensation: the step fails, the run undoes its work."""
        request = parse_cancel(cancel.result)
        record = self.steps.get(step) or self.begin(step)
        return self.fail(record, f"terminated by {request.by}: {request.reason}")

    def fail(self, record: StepRecord, message: str) -> StepFailed:
        record.status, record.ended, record.error = (
            "failed",
            self.current_time().isoformat(),
            message,
        )
        return StepFailed(record.name, message)

    def push_undo(self, step: str, activity: str, payload: BaseModel, label: str) -> None:
        self.undo.append(UndoEntry(step=step, activity=activity, payload=_json(payload),
                                   label=label))  # fmt: skip

    # --- calling activities ----------------------------------------------------------------

    def call(
        self, record: StepRecord, activity: str, payload: BaseModel, policy: str = "default"
    ) -> Generator[Any, Any, Any]:
        """Run one activity inline with retries; raise StepFailed when it cannot succeed."""
        while True:
            result = yield from run_with_retry(self.ctx, activity, _json(payload), POLICIES[policy])
            record.attempts += result.attempts
            if result.ok:
                return result.result
            if not (yield from self.hold_failed(record, result)):
                raise self.failed(record, result)

    def parallel(self, calls: list[Call]) -> Generator[Any, Any, list[RunStepResult]]:
        """Run activities side by side as run_step sub-orchestrations; none of them raises.

        When some fail and the policy holds failed steps, the run waits for an operator; on
        "retry" only the failed calls run again (the ones that succeeded are kept).
        """
        results: list[RunStepResult | None] = [None] * len(calls)
        todo = list(range(len(calls)))
        while True:
            tasks = []
            for index in todo:
                activity, payload, policy = calls[index]
                self.child += 1
                body = RunStepInput(activity=activity, payload=_json(payload), policy=policy)  # type: ignore[arg-type]
                tasks.append(
                    self.ctx.call_sub_orchestrator(
                        names.RUN_STEP, _json(body), f"{self.ctx.instance_id}:{self.child}"
                    )
                )
            done = yield self.ctx.task_all(tasks)
            for index, raw in zip(todo, done, strict=True):
                results[index] = RunStepResult.model_validate(raw)
            todo = [i for i, r in enumerate(results) if r is not None and not r.ok]
            failed = results[todo[0]] if todo else None
            if failed is None or self.current is None:
                break
            if not (yield from self.hold_failed(self.current, failed)):
                break
        return [r for r in results if r is not None]

    def hold_failed(self, record: StepRecord, result: RunStepResult) -> Generator[Any, Any, bool]:
        """Hold a step that cannot succeed for an operator; True when they ask to retry it."""
        if self.policy.failed_step_hold_hours <= 0:
            return False
        error = result.error or {}
        message = f"{error.get('code', 'Error')}: {error.get('message', '')}"[:500]
        record.status, record.error = "failed", message
        deadline = deadline_after(self.current_time(), self.policy.failed_step_hold_hours)
        payload = yield from self.operator_wait(
            record.name, names.EVENT_FAILED_DECISION,
            f"a decision on the failed {record.name} step: fix the cause, then retry "
            "(or compensate)", deadline,
        )  # fmt: skip
        if payload is None or parse_failed_decision(payload) != "retry":
            return False
        record.status, record.error = "running", None
        self.working(record.name, f"{record.name} again, as the operator asked")
        return True

    def notify(self, kind: str, **detail: Any) -> Generator[Any, Any, None]:
        """Publish a status event; a failed publish never fails the onboarding."""
        event = StatusEvent(
            kind=kind,  # type: ignore[arg-type]
            ticket_id=self.req.ticket_id,
            instance_id=self.ctx.instance_id,
            at=self.current_time().isoformat(),
            **detail,
        )
        with contextlib.suppress(Exception):  # notifications are best effort by design
            yield self.ctx.call_activity(names.PUBLISH_EVENT, event.payload())

    def operator_wait(
        self, step: str, event: str, what: str, deadline: dt.datetime, cancel: Any = None
    ) -> Generator[Any, Any, Any]:
        """Wait for an operator event, reminding at intervals; None once the deadline passes.

        A ``cancel`` event (the operator API's terminate with compensation) ends the wait by
        failing the step, so the run undoes what it made. Waiting on it adds no history until
        it is raised.
        """
        # One waiter per event for the whole wait, not a new one per reminder: exactly one task
        # can take the operator's event, and waiters do not pile up over a long wait.
        raised = None
        while not passed(self.current_time(), deadline):
            self.status(step, what, deadline, event)
            milestone(self.ctx, self.req.ticket_id, "waiting on operator", step=step, event=event)
            yield from self.notify("waitingOnOperator", step=step, waiting_for=what, event=event,
                                   until=deadline.isoformat())  # fmt: skip
            if raised is None:
                raised = self.ctx.wait_for_external_event(event)
            if cancel is None:
                cancel = self.ctx.wait_for_external_event(names.EVENT_CANCEL)
            timer = self.ctx.create_timer(
                next_wake(self.current_time(), deadline, self.policy.reminder_hours)
            )
            winner = yield self.ctx.task_any([raised, cancel, timer])
            if winner == cancel:
                timer.cancel()
                raise self.cancelled(step, cancel)
            if winner == raised:
                timer.cancel()
                return raised.result
        return None

    # --- the saga ------------------------------------------------------------------------

    def run(self) -> Generator[Any, Any, dict[str, Any]]:
        milestone(self.ctx, self.req.ticket_id, "onboarding started", mode=self.plan.mode)
        yield from self.notify("accepted")
        try:
            yield from self.forward()
        except StepFailed as failure:
            return (yield from self.compensate(failure))
        except Exception as exc:  # an unreadable result or a bug: still never leave orphans
            record = self.current or self.begin("intake")
            internal = self.fail(record, f"internal error: {type(exc).__name__}: {exc}"[:500])
            return (yield from self.compensate(internal))
        self.status("report", "nothing (done)", None)
        milestone(self.ctx, self.req.ticket_id, "onboarding succeeded")
        yield from self.notify("succeeded", hostname=self.hostname, outcome="Succeeded")
        return self.result("Succeeded").model_dump(by_alias=True)

    def result(self, outcome: str, **extra: Any) -> SagaResult:
        return SagaResult(
            outcome=outcome,  # type: ignore[arg-type]
            instance_id=self.ctx.instance_id,
            ticket_id=self.req.ticket_id,
            steps=list(self.steps.values()),
            created=[e.label for e in self.undo],
            hostname=self.hostname,
            **extra,
        )

    def forward(self) -> Generator[Any, Any, None]:
        req, plan, instance = self.req, self.plan, self.ctx.instance_id
        service_id = req.apim_service_id
        subnet_id = req.gateway.network.subnet_id
        gateway_id = req.gateway.existing_gateway_id or (
            f"{service_id.split('/providers/')[0]}/providers/Microsoft.ApiManagement/gateways/"
            f"{req.gateway.name}"
        )

        # 1 preflight (read only)
        record = self.begin("preflight")
        self.working("preflight", "read-only checks")
        pre = PreflightResult.model_validate(
            (yield from self.call(record, names.PREFLIGHT, PreflightInput(
                apim_service_id=service_id, mode=plan.mode, subnet_id=subnet_id,
                workspace_name=req.workspace.name,
                gateway_id=None if plan.shared_gateway else gateway_id,
                existing_gateway_id=req.gateway.existing_gateway_id, instance_id=instance)))
        )  # fmt: skip
        if not pre.passed:
            raise self.fail(
                record, "; ".join(f"{f.check}: {f.detail}" for f in pre.findings if not f.ok)
            )
        yield from self.done(record)

        # 2 ∥ 3: workspace and NSG side by side
        ws_record = self.begin("workspace")
        net_record = self.begin("network") if plan.network else None
        if net_record is None:
            self.skip("network")
        self.working("workspace", "workspace" + (" and NSG" if plan.network else ""))
        calls: list[Call] = [
            (names.CREATE_WORKSPACE, CreateWorkspaceInput(
                service_id=service_id, name=req.workspace.name,
                display_name=req.workspace.display_name, description=req.workspace.description,
                instance_id=instance), "default"),
        ]  # fmt: skip
        if plan.network:
            assert subnet_id is not None  # the contract requires it for these modes
            calls.append((names.ENSURE_NSG, EnsureNsgInput(
                subnet_id=subnet_id, nsg_name=f"nsg-{req.gateway.name}", mode=plan.mode,
                tags={"onboarding-instance": instance}), "default"))  # fmt: skip
        results = yield from self.parallel(calls)
        ws_result, nsg_result = results[0], (results[1] if plan.network else None)
        workspace = WorkspaceRecord.model_validate(ws_result.result) if ws_result.ok else None
        nsg = NsgRecord.model_validate(nsg_result.result) if nsg_result and nsg_result.ok else None
        ws_record.attempts = ws_result.attempts
        if workspace is not None:
            self.push_undo("workspace", names.DELETE_WORKSPACE, workspace, workspace.workspace_id)
        if net_record is not None and nsg_result is not None:
            net_record.attempts = nsg_result.attempts
            if nsg is not None:
                self.push_undo("network", names.UNDO_NSG, nsg, nsg.nsg_id)
        if workspace is None:
            raise self.failed(ws_record, ws_result)
        if net_record is not None and nsg is None:
            assert nsg_result is not None
            raise self.failed(net_record, nsg_result)
        yield from self.done(ws_record, [workspace.workspace_id])

        # subnet ∥ the roles that need only the workspace
        scopes = {"service": service_id, "workspace": workspace.workspace_id,
                  "gateway": gateway_id}  # fmt: skip
        access = self.begin("access") if req.access else None
        if access is None:
            self.skip("access")
        calls = []
        if net_record is not None and nsg is not None:
            assert subnet_id is not None
            calls.append((names.CONFIGURE_SUBNET, ConfigureSubnetInput(
                subnet_id=subnet_id, delegation=DELEGATION_FOR_MODE[plan.mode],
                nsg_id=nsg.nsg_id), "default"))  # fmt: skip
        calls.extend(self.role_calls(plan.early_roles, scopes))
        if calls:
            step = "network" if net_record is not None else "access"
            self.working(step, "subnet delegation and service/workspace roles", "principal")
            results = yield from self.parallel(calls)
            subnet: SubnetRecord | None = None
            subnet_result = results[0] if net_record is not None else None
            role_results = results[1:] if net_record is not None else results
            if net_record is not None and subnet_result is not None:
                net_record.attempts += subnet_result.attempts
                if subnet_result.ok:
                    subnet = SubnetRecord.model_validate(subnet_result.result)
                    self.push_undo("network", names.RESTORE_SUBNET, subnet, subnet.subnet_id)
            self.record_roles(role_results)
            if net_record is not None and subnet_result is not None:
                if subnet is None:
                    raise self.failed(net_record, subnet_result)
                changed = [subnet_id] if subnet.changed and subnet_id else []
                created = ([nsg.nsg_id] if nsg and nsg.created else []) + changed
                yield from self.done(net_record, created)

        # optional approval gate before the gateway is created
        if plan.approval:
            yield from self.approval_gate()
        else:
            self.skip("approval")

        # 4 gateway (new or shared), then link ∥ gateway-scope roles while it builds
        record = self.begin("gateway")
        build_started = self.current_time()
        if not plan.shared_gateway:
            self.working("gateway", "the gateway create to be accepted")
            gateway = GatewayRecord.model_validate(
                (yield from self.call(record, names.BEGIN_GATEWAY, BeginGatewayInput(
                    gateway_id=gateway_id, location=pre.facts.service_region,
                    capacity=req.gateway.capacity, network_type=NETWORK_TYPE[plan.mode],  # type: ignore[arg-type]
                    subnet_id=subnet_id, instance_id=instance, ticket_id=req.ticket_id)))
            )  # fmt: skip
            build_started = self.current_time()
            self.push_undo("gateway", names.DELETE_GATEWAY, gateway, gateway_id)
            if gateway.created:
                record.created.append(gateway_id)
        self.working("gateway", "workspace link and gateway roles", "principal")
        results = yield from self.parallel(
            [(names.LINK_WORKSPACE, LinkInput(gateway_id=gateway_id,
                                              workspace_id=workspace.workspace_id), "default"),
             *self.role_calls(plan.late_roles, scopes)]
        )  # fmt: skip
        link_result, role_results = results[0], results[1:]
        record.attempts += link_result.attempts
        link = LinkRecord.model_validate(link_result.result) if link_result.ok else None
        if link is not None:
            self.push_undo("gateway", names.UNLINK_WORKSPACE, link, link.link_id)
            self.hostname = link.hostname
        self.record_roles(role_results)
        if link is None:
            raise self.failed(record, link_result)
        yield from self.done(record, [link.link_id])
        if access is not None:
            yield from self.done(access)

        # 5 wait for the build (a new gateway only), 6 DNS (injection only)
        if not plan.wait:
            self.skip("wait")
            self.skip("dns")
            return
        waited = yield from self.wait_build(gateway_id, build_started)
        if not plan.dns:
            self.skip("dns")
            return
        yield from self.private_dns(waited)

    def role_calls(self, indexes: tuple[int, ...], scopes: dict[str, str]) -> list[Call]:
        return [
            (names.ASSIGN_ROLE, AssignRoleInput(
                scope=scopes[self.req.access[i].scope], role_name=self.req.access[i].role,
                principal_id=self.req.access[i].principal_id,
                principal_type=self.req.access[i].principal_type), "principal")
            for i in indexes
        ]  # fmt: skip

    def record_roles(self, results: list[RunStepResult]) -> None:
        """Push the undo of every role that was assigned; raise for the first that was not."""
        if not results:
            return
        access = self.steps["access"]
        for result in results:
            access.attempts += result.attempts
            if result.ok:
                role = RoleRecord.model_validate(result.result)
                self.push_undo("access", names.REMOVE_ROLE, role, role.assignment_id)
                if role.created:
                    access.created.append(role.assignment_id)
        failed = [r for r in results if not r.ok]
        if failed:
            raise self.failed(access, failed[0])

    def approval_gate(self) -> Generator[Any, Any, None]:
        record = self.begin("approval")
        deadline = deadline_after(self.current_time(), self.policy.approval_timeout_hours)
        payload = yield from self.operator_wait(
            "approval", names.EVENT_APPROVAL, "approval to create the gateway", deadline
        )
        if payload is None:
            raise self.fail(record, f"no approval before {deadline.isoformat()}")
        decision = parse_approval(payload)
        if not decision.approved:
            raise self.fail(record, f"not approved: {decision.reason}")
        yield from self.done(record)

    def wait_build(
        self, gateway_id: str, build_started: dt.datetime
    ) -> Generator[Any, Any, WaiterResult]:
        record = self.begin("wait")
        deadline = build_deadline(self.current_time(), self.policy)
        # The build is the hours-long part: an operator may cancel it (terminate with
        # compensation). The waiter then runs on until its next poll finds the gateway deleted
        # by the undo; its answer is ignored. One cancel waiter serves the whole step.
        cancel = self.ctx.wait_for_external_event(names.EVENT_CANCEL)
        while True:
            self.status("wait", "gateway build", deadline, cancellable=True)
            self.child += 1
            child = self.ctx.call_sub_orchestrator(
                names.GATEWAY_WAITER,
                _json(WaiterInput(gateway_id=gateway_id, started_at=build_started.isoformat(),
                                  deadline_at=deadline.isoformat())),
                f"{self.ctx.instance_id}:{self.child}",
            )  # fmt: skip
            if (yield self.ctx.task_any([child, cancel])) == cancel:
                raise self.cancelled("wait", cancel)
            waited = WaiterResult.model_validate(child.result)
            record.attempts += waited.polls
            if not waited.stalled:
                break
            record.status = "stalled"
            payload = yield from self.operator_wait(
                "wait", names.EVENT_STALLED_DECISION,
                "decision on a stalled gateway build (keepWaiting or abort)",
                deadline_after(self.current_time(), self.policy.stalled_timeout_hours), cancel,
            )  # fmt: skip
            if payload is None or parse_stalled_decision(payload) == "abort":
                why = "aborted by the operator" if payload is not None else "no operator decision"
                raise self.fail(record, f"the gateway build passed its deadline; {why}")
            record.status = "running"
            deadline = build_deadline(self.current_time(), self.policy)
        if waited.state.lower() != "succeeded":
            raise self.fail(
                record, f"the gateway build ended {waited.state}" + (
                    f": {waited.error}" if waited.error else "")
            )  # fmt: skip
        self.hostname = waited.hostname or self.hostname
        yield from self.done(record)
        return waited

    def private_dns(self, waited: WaiterResult) -> Generator[Any, Any, None]:
        req = self.req
        record = self.begin("dns")
        if not self.hostname:
            raise self.fail(record, "neither the gateway nor its link reports a hostname")
        private_ip = waited.private_ip
        deadline = deadline_after(self.current_time(), self.policy.private_ip_timeout_hours)
        what = "the gateway's private IP (ARM does not expose it)"
        while not private_ip:
            payload = yield from self.operator_wait("dns", names.EVENT_PRIVATE_IP, what, deadline)
            if payload is None:
                raise self.fail(record, f"no private IP supplied before {deadline.isoformat()}")
            supplied = parse_private_ip(payload)
            private_ip = supplied.ip
            what = f"a valid private IP ({supplied.problem})"
        assert req.dns is not None and req.gateway.network.subnet_id  # injection needs both
        vnet_id = req.gateway.network.subnet_id.split("/subnets/")[0]
        self.working("dns", "private DNS zone, VNet link and A record")
        dns = PrivateDnsRecord.model_validate(
            (yield from self.call(record, names.ENSURE_PRIVATE_DNS, PrivateDnsInput(
                dns_resource_group_id=req.dns.resource_group_id, zone_name=self.hostname,
                vnet_id=vnet_id, private_ip=private_ip, instance_id=self.ctx.instance_id)))
        )  # fmt: skip
        self.push_undo("dns", names.UNDO_PRIVATE_DNS,
                       UndoPrivateDnsInput(record=dns, vnet_id=vnet_id), dns.zone_id)  # fmt: skip
        yield from self.done(record, [dns.zone_id] if dns.zone_created else [])

    def compensate(self, failure: StepFailed) -> Generator[Any, Any, dict[str, Any]]:
        milestone(self.ctx, self.req.ticket_id, "compensating", step=failure.step)
        yield from self.notify("failed", step=failure.step, error=str(failure))
        leftovers: list[str] = []
        for entry in compensation_order(self.undo):
            self.working("compensate", f"undo {entry.activity} of {entry.label}", "undo")
            result = yield from run_with_retry(
                self.ctx, entry.activity, entry.payload, POLICIES["undo"]
            )
            record = self.steps.setdefault(entry.step, StepRecord(name=entry.step))
            if result.ok:
                record.undone.append(entry.label)
                if record.status != "undo-failed":
                    record.status = "undone"
            else:
                leftovers.append(entry.label)
                record.status = "undo-failed"
                record.error = f"undo failed: {(result.error or {}).get('message', '')}"
        outcome = "CompensationFailed" if leftovers else ("Compensated" if self.undo else "Failed")
        self.status("done", f"nothing ({outcome})", None)
        milestone(self.ctx, self.req.ticket_id, "onboarding ended", outcome=outcome)
        yield from self.notify(
            "compensationFailed" if leftovers else "compensated",
            leftovers=leftovers,
            outcome=outcome,
        )
        return self.result(outcome, error=str(failure), leftovers=leftovers).model_dump(
            by_alias=True
        )


def onboarding(context: Any) -> Generator[Any, Any, dict[str, Any]]:
    inp = SagaInput.model_validate(context.get_input())
    return (yield from Saga(context, inp).run())


@bp.orchestration_trigger(context_name="context", orchestration=names.SAGA)
def onboarding_saga(context: df.DurableOrchestrationContext) -> Any:
    return (yield from onboarding(context))
