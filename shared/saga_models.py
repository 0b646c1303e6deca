"""The saga's input, policy, per-step records, undo entries and final output (JSON forms)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shared.status_model import Outcome as RunOutcome
from shared.status_model import outcome_of_event
from shared.wire_model import WireModel

StepStatus = Literal[
    "pending", "running", "stalled", "succeeded", "failed", "skipped", "undone", "undo-failed"
]
Outcome = Literal["Succeeded", "Failed", "Compensated", "CompensationFailed"]


class SagaPolicy(WireModel):
    require_approval: bool = False
    approval_timeout_hours: float = 72.0
    reminder_hours: float = 24.0
    build_deadline_hours: float = 6.0
    private_ip_timeout_hours: float = 72.0
    stalled_timeout_hours: float = 72.0
    # 0: a step that cannot succeed is compensated at once. More: the run holds that long for
    # an operator to fix the cause and retry the step (completed steps are kept), then undoes.
    failed_step_hold_hours: float = 0.0
    # The approver sees a new gateway's monthly cost: price of one unit per month (no default:
    # prices differ by region, agreement and date; docs/operators.md says where to read it).
    gateway_unit_monthly_price: float | None = None
    price_currency: str = "USD"
    # POLICY_GATEWAY_PUSH_SIGNAL: the gateway waiter also wakes on the gateway's ARM write
    # event (shared/gateway_signal.py); read at intake, so a run keeps what it started with.
    gateway_push_signal: bool = False


class Requester(WireModel):
    """Who asked for the run, for audit: the authenticated caller where there is one.

    ``source`` says how ``name``/``object_id`` are known: ``easyauth`` (the HTTP caller's Entra
    token, checked by App Service Authentication), ``servicebus`` (the message's ``requestedBy``
    application property or, without one, the request's field; not authenticated by the app,
    the sender's identity is the queue's RBAC) or ``unauthenticated`` (AUTH_MODE=disabled).
    ``claimed`` is the request's own ``requestedBy``, kept beside it so both can be compared.
    """

    name: str
    object_id: str | None = None
    source: Literal["easyauth", "servicebus", "unauthenticated"]
    claimed: str | None = None


class SagaInput(WireModel):
    request: dict[str, Any]
    policy: SagaPolicy = Field(default_factory=SagaPolicy)
    requested_by: Requester | None = None


class StepRecord(WireModel):
    name: str
    status: StepStatus = "pending"
    attempts: int = 0  # every try of every call of the step, first tries included
    calls: int = 0  # calls that ended (attempts - calls = retries; shared/status_model.py)
    started: str | None = None
    ended: str | None = None
    error: str | None = None
    created: list[str] = Field(default_factory=list)
    undone: list[str] = Field(default_factory=list)


class UndoEntry(WireModel):
    step: str
    activity: str
    payload: dict[str, Any]
    label: str  # the resource (id) this undo removes or restores


class RunStepInput(WireModel):
    activity: str
    payload: dict[str, Any]
    policy: Literal["default", "principal", "undo"] = "default"
    step: str | None = None  # the saga step the call belongs to (its retries are shown there)


class RunStepResult(WireModel):
    ok: bool
    result: Any = None
    error: dict[str, Any] | None = None
    attempts: int = 0


class WaiterInput(WireModel):
    gateway_id: str
    started_at: str  # when the build started (the poll schedule counts from here)
    deadline_at: str
    polls: int = 0
    hostname_from_link: bool = False  # GatewayStateInput.hostname_from_link of every poll


class SignalledWaiterInput(WaiterInput):
    """A waiter that also wakes on its gateway's write event (only runs started with the push
    signal carry the field: the others' inputs, and so their yields, stay as they were)."""

    push_signal: bool = True


class WaiterResult(WireModel):
    state: str
    hostname: str | None = None
    private_ip: str | None = None
    polls: int = 0
    stalled: bool = False
    error: str | None = None  # why the state could not be read (e.g. the gateway is gone)


EventKind = Literal[
    "accepted", "stepDone", "waitingOnOperator", "succeeded", "failed", "compensated",
    "compensationFailed",
]  # fmt: skip


class StatusEvent(WireModel):
    """A milestone notification (publish_event); correlation is the ticket id."""

    kind: EventKind
    ticket_id: str
    instance_id: str
    at: str
    step: str | None = None
    waiting_for: str | None = None
    event: str | None = None  # the external event name an operator should raise
    asks: dict[str, Any] | None = None  # what the operator decides on (approval: the summary)
    until: str | None = None
    created: list[str] | None = None
    hostname: str | None = None
    error: str | None = None
    leftovers: list[str] | None = None
    # The run's outcome right after this milestone, in the status model's words
    # (shared/status_model.py): Running, WaitingOnOperator, Compensating, then how it ended.
    outcome: RunOutcome | None = None
    # On an onboarding's "succeeded" milestone: the team record it leaves (shared/team_record.py),
    # written by the publish activity and never published on the topic.
    inventory: dict[str, Any] | None = None

    def payload(self) -> dict[str, Any]:
        data = self.model_dump(by_alias=True, exclude_none=True)
        data["outcome"] = outcome_of_event(self.kind, self.outcome)
        return data


class SagaResult(WireModel):
    outcome: Outcome
    instance_id: str
    ticket_id: str
    steps: list[StepRecord]
    error: str | None = None
    created: list[str] = Field(default_factory=list)
    leftovers: list[str] = Field(default_factory=list)
    hostname: str | None = None
    # The undo entries that still failed (CompensationFailed), in the order to run them: the
    # operator's compensate action runs exactly these again (orchestrators/compensation.py).
    leftover_undo: list[UndoEntry] = Field(default_factory=list)
    compensation_of: str | None = None  # on a compensation run: the run whose undo it retries


class CompensationInput(WireModel):
    """A compensation run: the undo entries a finished run left (its ``leftoverUndo``)."""

    compensation_of: str  # the run whose leftovers these are
    ticket_id: str
    entries: list[UndoEntry] = Field(min_length=1)
