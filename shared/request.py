"""The onboarding request contract: camelCase JSON, validated strictly, every bad field named.

A request may come bare or as the ``data`` of a CloudEvents 1.0 envelope. Name rules are the
ones azure-mgmt-apimanagement checks client-side (arm-behaviour.md §1); role names per scope
are the built-ins of §3.9. docs/request-contract.md documents it and docs/request.schema.json
is generated from these models (:func:`json_schema`).

Strict on purpose (issue 19): every pattern matches the whole value (fullmatch: ``$`` would let
a trailing newline through); :func:`parse_request` validates with strict JSON types (``capacity:
true`` or ``"2"`` is not a number); no name or id that reaches an ARM URL, a header or a tag
carries a control or invisible formatting character, and text carries none but the line breaks
a description may have (:func:`char_problem`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from shared.wire_model import WireModel

# \A and \Z anchor the whole string, so .match and .fullmatch agree (``$`` also matches before a
# final newline). Names and ids must also pass char_problem (no control characters).
GATEWAY_NAME = re.compile(r"\A[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\Z")
# The SDK's rule, plus / \ % which would change (or re-encode into) the workspace's ARM URL.
WORKSPACE_NAME = re.compile(r"\A[^*#&+:<>?/\\%]+\Z")
TICKET_ID = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
# An ARM id segment: no separator, no whitespace, nothing a URL gives a meaning to (? # %) and
# no backslash; no ARM name has any of them.
_ARM_SEGMENT = r"[^/\\?#%\s]+"
SERVICE_ID = re.compile(
    rf"\A/subscriptions/{_ARM_SEGMENT}/resourceGroups/{_ARM_SEGMENT}"
    rf"/providers/Microsoft\.ApiManagement/service/{_ARM_SEGMENT}\Z",
    re.IGNORECASE,
)
SUBNET_ID = re.compile(
    rf"\A/subscriptions/{_ARM_SEGMENT}/resourceGroups/{_ARM_SEGMENT}/providers/Microsoft\.Network"
    rf"/virtualNetworks/{_ARM_SEGMENT}/subnets/{_ARM_SEGMENT}\Z",
    re.IGNORECASE,
)
GATEWAY_ID = re.compile(
    rf"\A/subscriptions/{_ARM_SEGMENT}/resourceGroups/{_ARM_SEGMENT}"
    rf"/providers/Microsoft\.ApiManagement/gateways/{_ARM_SEGMENT}\Z",
    re.IGNORECASE,
)
GROUP_ID = re.compile(rf"\A/subscriptions/{_ARM_SEGMENT}/resourceGroups/{_ARM_SEGMENT}\Z", re.I)

# Bidirectional embedding/override/isolate marks: they make text read differently from what it
# holds (CVE-2021-42574, "Trojan Source"), so no text carries them either.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS = frozenset("\t\n\r")


def char_problem(value: str, *, name: bool = True, line_breaks: bool = False) -> str | None:
    """Why ``value`` cannot be used, or None: the first character it must not hold.

    Never: control characters (Unicode Cc: C0, DEL, C1), lone surrogates (Cs), line and
    paragraph separators (Zl, Zp), bidirectional marks. A ``name`` (anything that reaches an ARM
    URL, a header or a tag) also holds no other invisible formatting character (Cf) or private
    use character (Co); ``line_breaks`` lets free text keep tab, LF and CR. The message names the
    character by code point and never repeats it.
    """
    for offset, char in enumerate(value):
        if line_breaks and char in _LINE_BREAKS:
            continue
        category = unicodedata.category(char)
        if (
            category in ("Cc", "Cs", "Zl", "Zp")
            or char in _BIDI
            or (name and category in ("Cf", "Co"))
        ):
            kind = "control or invisible formatting" if name else "control"
            return f"must not contain {kind} characters (U+{ord(char):04X} at offset {offset})"
    return None


def fullmatch_or_explain(v: str, pattern: re.Pattern[str], explanation: str) -> str:
    """A name-like field: the common name rules, then the field's own whole-string pattern."""
    _name_rules(v)
    if not pattern.fullmatch(v):
        raise ValueError(explanation)
    return v


def _name_rules(value: str | None) -> str | None:
    if value is not None and (problem := char_problem(value)):
        raise ValueError(problem)
    return value


def _text_rules(value: str | None, *, line_breaks: bool = False, blank: bool = True) -> str | None:
    if value is None:
        return None
    if problem := char_problem(value, name=False, line_breaks=line_breaks):
        raise ValueError(problem)
    if not blank and not value.strip():
        raise ValueError("must not be blank")
    return value


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
        _name_rules(v)
        if not WORKSPACE_NAME.fullmatch(v):
            raise ValueError("must not contain any of * # & + : < > ? / \\ %")
        return v

    @field_validator("display_name")
    @classmethod
    def _display_name(cls, v: str) -> str:
        return str(_text_rules(v, blank=False))

    @field_validator("description")
    @classmethod
    def _description(cls, v: str) -> str:
        return str(_text_rules(v, line_breaks=True))


class NetworkSpec(WireModel):
    mode: NetworkModeName
    subnet_id: str | None = None

    @field_validator("subnet_id")
    @classmethod
    def _subnet_chars(cls, v: str | None) -> str | None:
        return _name_rules(v)

    @model_validator(mode="after")
    def _subnet(self) -> NetworkSpec:
        problems = []
        if self.mode == "none" and self.subnet_id:
            problems.append(("subnetId", "must be absent when mode is 'none'"))
        elif self.subnet_id and not SUBNET_ID.fullmatch(self.subnet_id):
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
        _name_rules(v)
        if v is not None and not GATEWAY_NAME.fullmatch(v):
            raise ValueError(
                "must start with a letter, hold letters, digits and hyphens, and not end with a "
                "hyphen"
            )
        return v

    @field_validator("existing_gateway_id")
    @classmethod
    def _existing(cls, v: str | None) -> str | None:
        _name_rules(v)
        if v is not None and not GATEWAY_ID.fullmatch(v):
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
        _name_rules(v)
        if not GROUP_ID.fullmatch(v):
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

    @field_validator("reply_to")
    @classmethod
    def _reply_to(cls, v: str | None) -> str | None:
        return _text_rules(v)

    @field_validator("emails")
    @classmethod
    def _emails(cls, v: list[str]) -> list[str]:
        for address in v:
            _text_rules(address)
        return v


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
        return fullmatch_or_explain(
            v, TICKET_ID, "must be 1-64 letters, digits, '.', '_' or '-', starting alphanumeric"
        )

    @field_validator("apim_service_id")
    @classmethod
    def _service(cls, v: str) -> str:
        return fullmatch_or_explain(
            v, SERVICE_ID, "must be a Microsoft.ApiManagement/service resource id"
        )

    @field_validator("team", "requested_by")
    @classmethod
    def _texts(cls, v: str) -> str:
        # team goes into tags and events; requestedBy into the run's record.
        return str(_text_rules(v, blank=False))

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
    if _PLAIN_TICKET.fullmatch(ticket_id):
        return readable
    digest = hashlib.sha256(ticket_id.encode("utf-8")).hexdigest()[:_TICKET_HASH_CHARS]
    return f"{readable}_{digest}"


# Tickets whose lower-cased form is their whole identity; not one that looks like a retry id.
_PLAIN_TICKET = re.compile(r"\A(?![A-Z0-9-]*-R[0-9]+\Z)[A-Z0-9][A-Z0-9-]*\Z")
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
    payload = unwrap_envelope(payload)
    try:
        # strict: JSON types as they are (no true -> 1, "2" -> 2, 2.0 -> 2). A saga input read
        # back later (orchestrator, retry) was dumped from a valid request and validates laxly.
        return OnboardingRequest.model_validate(payload, strict=True)
    except ValidationError as exc:
        raise RequestInvalid([f for e in exc.errors() for f in _field_errors(e)]) from None


def unwrap_envelope(payload: Any) -> dict[str, Any]:
    """The request object: ``payload`` itself, or the ``data`` of its CloudEvents 1.0 envelope
    (envelope problems raise RequestInvalid, named by attribute). ``kind: onboard`` (the
    default kind, shared/team_requests.py) is dropped: the onboarding model has no kind."""
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
    if payload.get("kind") == "onboard":
        payload = {k: v for k, v in payload.items() if k != "kind"}
    return dict(payload)


def _join(base: str, rest: str) -> str:
    if not base:
        return rest
    return base + rest if rest.startswith("[") else f"{base}.{rest}"


def _field_errors(err: Any) -> list[FieldError]:
    # A location can be a key the sender made up: never hand its control characters back.
    loc = [str(p) if char_problem(str(p), name=False) is None else ascii(str(p))[1:-1]
           for p in err.get("loc", ())]  # fmt: skip
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
    """The contract's JSON schema: one of the kinds (issue 15), told apart by ``kind``; an
    onboarding may leave it out."""
    from shared.team_requests import schemas  # the other kinds build on this module

    onboard = OnboardingRequest.model_json_schema(by_alias=True)
    onboard["properties"] = {"kind": {"const": "onboard", "default": "onboard",
                                      "title": "Kind"}, **onboard["properties"]}  # fmt: skip
    kinds = [onboard, *schemas()]
    defs: dict[str, Any] = {}
    for kind in kinds:
        defs.update(kind.pop("$defs", {}))
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Onboarding request",
        "description": "An onboarding (kind onboard, the default), a change of a team's access "
        "(changeAccess) or an offboarding (offboard); docs/request-contract.md",
        "oneOf": kinds,
        "$defs": defs,
    }
    return schema
