"""Deployment policy on top of the request contract: which targets, roles and sizes are allowed.

The request contract (shared/request.py) says what a well-formed request is; these guardrails
say what *this deployment* agrees to do. They come from the POLICY_* app settings
(``triggers.settings.guardrails``) and are checked at intake, before any run starts, so a
request outside policy is refused with a 403 naming each rule instead of failing half-way
through a saga on an ARM ``AuthorizationFailed``. Pure: no I/O, no environment access.

Defaults (a setting that is absent): APIM services, subnets and DNS resource groups are
unrestricted (a local demo has nothing to configure; a production deployment must set them,
docs/security.md); roles at service and workspace scope are all the contract allows, at gateway
scope only Reader (a gateway-scope grant lands on a resource group, docs/deploy.md §5); gateway
units up to the contract's maximum; workspace names lower-case letters, digits and hyphens.
A shared gateway (``existingGatewayId``) must sit beside the request's APIM service (same
subscription and resource group) or be listed in ``allowed_shared_gateways``: its id becomes
the scope of gateway-scope grants, so it is never taken from an arbitrary resource group.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from shared.arm_ids import APIM_SERVICE, ArmId
from shared.request import ROLES_BY_SCOPE, AccessGrant, OnboardingRequest
from shared.wire_model import WireModel

MAX_GATEWAY_UNITS = 10  # the contract's bound on gateway.capacity
DEFAULT_GATEWAY_ROLES: tuple[str, ...] = ("Reader",)
DEFAULT_WORKSPACE_NAME_PATTERN = r"[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?"


class Violation(WireModel):
    """One policy rule a request breaks: the rule, the request field to change, and why."""

    rule: str
    field: str
    message: str


def _id_key(resource_id: str) -> str:
    # ARM resource ids are case-insensitive and tolerate a trailing slash.
    return resource_id.strip().rstrip("/").casefold()


class Guardrails(WireModel):
    """The policy. ``None`` for a list of ids means unrestricted; an empty list allows nothing."""

    allowed_apim_services: tuple[str, ...] | None = None
    allowed_subnets: tuple[str, ...] | None = None
    allowed_dns_resource_groups: tuple[str, ...] | None = None
    # Shared gateways a request may join besides those beside its APIM service (same
    # subscription and resource group, the APIM deployment): None or empty adds none.
    allowed_shared_gateways: tuple[str, ...] | None = None
    allowed_roles_service: tuple[str, ...] = ROLES_BY_SCOPE["service"]
    allowed_roles_workspace: tuple[str, ...] = ROLES_BY_SCOPE["workspace"]
    allowed_roles_gateway: tuple[str, ...] = DEFAULT_GATEWAY_ROLES
    max_gateway_units: int = Field(default=MAX_GATEWAY_UNITS, ge=1, le=MAX_GATEWAY_UNITS)
    workspace_name_pattern: str = DEFAULT_WORKSPACE_NAME_PATTERN

    @field_validator("workspace_name_pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression ({exc.msg})") from None
        return v

    def roles_at(self, scope: str) -> tuple[str, ...]:
        return {
            "service": self.allowed_roles_service,
            "workspace": self.allowed_roles_workspace,
            "gateway": self.allowed_roles_gateway,
        }[scope]

    def check(self, request: OnboardingRequest) -> list[Violation]:
        """Every rule the (contract-valid) request breaks, in request order; empty when allowed."""
        found: list[Violation] = []
        if not _allowed(request.apim_service_id, self.allowed_apim_services):
            found.append(
                Violation(
                    rule="allowedApimServices",
                    field="apimServiceId",
                    message="this APIM service is not one this deployment onboards to; "
                    + _choices("use one of", self.allowed_apim_services),
                )
            )
        if not re.fullmatch(self.workspace_name_pattern, request.workspace.name):
            found.append(
                Violation(
                    rule="naming.workspace",
                    field="workspace.name",
                    message=f"must match the naming rule {self.workspace_name_pattern!r}"
                    + (
                        " (lower-case letters, digits and hyphens, starting and ending with a "
                        "letter or digit, at most 80 characters)"
                        if self.workspace_name_pattern == DEFAULT_WORKSPACE_NAME_PATTERN
                        else ""
                    ),
                )
            )
        gateway = request.gateway
        new_gateway = gateway.existing_gateway_id is None
        if new_gateway and gateway.capacity > self.max_gateway_units:
            found.append(
                Violation(
                    rule="maxGatewayUnits",
                    field="gateway.capacity",
                    message=f"at most {self.max_gateway_units} gateway unit(s) per request; "
                    "ask the platform team for more after onboarding",
                )
            )
        shared = gateway.existing_gateway_id
        if shared is not None and not self._gateway_allowed(shared, request.apim_service_id):
            found.append(
                Violation(
                    rule="allowedSharedGateways",
                    field="gateway.existingGatewayId",
                    message="a shared gateway must be a gateway of the APIM deployment (the APIM "
                    "service's subscription and resource group)"
                    + (
                        "; " + _choices("or one of", self.allowed_shared_gateways)
                        if self.allowed_shared_gateways
                        else ""
                    ),
                )
            )
        subnet = gateway.network.subnet_id
        if subnet is not None and not _allowed(subnet, self.allowed_subnets):
            found.append(
                Violation(
                    rule="allowedSubnets",
                    field="gateway.network.subnetId",
                    message="this subnet is not set aside for APIM gateways; "
                    + _choices("use one of", self.allowed_subnets),
                )
            )
        if request.dns is not None and not _allowed(
            request.dns.resource_group_id, self.allowed_dns_resource_groups
        ):
            found.append(
                Violation(
                    rule="allowedDnsResourceGroups",
                    field="dns.resourceGroupId",
                    message="private DNS zones may not be created in this resource group; "
                    + _choices("use one of", self.allowed_dns_resource_groups),
                )
            )
        found.extend(self.check_grants(request.access, "access"))
        return found

    def check_grants(self, grants: list[AccessGrant], field: str) -> list[Violation]:
        """The role-per-scope rule for ``grants`` (a request's ``field``): onboarding's
        ``access`` and a change of access's ``add`` (issue 15) share it."""
        found: list[Violation] = []
        for i, grant in enumerate(grants):
            allowed = self.roles_at(grant.scope)
            if grant.role not in allowed:
                found.append(
                    Violation(
                        rule=f"allowedRoles.{grant.scope}",
                        field=f"{field}[{i}].role",
                        message=f"{grant.role!r} may not be granted at {grant.scope} scope here; "
                        + _choices("allowed", allowed),
                    )
                )
        return found

    def check_target(self, apim_service_id: str) -> list[Violation]:
        """The APIM service rule alone (a change of access or an offboarding names only it)."""
        if _allowed(apim_service_id, self.allowed_apim_services):
            return []
        return [Violation(rule="allowedApimServices", field="apimServiceId",
                          message="this APIM service is not one this deployment onboards to; "
                          + _choices("use one of", self.allowed_apim_services))]  # fmt: skip

    def _gateway_allowed(self, gateway_id: str, service_id: str) -> bool:
        """Beside the APIM service (its subscription and resource group), or allow-listed.

        Grants at gateway scope land on this id: it must come from the APIM deployment, never
        from an arbitrary resource group a requester names (its existence and room are
        preflight's checks, before any write).
        """
        if self.allowed_shared_gateways and _allowed(gateway_id, self.allowed_shared_gateways):
            return True
        try:
            gateway = ArmId.parse(gateway_id, "Microsoft.ApiManagement/gateways")
            service = ArmId.parse(service_id, APIM_SERVICE)
        except ValueError:
            return False
        return (gateway.subscription.casefold(), (gateway.group or "").casefold()) == (
            service.subscription.casefold(),
            (service.group or "").casefold(),
        )


def _allowed(resource_id: str, allowed: tuple[str, ...] | None) -> bool:
    if allowed is None:
        return True
    key = _id_key(resource_id)
    return any(_id_key(a) == key for a in allowed)


def _choices(lead: str, values: tuple[str, ...] | None) -> str:
    if not values:
        return "none is allowed by this deployment's policy"
    return f"{lead}: {', '.join(values)}"
