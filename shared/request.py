"""The onboarding request contract: camelCase JSON, validated strictly, every bad field named.

A request may come bare or as the ``data`` of a CloudEvents 1.0 envelope. Name rules are the
ones azure-mgmt-apimanagement checks client-side (arm-behaviour.md §1); role names per scope
are the built-ins of §3.9. docs/request-contract.md documents it and docs/request.schema.json
is generated from these models (:func:`json_schema`).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from shared.wire_model import WireModel

GATEWAY_NAME = re.compile(r"^[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$")
WORKSPACE_NAME = re.compile(r"^[^*#&+:<>?]+$")
TICKET_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_ARM_SEGMENT = r"[^/]+"
SERVICE_ID = re.compile(
    rf"^/subscriptions/{_ARM_SEGMENT}/resourceGroups/{_ARM_SEGMENT}"
    rf"/providers/Microsoft\.ApiManagement/service/{_ARM_SEGMENT}$",
    re.IGNORECASE,
)
SUBNET_ID = re.compile(
    rf"^/subscriptions/{_ARM_SEGMENT}/resourceGroups/{_ARM_SEGMENT}/providers/Microsoft\.Network"
    rf"/virtualNetworks/{_ARM_SEGMENT}/subnets/{_ARM_SEGMENT}$",
    re.IGNORECASE,
)
GATEWAY_ID = re.compile(
    rf"^/subscriptions/{_ARM_SEGMENT}/resourceGroups/{_ARM_SEGMENT}"
    rf"/providers/Microsoft\.ApiManagement/gateways/{_ARM_SEGMENT}$",
    re.IGNORECASE,
)
GROUP_ID = re.compile(rf"^/subscriptions/{_ARM_SEGMENT}/resourceGroups/{_ARM_SEGMENT}$", re.I)

ROLES_BY_SCOPE: dict[str, tuple[str, ...]] = {
    "service": (
        "API Management Service Workspace API Developer",
        "API Management Service Workspace API Product Manager",
    ),
    "workspace": (
        "API Management Workspace Reader",
        "API Management Workspace Contributor",
        "API Management Workspace API Developer",
        "API Management Workspace API Product Manager",
    ),
    "gateway": ("Owner", "Contributor", "Reader"),
}
NetworkModeName = Literal["none", "integration", "injection"]


class FieldRules(ValueError):
    """Cross-field rule violations, each with the path of the field to fix (relative to the model).

    A model validator can only fail at its own location; raising this lets :func:`parse_request`
    name the exact field (``gateway.network.subnetId``) and report every violation at once.
    """

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))
        self.problems = problems


def _check(problems: list[tuple[str, str]]) -> None:
    if problems:
        raise FieldRules(problems)


class WorkspaceSpec(WireModel):
    name: str = Field(min_length=1, max_length=80)
    display_name: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=1000)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not WORKSPACE_NAME.match(v):
            raise ValueError("must not contain any of * # & + : < > ?")
        return v


class NetworkSpec(WireModel):
    mode: NetworkModeName
    subnet_id: str | None = None

    @model_validator(mode="after")
    def _subnet(self) -> NetworkSpec:
        problems = []
        if self.mode == "none" and self.subnet_id:
            problems.append(("subnetId", "must be absent when mode is 'none'"))
        elif self.subnet_id and not SUBNET_ID.match(self.subnet_id):
            problems.append(
                ("subnetId", "must be a subnet id: /subscriptions/<sub>/resourceGroups/<rg>/"
                 "providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>")
            )  # fmt: skip
        _check(problems)
        return self


class GatewaySpec(WireModel):
    name: str | None = Field(default=None, min_length=1, max_length=45)
    capacity: int = Field(default=1, ge=1, le=10)
    network: NetworkSpec
    existing_gateway_id: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        if v is not None and not GATEWAY_NAME.match(v):
            raise ValueError(
                "must start with a letter, hold letters, digits and hyphens, and not end with a "
                "hyphen"
            )
        return v

    @field_validator("existing_gateway_id")
    @classmethod
    def _existing(cls, v: str | None) -> str | None:
        if v is not None and not GATEWAY_ID.match(v):
            raise ValueError("must be a Microsoft.ApiManagement/gateways resource id")
        return v

    @model_validator(mode="after")
    def _new_or_existing(self) -> GatewaySpec:
        problems = []
        shared, mode = self.existing_gateway_id, self.network.mode
        if shared and self.name:
            problems.append(
                ("existingGatewayId", "give either name (a new gateway) or existingGatewayId")
            )
        if not shared and not self.name:
            problems.append(("name", "required unless existingGatewayId names a shared gateway"))
        if shared and self.network.subnet_id:
            problems.append(
                ("network.subnetId", "a shared gateway keeps its own network; omit subnetId")
            )
        if not shared and mode != "none" and not self.network.subnet_id:
            problems.append(("network.subnetId", f"required when network.mode is '{mode}'"))
        _check(problems)
        return self


class DnsSpec(WireModel):
    resource_group_id: str

    @field_validator("resource_group_id")
    @classmethod
    def _group(cls, v: str) -> str:
        if not GROUP_ID.match(v):
            raise ValueError(
                "must be a resource group id: /subscriptions/<sub>/resourceGroups/<rg>"
            )
        return v


class AccessGrant(WireModel):
    principal_id: str
    principal_type: Literal["User", "Group", "ServicePrincipal"]
    scope: Literal["service", "workspace", "gateway"]
    role: str

    @field_validator("principal_id")
    @classmethod
    def _guid(cls, v: str) -> str:
        try:
            return str(uuid.UUID(v))
        except ValueError:
            raise ValueError("must be an Entra object id (a GUID)") from None

    @model_validator(mode="after")
    def _role_fits_scope(self) -> AccessGrant:
        allowed = ROLES_BY_SCOPE[self.scope]
        if self.role not in allowed:
            _check([("role", f"at {self.scope} scope must be one of: {', '.join(allowed)}")])
        return self


class NotifySpec(WireModel):
    reply_to: str | None = Field(default=None, max_length=260)
    emails: list[str] = Field(default_factory=list, max_length=20)


class OnboardingRequest(WireModel):
    ticket_id: str
    team: str = Field(min_length=1, max_length=100)
    requested_by: str = Field(min_length=1, max_length=256)
    apim_service_id: str
    workspace: WorkspaceSpec
    gateway: GatewaySpec
    dns: DnsSpec | None = None
    access: list[AccessGrant] = Field(default_factory=list, max_length=50)
    notify: NotifySpec | None = None

    @field_validator("ticket_id")
    @classmethod
    def _ticket(cls, v: str) -> str:
        if not TICKET_ID.match(v):
            raise ValueError("must be 1-64 letters, digits, '.', '_' or '-', starting alphanumeric")
        return v

    @field_validator("apim_service_id")
    @classmethod
    def _service(cls, v: str) -> str:
        if not SERVICE_ID.match(v):
            raise ValueError("must be a Microsoft.ApiManagement/service resource id")
        return v

    @model_validator(mode="after")
    def _cross_fields(self) -> OnboardingRequest:
        injection = (
            self.gateway.network.mode == "injection" and not self.gateway.existing_gateway_id
        )
        problems = []
        if injection and self.dns is None:
            problems.append(("dns", "required for injection mode (dns.resourceGroupId)"))
        if not injection and self.dns is not None:
            problems.append(("dns", "applies to injection mode with a new gateway only; remove it"))
        seen = set()
        for i, grant in enumerate(self.access):
            k = (grant.principal_id, grant.scope, grant.role)
            if k in seen:
                problems.append(
                    (f"access[{i}]", f"repeats {grant.role} at {grant.scope} for this principal")
                )
            seen.add(k)
        _check(problems)
        return self

    @property
    def instance_id(self) -> str:
        return instance_id_for(self.ticket_id)


def instance_id_for(ticket_id: str) -> str:
    """One run per ticket, one ticket per run: the orchestration id of a ticket (DESIGN.md §2).

    A ticket in the usual form (upper-case letters, digits, hyphens: ``CHG0012345``,
    ``CHG-7001``) becomes ``onboard-`` + the ticket lower-cased, the id such tickets have always
    had. Any other ticket (lower case, ``.`` or ``_``, or ending like a retry's ``-R<n>``) gets the
    same readable form plus ``_`` and a hash of the exact ticket, so ``chg_7001`` and
    ``CHG.7001`` never land on ``CHG-7001``'s run (``onboard-chg-7001_<8 hex>``). The plain form
    holds only ``[a-z0-9-]`` and never ends in ``-r<n>`` (operator retries append that), so it
    cannot meet a hashed id or a retry; two hashed ids meet only if their tickets normalise alike
    and share 32 bits of SHA-256. Ids hold no ``/ \\ # ?`` and are at most 81 characters.
    """
    readable = "onboard-" + re.sub(r"[^a-z0-9-]", "-", ticket_id.lower())
    if _PLAIN_TICKET.match(ticket_id):
        return readable
    digest = hashlib.sha256(ticket_id.encode("utf-8")).hexdigest()[:_TICKET_HASH_CHARS]
    return f"{readable}_{digest}"


# Tickets whose lower-cased form is their whole identity; not one that looks like a retry id.
_PLAIN_TICKET = re.compile(r"^(?![A-Z0-9-]*-R[0-9]+$)[A-Z0-9][A-Z0-9-]*$")
_TICKET_HASH_CHARS = 8


class FieldError(WireModel):
    field: str
    message: str


class RequestInvalid(ValueError):
    """The request cannot be accepted; ``errors`` names every bad field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


_CLOUDEVENT_REQUIRED = ("specversion", "id", "source", "type")


def parse_request(payload: Any) -> OnboardingRequest:
    """Validate a bare request or a CloudEvents 1.0 envelope around one; raise RequestInvalid."""
    if not isinstance(payload, dict):
        raise RequestInvalid([FieldError(field="$", message="the request must be a JSON object")])
    if "specversion" in payload:
        missing = [k for k in _CLOUDEVENT_REQUIRED if not payload.get(k)]
        errors = [
            FieldError(field=k, message="required in a CloudEvents envelope") for k in missing
        ]
        if payload.get("specversion") not in (None, "1.0"):
            errors.append(
                FieldError(field="specversion", message="only CloudEvents 1.0 is accepted")
            )
        if not isinstance(payload.get("data"), dict):
            errors.append(
                FieldError(field="data", message="must hold the onboarding request object")
            )
        if errors:
            raise RequestInvalid(errors)
        payload = payload["data"]
    try:
        return OnboardingRequest.model_validate(payload)
    except ValidationError as exc:
        raise RequestInvalid([f for e in exc.errors() for f in _field_errors(e)]) from None


def _join(base: str, rest: str) -> str:
    if not base:
        return rest
    return base + rest if rest.startswith("[") else f"{base}.{rest}"


def _field_errors(err: Any) -> list[FieldError]:
    loc = [str(p) for p in err.get("loc", ())]
    path = ".".join(p if not p.isdigit() else f"[{p}]" for p in loc).replace(".[", "[")
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, FieldRules):
        return [FieldError(field=_join(path, sub), message=m) for sub, m in cause.problems]
    message = str(err.get("msg", "invalid"))
    message = message.removeprefix("Value error, ")
    if err.get("type") == "extra_forbidden":
        message = "unknown field"
    return [FieldError(field=path or "$", message=message)]


def json_schema() -> dict[str, Any]:
    schema = OnboardingRequest.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Onboarding request"
    return schema
