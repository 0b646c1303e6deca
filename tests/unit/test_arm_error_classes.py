"""ARM status + code -> error class (arm-behaviour.md §4)."""

from __future__ import annotations

import pytest

from shared.arm_error_classes import classify_arm, means_done
from shared.step_errors import parse_step_error

AUTHZ = ("The client 'app' with object id 'oid' does not have authorization to perform action "
         "'Microsoft.Network/virtualNetworks/subnets/write' over scope '/subscriptions/s/rg' "
         "or the scope is invalid.")  # fmt: skip
LINKED = ("The client 'app' with object id 'oid' has permission to perform action "
          "'Microsoft.Network/virtualNetworks/subnets/write' on scope '/s1'; however, it does "
          "not have permission to perform action 'Microsoft.Network/networkSecurityGroups/join/"
          "action' on the linked scope(s) '/nsg1' or the linked scope(s) are invalid.")  # fmt: skip


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (404, "ResourceNotFound", "permanent"),
        (409, "MissingSubscriptionRegistration", "permanent"),
        (400, "SubnetDelegationsCannotChangeWhenSubnetUsedByResource", "permanent"),
        (400, "InUseSubnetCannotBeUpdated", "permanent"),
        (429, "RetryableError", "throttled"),
        (200, "AnotherOperationInProgress", "conflict"),
        (429, "SubscriptionRequestsThrottled", "throttled"),
        (403, "AuthorizationFailed", "permanent"),
        (403, "LinkedAuthorizationFailed", "permanent"),
        (412, "PreconditionFailed", "permanent"),
        (400, "PrincipalNotFound", "transient"),
        (503, None, "transient"),
        (500, "InternalServerError", "transient"),
        (400, "InvalidRequestContent", "permanent"),
    ],
)
def test_codes_are_classified_as_the_catalogue_says(status, code, kind):
    assert classify_arm(status, code, "m", "do x").kind == kind


def test_role_assignment_exists_means_done():
    assert means_done("RoleAssignmentExists") and not means_done("Conflict")


def test_throttling_carries_retry_after_or_a_default():
    assert classify_arm(429, "X", "m", "a", retry_after=17).retry_after == 17
    assert classify_arm(429, "X", "m", "a").retry_after == 5.0


def test_forbidden_names_the_missing_permission_and_scope():
    message = classify_arm(403, "AuthorizationFailed", AUTHZ, "update subnet s").message
    assert "'Microsoft.Network/virtualNetworks/subnets/write' on '/subscriptions/s/rg'" in message


def test_linked_forbidden_names_the_linked_permission():
    message = classify_arm(403, "LinkedAuthorizationFailed", LINKED, "update subnet s").message
    assert "networkSecurityGroups/join/action' on '/nsg1'" in message


# Today's wording (simulator/errors.py linked_authorization_failed, from 2024-2025 reports):
# "action(s)" and "(respectively)"; the app named the subnet write instead of the NSG join.
LINKED_NOW = ("The client 'app' with object id 'oid' has permission to perform action "
              "'Microsoft.Network/virtualNetworks/subnets/write' on scope '/s1'; however, it does "
              "not have permission to perform action(s) 'Microsoft.Network/networkSecurityGroups/"
              "join/action' on the linked scope(s) '/nsg1' (respectively) or the linked scope(s) "
              "are invalid.")  # fmt: skip


def test_linked_forbidden_in_todays_wording_names_the_linked_permission():
    message = classify_arm(403, "LinkedAuthorizationFailed", LINKED_NOW, "update subnet s").message
    assert "networkSecurityGroups/join/action' on '/nsg1'" in message


def test_missing_registration_names_the_namespace():
    text = "The subscription is not registered to use namespace 'Microsoft.Web'. See ..."
    assert (
        "register Microsoft.Web"
        in classify_arm(409, "MissingSubscriptionRegistration", text, "a").message
    )


def test_the_classified_error_survives_the_durable_boundary():
    error = classify_arm(429, "SubscriptionRequestsThrottled", "m", "read gateway", 30)
    reason = f"Activity function 'x' failed: StepError: {error} \n {{\"stack\": 1}}"
    assert parse_step_error(reason) == error
