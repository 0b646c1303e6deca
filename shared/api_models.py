"""The HTTP API's bodies that are not the request or a run's view: answers and action bodies.

Pydantic models, so the OpenAPI document (shared/openapi.py) is generated from the same types
the code answers with. The run's view is the status model's :class:`RunView`
(shared/status_model.py); the request is :class:`OnboardingRequest` (shared/request.py).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.dry_run_plan import Change, GrantCheck
from shared.preflight import Finding, PreflightFacts
from shared.request import FieldError
from shared.status_model import Counts, RunView
from shared.wire_model import WireModel


class ProblemDetails(BaseModel):
    """RFC 9457 problem details; ``type`` is one of docs/problems/ (more members per type)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


class StartAccepted(WireModel):
    """202: the ticket's run was started (``resubmission`` says why, for a new attempt)."""

    id: str
    status_url: str
    kind: str | None = None  # a change of access or an offboarding (issue 15)
    resubmission: str | None = None  # a new attempt: newAttempt (docs/request-contract.md)
    attempt_of: str | None = None  # a new attempt: the ticket's first run
    detail: str | None = None  # a new attempt: why (what changed, how the last run ended)


class RunAnswer(RunView):
    """A run's view plus what an answer adds to it (found existing, retried, purged ...)."""

    existing: bool | None = None
    status_url: str | None = None
    resubmission: str | None = None  # running | identical (docs/request-contract.md)
    attempt_of: str | None = None  # an attempt of a ticket: its first run
    attempts: list[str] | None = None  # every run of the ticket, first to last
    compensating: bool | None = None
    purged: bool | None = None
    instances_deleted: int | None = None


class RunCounts(Counts):
    """Runs per outcome (each the list ``?outcome=`` answers) and per Durable runtime status."""

    runtime_status: dict[str, int] = Field(default_factory=dict)


class PlannedCall(WireModel):
    """One call or operator wait of a dry run's plan (orchestrators/rehearsal.py)."""

    group: int
    step: str | None = None
    activity: str | None = None
    input: dict[str, Any] | None = None
    waits_for: str | None = None


class ExistingRun(WireModel):
    id: str
    outcome: str
    resubmission: str  # what a real request would be answered (shared/resubmission.py)
    detail: str


class DryRunAnswer(WireModel):
    """``?dryRun=true``: preflight's real findings and the plan of a run of the request."""

    dry_run: bool
    instance_id: str
    passed: bool
    findings: list[Finding]
    facts: PreflightFacts
    plan: list[PlannedCall]
    changes: list[Change]  # per resource: create, modify (before -> after), reuse, skip
    grants: list[GrantCheck]
    existing_run: ExistingRun | None = None  # the ticket already has a run: what it is


class TeamDryRunAnswer(WireModel):
    """``?dryRun=true`` of a change of access or an offboarding (triggers/team_intake.py)."""

    dry_run: bool
    kind: str
    instance_id: str
    require_approval: bool
    plan: dict[str, Any] | None = None


class RunList(WireModel):
    items: list[dict[str, Any]]  # run index rows (docs/operators.md "API contract")
    continuation_token: str | None = None


class Timeline(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    steps: list[dict[str, Any]]
    now: str


class History(WireModel):
    id: str
    instances: list[dict[str, Any]]


class PurgedRuns(WireModel):
    purged: list[str]
    count: int
    more: bool


class TerminateBody(WireModel):
    reason: str = Field(description="why (recorded with the operator's name)")
    compensate: bool = False


class ApproveBody(WireModel):
    approved: bool
    reason: str | None = None


class ReasonBody(WireModel):
    reason: str | None = None


class PrivateIpBody(WireModel):
    ip: str
