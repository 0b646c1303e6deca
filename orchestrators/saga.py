"""The onboarding saga (DESIGN.md §2): the procedure of the Azure docs, top to bottom.

preflight -> approval -> workspace ∥ NSG -> subnet ∥ service/workspace roles -> gateway ->
link ∥ gateway roles (while it builds) -> wait for the build -> private DNS. Each call's undo is
the row beside it in shared/activity_table.py; the ledger (orchestrators/ledger.py) records
what every call made, holds or fails the step a call belongs to, and undoes in reverse when a
step cannot succeed. Inputs come from shared/saga_inputs.py.

Deploy safety: a run replays on the procedure of the version it started with
(``context.version``, set by the host from host.json ``defaultVersion``). Change a procedure's
yields only by adding a new version beside it (docs/operations.md); tests/golden replays
recorded histories of every version on every change.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import azure.durable_functions as df

from orchestrators.context import OrchestrationContext
from orchestrators.gateway_waiter import TERMINAL
from orchestrators.ledger import Gen, Ledger
from shared import activity_table as acts
from shared import names
from shared import saga_inputs as inputs
from shared.apim_models import LinkRecord
from shared.approval import approval_summary
from shared.operator_events import parse_approval, parse_private_ip, parse_stalled_decision
from shared.request import OnboardingRequest
from shared.retry import LINK_POLL_DELAYS_S
from shared.saga_inputs import Run
from shared.saga_models import SagaInput, SagaPolicy, WaiterResult
from shared.saga_plan import build_deadline, plan_for
from shared.team_record import inventory_of


def onboard_v1(L: Ledger, run: Run, policy: SagaPolicy) -> Gen:
    """Version 1.0 of the procedure."""
    plan = run.plan
    pre = yield from L.call(acts.PREFLIGHT, inputs.preflight(run))
    if not pre.passed:
        raise L.fail("preflight", "; ".join(f"{f.check}: {f.detail}" for f in pre.findings
                                            if not f.ok))  # fmt: skip
    yield from L.done("preflight")
    if plan.approval:
        yield from approve(L, run, policy)

    workspace, nsg = yield from L.all(
        (acts.CREATE_WORKSPACE, inputs.workspace(run)),
        (acts.ENSURE_NSG, inputs.nsg(run, pre)) if plan.network else None,
    )
    yield from L.done("workspace")
    yield from L.all(
        (acts.CONFIGURE_SUBNET, inputs.subnet(run, nsg, pre)) if nsg else None,
        *[(acts.ASSIGN_ROLE, grant) for grant in inputs.roles(run, plan.early_roles, workspace)],
    )
    yield from L.done("network")

    if not plan.shared_gateway:
        yield from L.call(acts.BEGIN_GATEWAY, inputs.gateway(run, pre))
    build_started = L.clock()
    link, *_ = yield from L.all(
        (acts.LINK_WORKSPACE, inputs.link(run, workspace)),
        *[(acts.ASSIGN_ROLE, grant) for grant in inputs.roles(run, plan.late_roles, workspace)],
    )
    yield from L.done(*(["access"] if link.deferred else ["gateway", "access"]))

    waited = (yield from wait_for_build(L, run, build_started, policy, link)) if plan.wait else None
    if link.deferred:  # APIM refused the link while the gateway built: link it now
        link = yield from L.call(acts.LINK_WORKSPACE, inputs.link(run, workspace))
        yield from L.done("gateway")
    L.hostname = (yield from wait_for_link(L, link)) or (waited.hostname if waited else None)

    if waited is not None and plan.dns:
        prefixes = pre.facts.subnet.prefixes if pre.facts.subnet else []
        yield from private_dns(L, run, waited, prefixes, policy)


def approve(L: Ledger, run: Run, policy: SagaPolicy) -> Gen:
    """The approval gate, before the first write: the approver sees what they approve."""
    deadline = L.deadline(policy.approval_timeout_hours)
    answer = yield from L.wait_for_operator(
        "approval", names.EVENT_APPROVAL, "approval of the onboarding (nothing is created before)",
        deadline, asks={"approval": approval_summary(run.request, policy)},
    )  # fmt: skip
    if answer is None:
        raise L.fail("approval", f"no approval before {deadline.isoformat()}")
    decision = parse_approval(answer)
    if not decision.approved:
        raise L.fail("approval", f"not approved: {decision.reason}")
    yield from L.done("approval")


def wait_for_build(
    L: Ledger, run: Run, started: Any, policy: SagaPolicy, link: LinkRecord | None = None
) -> Gen:
    """The build, waited out by the gateway_waiter child; a stalled build asks an operator.

    An operator may cancel the hours-long build (terminate with compensation): the waiter then
    runs on until its next poll finds the gateway deleted by the undo; its answer is ignored.
    """
    deadline = build_deadline(L.clock(), policy)
    cancel = L.cancel_waiter()  # one for the whole step
    while True:
        raw = yield from L.child("wait", "gateway build", deadline, names.GATEWAY_WAITER,
                                 inputs.waiter(run, started.isoformat(), deadline.isoformat(),
                                               link=link,
                                               push_signal=policy.gateway_push_signal),
                                 cancel)  # fmt: skip
        waited = WaiterResult.model_validate(raw)
        L.count("wait", waited.polls)
        if not waited.stalled:
            break
        answer = yield from L.wait_for_operator(
            "wait", names.EVENT_STALLED_DECISION,
            "decision on a stalled gateway build (keepWaiting or abort)",
            L.deadline(policy.stalled_timeout_hours), cancel, step_status="stalled",
        )  # fmt: skip
        if answer is None or parse_stalled_decision(answer) == "abort":
            why = "aborted by the operator" if answer is not None else "no operator decision"
            raise L.fail("wait", f"the gateway build passed its deadline; {why}")
        deadline = build_deadline(L.clock(), policy)
    if waited.state.lower() != "succeeded":
        detail = f": {waited.error}" if waited.error else ""
        raise L.fail("wait", f"the gateway build ended {waited.state}{detail}")
    yield from L.done("wait")
    return waited


def wait_for_link(L: Ledger, link: LinkRecord) -> Gen:
    """The config connection's own provisioning, polled on durable timers to its end.

    Whether APIM links a workspace while the gateway builds is undocumented: a link accepted
    then may end only with the build, so it is polled after the build (or at once on a shared
    gateway), never awaited inside an activity. Its hostname (the gateway's) is returned.
    """
    state, hostname = link.state, link.hostname
    for delay in LINK_POLL_DELAYS_S:
        if state.lower() in TERMINAL:
            break
        yield from L.wait(delay)
        polled = yield from L.call(acts.GET_LINK_STATE, inputs.link_state(link))
        state, hostname = polled.provisioning_state, polled.hostname or hostname
    if state.lower() != "succeeded":
        raise L.fail("gateway", f"the workspace link {link.link_id} ended {state}")
    return hostname


def private_dns(
    L: Ledger, run: Run, waited: WaiterResult, prefixes: list[str], policy: SagaPolicy
) -> Gen:
    """Zone named the gateway hostname, VNet link, A record; asks for the IP ARM hides.

    A supplied IP must be a usable address of the gateway subnet (``prefixes``, read at
    preflight); otherwise the run asks again, saying why.
    """
    hostname = L.hostname
    if not hostname:
        raise L.fail("dns", "neither the gateway nor its link reports a hostname")
    private_ip = waited.private_ip
    deadline = L.deadline(policy.private_ip_timeout_hours)
    what = "the gateway's private IP (ARM does not expose it)"
    while not private_ip:
        answer = yield from L.wait_for_operator("dns", names.EVENT_PRIVATE_IP, what, deadline)
        if answer is None:
            raise L.fail("dns", f"no private IP supplied before {deadline.isoformat()}")
        supplied = parse_private_ip(answer, prefixes)
        private_ip, what = supplied.ip, f"a valid private IP ({supplied.problem})"
    yield from L.call(acts.ENSURE_PRIVATE_DNS, inputs.private_dns(run, hostname, private_ip))
    yield from L.done("dns")


Procedure = Callable[[Ledger, Run, SagaPolicy], Gen]
# Every version a run in flight may have started with, and its procedure. host.json's
# durableTask.defaultVersion names the newest (a test checks both agree).
# 2.0 runs the same procedure; its gateway waiter polls on recorded build durations and keeps
# each execution's history within a budget of events (orchestrators/gateway_waiter.py branches
# on the run's version; the saga's own yields are those of 1.0).
PROCEDURES: dict[str, Procedure] = {"1.0": onboard_v1, "2.0": onboard_v1}
FIRST_VERSION = "1.0"  # runs started before versioning carry no version


def onboarding(context: OrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    inp = SagaInput.model_validate(context.get_input())
    request = OnboardingRequest.model_validate(inp.request)
    plan = plan_for(request, inp.policy)
    version = context.version or FIRST_VERSION
    procedure = PROCEDURES.get(version)
    if procedure is None:
        # Only a host without version matching (versionMatchStrategy None) gets here.
        raise RuntimeError(
            f"this deployment has no saga version {version!r} (it has {sorted(PROCEDURES)}); "
            "redeploy a build that carries it (docs/operations.md)"
        )
    ledger = Ledger(context, request.ticket_id, inp.policy, plan.skipped)
    # The team record a succeeded onboarding leaves rides on its last milestone (no new yield).
    ledger.inventory = lambda L: inventory_of(inp.request, L.undo, context.instance_id,
                                              L.clock().isoformat())  # fmt: skip
    run = Run(request, plan, context.instance_id)
    return (yield from ledger.guard(procedure(ledger, run, inp.policy), plan.mode))


bp = df.Blueprint()


@bp.orchestration_trigger(context_name="context", orchestration=names.SAGA)
def onboarding_saga(context: df.DurableOrchestrationContext) -> Any:
    return (yield from onboarding(context))
