"""The request contract's other kinds (issue 15): change a team's access, offboard a team.

One contract, told apart by ``kind``: ``onboard`` (the default, shared/request.py),
``changeAccess`` and ``offboard``, over ``POST /api/onboardings`` and the Service Bus queue
alike (docs/request-contract.md). A team is named as it was onboarded: ``team``,
``apimServiceId`` and ``workspace`` (the workspace's name) find its record
(shared/team_record.py). Every kind has its own run id prefix, so a ticket may onboard a team
and later, under other tickets, change its access and offboard it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from shared.request import (
    SERVICE_ID,
    TICKET_ID,
    WORKSPACE_NAME,
    AccessGrant,
    FieldError,
    FieldRules,
    NotifySpec,
    OnboardingRequest,
    RequestInvalid,
    _field_errors,
    _text_rules,
    fullmatch_or_explain,
    instance_id_for,
    parse_request,
    unwrap_envelope,
)
from shared.wire_model import WireModel

KINDS = ("onboard", "changeAccess", "offboard")
RUN_PREFIX = {"onboard": "onboard", "changeAccess": "access", "offboard": "offboard"}


def kind_instance_id(kind: str, ticket_id: str) -> str:
    """The run id of a ticket's request of ``kind``: the onboarding mapping, another prefix."""
    return RUN_PREFIX[kind] + instance_id_for(ticket_id).removeprefix("onboard")


class _TeamRequest(WireModel):
    ticket_id: str
    team: str = Field(min_length=1, max_length=100)
    requested_by: str = Field(min_length=1, max_length=256)
    apim_service_id: str
    workspace: str = Field(min_length=1, max_length=80)
    notify: NotifySpec | None = None

    @field_validator("ticket_id")
    @classmethod
    def _ticket(cls, v: str) -> str:
        return fullmatch_or_explain(
            v, TICKET_ID, "must be 1-64 letters, digits, '.', '_' or '-', starting alphanumeric"
        )

    @field_validator("apim_service_id")
    @classmethod
    def _service(cls, v: str) -> str:
        return fullmatch_or_explain(
            v, SERVICE_ID, "must be a Microsoft.ApiManagement/service resource id"
        )

    @field_validator("workspace")
    @classmethod
    def _workspace(cls, v: str) -> str:
        return fullmatch_or_explain(
            v, WORKSPACE_NAME, "must not contain any of * # & + : < > ? / \\ %"
        )

    @field_validator("team", "requested_by")
    @classmethod
    def _texts(cls, v: str) -> str:
        return str(_text_rules(v, blank=False))


class ChangeAccessRequest(_TeamRequest):
    """Add and remove grants of an onboarded team (same role/scope rules as onboarding)."""

    kind: Literal["changeAccess"]
    add: list[AccessGrant] = Field(default_factory=list, max_length=50)
    remove: list[AccessGrant] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _cross_fields(self) -> ChangeAccessRequest:
        problems: list[tuple[str, str]] = []
        if not self.add and not self.remove:
            problems.append(("add", "give at least one grant to add or to remove"))
        for field, grants in (("add", self.add), ("remove", self.remove)):
            seen = set()
            for i, grant in enumerate(grants):
                key = (grant.principal_id, grant.scope, grant.role)
                if key in seen:
                    problems.append((f"{field}[{i}]", "repeats a grant of this list"))
                seen.add(key)
        added = {(g.principal_id, g.scope, g.role) for g in self.add}
        for i, grant in enumerate(self.remove):
            if (grant.principal_id, grant.scope, grant.role) in added:
                problems.append((f"remove[{i}]", "is also in 'add'; a grant is added or removed"))
        if problems:
            raise FieldRules(problems)
        return self

    @property
    def instance_id(self) -> str:
        return kind_instance_id("changeAccess", self.ticket_id)


class OffboardRequest(_TeamRequest):
    """Remove what the product made for a team, from its record (reverse of onboarding)."""

    kind: Literal["offboard"]
    # Offboard even while the workspace holds APIs or products (they go with the workspace).
    force: bool = False
    reason: str = Field(default="", max_length=500)

    @field_validator("reason")
    @classmethod
    def _reason(cls, v: str) -> str:
        return str(_text_rules(v))

    @property
    def instance_id(self) -> str:
        return kind_instance_id("offboard", self.ticket_id)


AnyRequest = OnboardingRequest | ChangeAccessRequest | OffboardRequest
_MODELS: dict[str, type[ChangeAccessRequest] | type[OffboardRequest]] = {
    "changeAccess": ChangeAccessRequest,
    "offboard": OffboardRequest,
}


def parse_any(payload: Any) -> AnyRequest:
    """A request of any kind (bare or in a CloudEvents envelope); RequestInvalid names every
    problem. Without ``kind`` (or with ``kind: onboard``) it is an onboarding."""
    data = unwrap_envelope(payload)
    kind = data.get("kind", "onboard")
    if kind == "onboard":
        return parse_request(data)
    model = _MODELS.get(kind) if isinstance(kind, str) else None
    if model is None:
        message = f"must be one of {', '.join(KINDS)}"
        raise RequestInvalid([FieldError(field="kind", message=message)])
    try:
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        raise RequestInvalid([f for e in exc.errors() for f in _field_errors(e)]) from None


def schemas() -> list[dict[str, Any]]:
    """The JSON schemas of the other kinds (docs/request.schema.json's ``oneOf``)."""
    return [m.model_json_schema(by_alias=True) for m in _MODELS.values()]
