"""The simulator's one catalogue of ARM errors.

Every error the simulator answers is built here, with the HTTP status, ``error.code`` and
message wording of real ARM where a public source shows it (see
``shared/reference/arm-behaviour.md`` beside the project and simulator/README.md). Backends
raise :class:`ArmError`; the HTTP layer turns it into the ARM error envelope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ArmError(Exception):
    """An ARM error response: ``{"error": {"code", "message", "target"?, "details"?}}``."""

    status: int
    code: str
    message: str
    target: str | None = None
    details: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target:
            error["target"] = self.target
        if self.details:
            error["details"] = self.details
        return {"error": error}


# --- generic ARM -------------------------------------------------------------------------


def missing_api_version() -> ArmError:
    return ArmError(
        400,
        "MissingApiVersionParameter",
        "The api-version query parameter (?api-version=) is required for all requests.",
    )


def invalid_api_version(version: str) -> ArmError:
    return ArmError(
        400,
        "InvalidApiVersionParameter",
        f"The api-version '{version}' is invalid. The supported versions are dates such as "
        "'2024-05-01' or '2024-06-01-preview'.",
    )


def no_registered_provider(
    location: str, version: str, type_path: str, supported: list[str]
) -> ArmError:
    # ARM's answer for an api-version a type does not serve (simulator/api_versions.py).
    return ArmError(
        400,
        "NoRegisteredProviderFound",
        f"No registered resource provider found for location '{location}' and API version "
        f"'{version}' for type '{type_path}'. The supported api-versions are "
        f"'{', '.join(supported)}'. The supported locations are '{location}'.",
    )


def parent_resource_not_found(parent: str) -> ArmError:
    # ARM's answer (404) for a nested resource under a missing parent, e.g. an A record PUT in
    # a private DNS zone that does not exist (hashicorp/terraform-provider-azurerm#21399, #7964).
    return ArmError(
        404,
        "ParentResourceNotFound",
        f"Can not perform requested operation on nested resource. Parent resource '{parent}' "
        "not found.",
    )


def invalid_json(detail: str) -> ArmError:
    return ArmError(400, "InvalidRequestContent", f"The request content was invalid: {detail}")


def not_implemented(method: str, path: str) -> ArmError:
    """A call the simulator does not implement: loud, never a silent success.

    501 is not in azure-core's retry list, so the SDK surfaces it at once.
    """
    return ArmError(
        501,
        "NotImplementedInSimulator",
        f"The local simulator does not implement {method} {path}. "
        "See simulator/README.md for the supported operations.",
    )


def subscription_not_found(sub: str) -> ArmError:
    return ArmError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")


def resource_group_not_found(rg: str) -> ArmError:
    return ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")


def resource_not_found(resource_type: str, name: str, rg: str | None) -> ArmError:
    # Wording and the x-ms-failure-cause header from a recorded ARM 404 (REC-privatedns).
    where = f" under resource group '{rg}'" if rg else ""
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource '{resource_type}/{name}'{where} was not found. For more details please "
        "go to https://aka.ms/ARMResourceNotFoundFix",
        headers={"x-ms-failure-cause": "gateway"},
    )


def precondition_failed(message: str) -> ArmError:
    return ArmError(412, "PreconditionFailed", message)


def etag_mismatch(given: str, current: str, resource_id: str) -> ArmError:
    """NRP's answer to a write whose ``If-Match`` names a stale ETag (412).

    Real bodies (NRP route table and public IP PUTs): kubernetes-sigs/cluster-api-provider-azure
    #682 and kubernetes-sigs/cloud-provider-azure#9729 quote
    ``{"error": {"code": "PreconditionFailed", "message": "Precondition failed.", "details":
    [{"code": "PreconditionFailedEtagMismatch", "message": "Etag provided in if-match header
    W/\"<a>\" does not match etag W/\"<b>\" of resource <id>..."}]}}``; both quotes cut the
    detail after the resource id, so the simulator ends it there.
    """
    return ArmError(
        412,
        "PreconditionFailed",
        "Precondition failed.",
        details=[
            {
                "code": "PreconditionFailedEtagMismatch",
                "message": f"Etag provided in if-match header {given} does not match etag "
                f"{current} of resource {resource_id}.",
            }
        ],
    )


def missing_registration(sub: str, namespace: str) -> ArmError:
    return ArmError(
        409,
        "MissingSubscriptionRegistration",
        f"The subscription is not registered to use namespace '{namespace}'. "
        "See https://aka.ms/rps-not-found for how to register subscriptions.",
        details=[
            {
                "code": "MissingSubscriptionRegistration",
                "target": namespace,
                "message": f"The subscription is not registered to use namespace '{namespace}'. "
                "See https://aka.ms/rps-not-found for how to register subscriptions.",
            }
        ],
    )


def provider_not_found(namespace: str) -> ArmError:
    return ArmError(
        404,
        "InvalidResourceNamespace",
        f"The resource namespace '{namespace}' is invalid.",
    )


def throttled(sub: str, kind: str, retry_after: int) -> ArmError:
    return ArmError(
        429,
        "SubscriptionRequestsThrottled",
        f"Number of '{kind}' requests for subscription '{sub}' actor "
        "'00000000-0000-0000-0000-000000000000' exceeded. Please try again after "
        f"'{retry_after}' seconds after additional tokens are available. Refer to "
        "https://aka.ms/arm-throttling for additional information.",
        headers={"Retry-After": str(retry_after)},
    )


def bad_request(code: str, message: str, target: str | None = None) -> ArmError:
    return ArmError(400, code, message, target=target)


# --- Microsoft.Network --------------------------------------------------------------------


def invalid_reference(ref: str, referrer: str) -> ArmError:
    return ArmError(
        400,
        "InvalidResourceReference",
        f"Resource {ref} referenced by resource {referrer} was not found. Please make sure "
        "that the referenced resource exists, and that both resources are in the same region.",
    )


def subnet_outside_vnet(subnet: str, prefix: str, vnet: str) -> ArmError:
    return ArmError(
        400,
        "NetcfgSubnetRangeOutsideVnet",
        f"Subnet '{subnet}' is not valid because its IP address range is outside the IP "
        f"address range of virtual network '{vnet}'.",
    )


def subnet_overlap(subnet: str, other: str) -> ArmError:
    return ArmError(
        400,
        "NetcfgSubnetRangesOverlap",
        f"Subnet '{subnet}' is not valid because its IP address range overlaps with that of "
        f"an existing subnet '{other}' in the virtual network.",
    )


def invalid_prefix(prefix: str) -> ArmError:
    return ArmError(
        400,
        "InvalidAddressPrefixFormat",
        f"Address prefix {prefix} is not in the correct format.",
    )


def delegation_in_use(subnet_id: str, old: list[str], new: list[str], user: str) -> ArmError:
    # Message shape from MicrosoftDocs/azure-docs#39112; status 400 is inferred.
    return ArmError(
        400,
        "SubnetDelegationsCannotChangeWhenSubnetUsedByResource",
        f"Delegations of subnet {subnet_id} cannot be changed from [{', '.join(old)}] to "
        f"[{', '.join(new)}] because it is being used by the resource {user}.",
    )


def subnet_in_use_update(subnet_id: str, user: str) -> ArmError:
    return ArmError(
        400,
        "InUseSubnetCannotBeUpdated",
        f"Subnet {subnet_id} is in use by {user} and cannot be updated.",
    )


def subnet_in_use_delete(subnet_id: str, user: str) -> ArmError:
    return ArmError(
        400,
        "InUseSubnetCannotBeDeleted",
        f"Subnet {subnet_id} is in use by {user} and cannot be deleted. In order to delete "
        "the subnet, delete all the resources within the subnet.",
    )


def nsg_in_use(nsg_id: str, users: list[str]) -> ArmError:
    return ArmError(
        400,
        "InUseNetworkSecurityGroupCannotBeDeleted",
        f"Network security group {nsg_id} cannot be deleted because it is in use by the "
        f"following resources: {', '.join(users)}. In order to delete the Network security "
        "group, remove the association with the resource(s).",
    )


def invalid_security_rule(rule: str, problem: str) -> ArmError:
    return ArmError(
        400,
        "SecurityRuleInvalidParameter",
        f"Security rule {rule} has invalid parameters: {problem}",
    )


def invalid_cidr(prefix: str, expected: str) -> ArmError:
    return ArmError(
        400,
        "InvalidCIDRNotation",
        f"The address prefix {prefix} has an invalid CIDR notation. For the given prefix "
        f"length, the address prefix should be {expected}.",
    )


def security_rule_conflict(rule: str, other: str) -> ArmError:
    return ArmError(
        400,
        "SecurityRuleConflict",
        f"Security rule {rule} conflicts with rule {other}. Rules cannot have the same "
        "Priority and Direction.",
    )


def retryable_another_operation(op_id: str, resource_id: str) -> ArmError:
    # 429 RetryableError with a RetryableErrorDueToAnotherOperation detail
    # (cloudfoundry/bosh-azure-cpi-release#179; DOC request-limits-and-throttling).
    detail = (
        f"Operation PutSubnetOperation ({op_id}) is updating resource {resource_id}. "
        "The call can be retried in 1 seconds."
    )
    return ArmError(
        429,
        "RetryableError",
        "A retryable error occurred.",
        details=[{"code": "RetryableErrorDueToAnotherOperation", "message": detail}],
        headers={"Retry-After": "1"},
    )


def vnet_in_use(vnet_id: str, user: str) -> ArmError:
    return ArmError(
        400,
        "InUseSubnetCannotBeDeleted",
        f"Virtual network {vnet_id} has subnets in use by {user} and cannot be deleted.",
    )


# --- Microsoft.ApiManagement --------------------------------------------------------------


def apim_validation(message: str, target: str | None = None) -> ArmError:
    # APIM reports field problems as ValidationError with one detail per field.
    return ArmError(
        400,
        "ValidationError",
        "One or more fields contain incorrect values:",
        details=[{"code": "ValidationError", "target": target or "", "message": message}],
    )


_LETTERS_DIGITS_HYPHENS = (
    "start with a letter, contain only letters, numbers and hyphens, and end with a letter or a "
    "number"
)


def apim_invalid_name(
    parameter: str, name: str, max_length: int, rule: str = _LETTERS_DIGITS_HYPHENS
) -> ArmError:
    # The rule is the path parameter's (azure-rest-api-specs apimanagement/.../stable/2024-05-01
    # apimanagement.json, e.g. ConfigConnectionNameParameter: 1-30 characters,
    # ^[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$; the SDK's client-side check is off). The answer's
    # shape is APIM's for a bad entity identifier: 400 ValidationError, the parameter as target,
    # "Invalid identifier ... specified" (ISSUE stephaneey/azure-apim-extension#43, a real APIM
    # answer); for configConnections the exact wording is unverified.
    return apim_validation(
        f"Invalid identifier '{name}' specified. The name must be 1 to {max_length} characters, "
        f"{rule}.",
        target=parameter,
    )


def apim_tier_unsupported(tier: str) -> ArmError:
    return ArmError(
        400,
        "MethodNotAllowedInPricingTier",
        f"Method not allowed in {tier} pricing tier: workspaces need the Premium, Premium v2, "
        "Standard v2 or Basic v2 tier.",
    )


def missing_if_match() -> ArmError:
    return ArmError(
        400,
        "InvalidRequest",
        "The If-Match header is required for this operation. Send the entity's ETag or '*'.",
    )


def gateway_network_immutable(field_name: str) -> ArmError:
    return apim_validation(
        f"'{field_name}' can only be set when the workspace gateway is created; "
        "it cannot be changed afterwards.",
        target=field_name,
    )


def gateway_busy(gateway_id: str, state: str) -> ArmError:
    return ArmError(
        409,
        "Conflict",
        f"The gateway {gateway_id} is in provisioning state '{state}'; wait until the "
        "current operation ends.",
    )


def still_linked(kind: str, resource_id: str, links: list[str]) -> ArmError:
    # Switch workspaceDeleteWithLinks / gatewayDeleteWithLinks "conflict": whether APIM refuses
    # such a delete is undocumented; the status and code are the simulator's (APIM's 409s for a
    # resource in use are "Conflict", as gateway_busy).
    return ArmError(
        409,
        "Conflict",
        f"The {kind} {resource_id} is still linked by config connection(s) "
        f"{', '.join(links)}; delete them first.",
    )


# --- Private DNS --------------------------------------------------------------------------


def zone_exists(zone: str) -> dict[str, str]:
    """The async failure body of a create-only zone PUT on an existing zone (REC-privatedns)."""
    return {
        "code": "PreconditionFailed",
        "message": f"The Zone {zone} exists already and hence cannot be created again.",
    }


def zone_modified(zone: str) -> dict[str, str]:
    """Async failure of a zone write whose If-Match is stale.

    REC-privatedns test_PatchZone_ZoneExistsIfMatchFailure_ExpectError: 202, then the status
    poll answers 200 ``{"error": {...}, "status": "Failed"}`` with this message.
    """
    return {
        "code": "PreconditionFailed",
        "message": f"The Zone {zone} has been modified (etag mismatch).",
    }


def link_exists(link: str) -> dict[str, str]:
    # Async like the zone case; REC-privatedns test_PutLink_LinkExistsIfNoneMatchFailure
    # exists but its message was not read: wording inferred from the zone message.
    return {
        "code": "PreconditionFailed",
        "message": f"The Virtual Network Link {link} exists already and hence cannot be "
        "created again.",
    }


def link_modified(link: str) -> dict[str, str]:
    # Inferred from zone_modified (same RP, same front end).
    return {
        "code": "PreconditionFailed",
        "message": f"The Virtual Network Link {link} has been modified (etag mismatch).",
    }


def record_set_precondition(name: str, exists: bool) -> ArmError:
    """Synchronous 412 of a record-set write with a failing If-(None-)Match.

    REC-privatedns test_PutRecordSet_IfNoneMatchFailure_ExpectError: 412 with the body NOT
    wrapped in ``error`` (``{"code", "message"}``); the handler writes it unwrapped.
    """
    message = (
        f"The Record set {name} exists already and hence cannot be created again."
        if exists
        else f"The Record set {name} has been modified (etag mismatch)."
    )
    return ArmError(412, "PreconditionFailed", message)


def zone_has_links(zone: str, link_names: list[str]) -> ArmError:
    # Real ARM answer quoted in learntocloud/networking-lab#8 (terraform output):
    # 409 CannotDeleteResource, synchronous, naming the nested link ids.
    nested = ", ".join(
        f"'Microsoft.Network/privateDnsZones/{zone}/virtualNetworkLinks/{n}'" for n in link_names
    )
    return ArmError(
        409,
        "CannotDeleteResource",
        "Cannot delete resource while nested resources exist. Some existing nested resource "
        f"IDs include: {nested}. Please delete all nested resources before deleting this "
        "resource.",
    )


def vnet_not_found_for_link(vnet_id: str) -> ArmError:
    # Azure/azure-cli#23351 quotes "(BadRequest) Virtual network resource not found for '<id>'".
    return ArmError(400, "BadRequest", f"Virtual network resource not found for '{vnet_id}'")


def vnet_already_linked(vnet_id: str, zone: str, link: str) -> ArmError:
    # DOC dns/private-dns-virtual-network-links.md: "You can create only one link between a
    # private DNS zone and a virtual network." Code and wording (unverified).
    return ArmError(
        409,
        "Conflict",
        f"Virtual network '{vnet_id}' is already linked to the private DNS zone {zone} by "
        f"virtual network link '{link}'. Only one link per zone and virtual network is allowed.",
    )


def invalid_dns_request(message: str) -> ArmError:
    # Private DNS reports request problems as 400 BadRequest (Azure/azure-cli#23351,
    # Azure/azure-rest-api-specs#31176); the individual messages here are the simulator's.
    return ArmError(400, "BadRequest", message)


# --- Microsoft.Authorization --------------------------------------------------------------


def role_assignment_exists(existing_name: str) -> ArmError:
    # Since 2025 ARM appends the existing assignment's id without hyphens (azure-cli#31995).
    return ArmError(
        409,
        "RoleAssignmentExists",
        "The role assignment already exists. The ID of the existing role assignment is "
        f"{existing_name.replace('-', '')}.",
    )


def role_assignment_update_not_permitted() -> ArmError:
    return ArmError(
        400,
        "RoleAssignmentUpdateNotPermitted",
        "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
    )


def principal_not_found(principal_id: str, tenant: str) -> ArmError:
    return ArmError(
        400,
        "PrincipalNotFound",
        f"Principal {principal_id.replace('-', '')} does not exist in the directory {tenant}. "
        "Check that you have the correct principal ID. If you are creating this principal "
        "and then immediately assigning a role, this error might be related to a replication "
        "delay. In this case, set the role assignment principalType property to a value, "
        "such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
    )


def unmatched_principal_type(principal_id: str, actual: str, given: str) -> ArmError:
    return ArmError(
        400,
        "UnmatchedPrincipalType",
        f"The PrincipalId '{principal_id.replace('-', '')}' has type '{actual}' , which is "
        f"different from specified PrincipalType '{given}'.",
    )


def role_definition_missing(role_id: str, status: int = 400) -> ArmError:
    # 400 on an assignment PUT; 404 on a role-definition GET (inferred).
    return ArmError(
        status,
        "RoleDefinitionDoesNotExist",
        f"The specified role definition with ID '{role_id}' does not exist.",
    )


def invalid_role_definition_id(value: str) -> ArmError:
    # Code seen in Bicep/ARM deployment errors; wording (inferred).
    return ArmError(
        400, "InvalidRoleDefinitionId", f"The role definition ID '{value}' is not valid."
    )


def invalid_role_assignment_id(name: str) -> ArmError:
    # Azure/azure-service-operator#2586 (PUT and DELETE), Azure/azure-sdk-for-python#4621.
    return ArmError(
        400,
        "InvalidRoleAssignmentId",
        f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.",
    )


def invalid_principal_id(value: str) -> ArmError:
    # Azure/azure-powershell#16627 quotes this code and message.
    return ArmError(
        400,
        "InvalidPrincipalId",
        f"The Principal ID '{value}' is not valid. Principal ID must be a GUID.",
    )


def role_assignment_not_found(name: str) -> ArmError:
    # Code named in hashicorp/terraform-provider-azurerm#9379; wording (inferred).
    return ArmError(404, "RoleAssignmentNotFound", f"The role assignment '{name}' is not found.")


def unsupported_filter(what: str, value: str, supported: str) -> ArmError:
    """A $filter the simulator does not evaluate: loud (501), never a silently wrong list."""
    return ArmError(
        501,
        "NotImplementedInSimulator",
        f"The local simulator does not evaluate the {what} $filter '{value}'. "
        f"Supported: {supported}.",
    )


def invalid_scope(scope: str) -> ArmError:
    return ArmError(400, "InvalidScope", f"The scope '{scope}' is not valid.")


def authorization_failed(
    action: str,
    scope: str,
    *,
    client_id: str = "00000000-0000-0000-0000-000000000000",
    object_id: str = "00000000-0000-0000-0000-000000000000",
) -> ArmError:
    # Wording: Azure/ARO-RP#66 and every later report (arm-behaviour.md §2); the client is the
    # token's appid, the object id its oid.
    return ArmError(
        403,
        "AuthorizationFailed",
        f"The client '{client_id}' with object id '{object_id}' does not have authorization to "
        f"perform action '{action}' over scope '{scope}' or the scope is invalid. If access was "
        "recently granted, please refresh your credentials.",
    )


def linked_authorization_failed(
    client_id: str, object_id: str, action: str, scope: str, linked_action: str, linked_scope: str
) -> ArmError:
    # Current wording ("action(s)", "(respectively)"), as quoted from 2024-2025 responses, e.g.
    # Azure/mpf (subnets/join/action for an AKS write) and ServiceNetworking WAF-policy reports;
    # older responses say "action '<a>' on the linked scope(s) '<s>'" (arm-behaviour.md §2).
    return ArmError(
        403,
        "LinkedAuthorizationFailed",
        f"The client '{client_id}' with object id '{object_id}' has permission to perform action "
        f"'{action}' on scope '{scope}'; however, it does not have permission to perform "
        f"action(s) '{linked_action}' on the linked scope(s) '{linked_scope}' (respectively) or "
        "the linked scope(s) are invalid.",
    )


# --- Table Storage (data plane) -----------------------------------------------------------
# Codes, statuses and user messages from learn.microsoft.com "Table Storage error codes" and
# "Common REST API error codes"; the tables pipeline writes them in the Tables JSON shape
# {"odata.error": {"code", "message": {"lang", "value"}}} with an x-ms-error-code header.


def table_auth_failed(detail: str) -> ArmError:
    return ArmError(
        403,
        "AuthenticationFailed",
        "Server failed to authenticate the request. Make sure the value of Authorization "
        f"header is formed correctly including the signature. {detail}",
    )


def table_invalid_input(detail: str) -> ArmError:
    return ArmError(400, "InvalidInput", f"One of the request inputs is not valid. {detail}")


def table_invalid_name(name: str) -> ArmError:
    # The SDK recognises this exact wording (including the service's "specifed" spelling
    # elsewhere) to turn it into a ValueError naming the table rules.
    return ArmError(
        400,
        "InvalidResourceName",
        f"The specified resource name contains invalid characters: '{name}'.",
    )


def table_already_exists() -> ArmError:
    return ArmError(409, "TableAlreadyExists", "The table specified already exists.")


def table_not_found() -> ArmError:
    return ArmError(404, "TableNotFound", "The table specified does not exist.")


def table_resource_not_found() -> ArmError:
    return ArmError(404, "ResourceNotFound", "The specified resource does not exist.")


def entity_already_exists() -> ArmError:
    return ArmError(409, "EntityAlreadyExists", "The specified entity already exists.")


def update_condition_not_satisfied() -> ArmError:
    return ArmError(
        412,
        "UpdateConditionNotSatisfied",
        "The update condition specified in the request was not satisfied.",
    )


def entity_too_large(size: int) -> ArmError:
    return ArmError(
        400,
        "EntityTooLarge",
        f"The entity is larger than the maximum size permitted ({size} bytes > 1 MiB).",
    )


def property_value_too_large(name: str) -> ArmError:
    return ArmError(
        400,
        "PropertyValueTooLarge",
        f"The property value is larger than the maximum size permitted (64 KiB): '{name}'.",
    )


def too_many_properties(count: int) -> ArmError:
    return ArmError(
        400,
        "TooManyProperties",
        f"The entity contains more properties than allowed ({count} > 252 custom properties).",
    )


def property_name_invalid(name: str) -> ArmError:
    return ArmError(400, "PropertyNameInvalid", f"The property name is invalid: '{name}'.")


def property_name_too_long(name: str) -> ArmError:
    return ArmError(
        400,
        "PropertyNameTooLong",
        f"The property name exceeds the maximum allowed length (255): '{name[:40]}...'.",
    )


def key_value_too_large(which: str) -> ArmError:
    # Keys are properties too; the catalogue has no key-specific size code.
    return ArmError(
        400,
        "PropertyValueTooLarge",
        f"The property value is larger than the maximum size permitted ({which}: 1 KiB).",
    )


def invalid_value_type(name: str, detail: str) -> ArmError:
    return ArmError(
        400, "InvalidValueType", f"The value specified is invalid. Property '{name}': {detail}"
    )


def properties_need_value(which: str) -> ArmError:
    return ArmError(
        400,
        "PropertiesNeedValue",
        f"The values are not specified for all properties in the entity ({which}).",
    )


def table_batch_not_implemented() -> ArmError:
    return ArmError(
        501,
        "NotImplementedInSimulator",
        "The local simulator does not implement entity group transactions ($batch). Send "
        "the operations one at a time; see simulator/README.md, section 'Table Storage'.",
    )


def table_not_implemented(method: str, path: str) -> ArmError:
    return ArmError(
        501,
        "NotImplementedInSimulator",
        f"The local simulator does not implement the Table Storage call {method} {path}. "
        "See simulator/README.md, section 'Table Storage'.",
    )
