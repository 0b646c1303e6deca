"""ARM authorization in the simulator (simulator/access.py), through the real SDK clients.

A caller whose bearer token names a principal (``oid``) is held to its role assignments: 403
``AuthorizationFailed`` / ``LinkedAuthorizationFailed`` in ARM's words, wildcards and notActions
as ARM evaluates them, the RBAC Administrator's ABAC condition; an opaque token is the
simulator's unrestricted operator (what every other simulator test uses).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.privatedns import PrivateDnsManagementClient

from simulator.access import action_for, action_matches, condition_holds, unsigned_token
from tests.simulator.conftest import (
    ALICE,
    APIM_ID,
    NET_RG,
    SUB,
    VNET_ID,
    SimControl,
    subnet_id,
)

APP = "a9900000-0000-4000-8000-0000000000a1"
APP_CLIENT = "a9900000-0000-4000-8000-0000000000c1"
RG = f"/subscriptions/{SUB}/resourceGroups/{NET_RG}"
NSG = f"{RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-test"
ROLE = "11111111-2222-4333-8444-555555555555"
RBAC_ADMIN = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
_N = iter(range(1, 10_000))


class AppToken:
    """A JWT-shaped token naming the app identity, as a managed identity's token does."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(unsigned_token(APP, APP_CLIENT), int(time.time()) + 3600)


def _kwargs(sim: SimControl) -> dict[str, Any]:
    return {
        "base_url": sim.sim.url,
        "connection_verify": str(sim.sim.ca),
        "retry_total": 0,
        "polling_interval": 0,
    }


@pytest.fixture
def app_network(sim: SimControl) -> NetworkManagementClient:
    return NetworkManagementClient(AppToken(), SUB, **_kwargs(sim))


def _grant(
    sim: SimControl,
    scope: str,
    actions: list[str],
    not_actions: list[str] | None = None,
    *,
    role: str | None = None,
    condition: str | None = None,
) -> None:
    """Seed the app principal, a custom role with these actions, and an assignment at scope."""
    n = next(_N)
    role_id = role or f"{n:08d}-2222-4333-8444-555555555555"
    seed: dict[str, Any] = {
        "principals": [{"id": APP, "type": "ServicePrincipal", "displayName": "app"}],
        "resources": [
            {
                "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/"
                f"{n:08d}-aaaa-4bbb-8ccc-dddddddddddd",
                "properties": {
                    "principalId": APP,
                    "roleDefinitionId": f"/providers/Microsoft.Authorization/roleDefinitions/{role_id}",
                    "condition": condition,
                    "conditionVersion": "2.0" if condition else None,
                },
            }
        ],
    }
    if role is None:
        seed["roleDefinitions"] = [
            {
                "id": role_id,
                "roleName": f"test role {n}",
                "permissions": [{"actions": actions, "notActions": not_actions or []}],
            }
        ]
    sim.call("POST", "/_sim/seed", seed)


def _error(exc: pytest.ExceptionInfo[HttpResponseError]) -> tuple[int, str, str]:
    err = exc.value
    assert err.error is not None
    return int(err.status_code or 0), str(err.error.code), str(err.error.message)


# ------------------------------------------------------------------ matching rules (unit)


def test_actions_are_derived_from_method_and_path_as_arm_does() -> None:
    subnet = subnet_id("snet-gw-a")
    assert action_for("GET", subnet) == ("Microsoft.Network/virtualNetworks/subnets/read", subnet)
    assert action_for("PUT", subnet)[0] == "Microsoft.Network/virtualNetworks/subnets/write"
    assert action_for("GET", VNET_ID + "/subnets") == (
        "Microsoft.Network/virtualNetworks/subnets/read",
        VNET_ID,
    )
    assert action_for("POST", f"/subscriptions/{SUB}/providers/Microsoft.Web/register") == (
        "Microsoft.Web/register/action",
        f"/subscriptions/{SUB}",
    )
    assert action_for("GET", f"/subscriptions/{SUB}/providers/Microsoft.Web") == (
        "Microsoft.Resources/subscriptions/providers/read",
        f"/subscriptions/{SUB}",
    )
    assignment = f"{APIM_ID}/providers/Microsoft.Authorization/roleAssignments/x"
    assert action_for("DELETE", assignment) == (
        "Microsoft.Authorization/roleAssignments/delete",
        assignment,
    )


def test_wildcards_match_any_run_of_characters_ignoring_case() -> None:
    assert action_matches("*", "Microsoft.Network/virtualNetworks/read")
    assert action_matches("*/read", "Microsoft.Network/virtualNetworks/subnets/read")
    assert action_matches(
        "Microsoft.Network/*/read", "microsoft.network/virtualnetworks/subnets/READ"
    )
    assert not action_matches("Microsoft.Network/*/read", "Microsoft.Network/virtualNetworks/write")
    assert not action_matches(
        "Microsoft.Network/virtualNetworks/read", "Microsoft.Network/virtualNetworks/subnets/read"
    )


def test_unsupported_condition_syntax_is_refused_not_guessed() -> None:
    from simulator.access import UnsupportedCondition

    with pytest.raises(UnsupportedCondition):
        condition_holds(
            "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:x<$key_case_sensitive$>] StringEquals 'y'",
            "a/read",
            {},
        )


# ------------------------------------------------------------------ the 403s, through the SDK


def test_opaque_token_is_the_unrestricted_operator(network: NetworkManagementClient) -> None:
    assert network.virtual_networks.get(NET_RG, "vnet-apim").name == "vnet-apim"


def test_no_grant_is_authorization_failed_in_arms_words_even_for_a_missing_resource(
    sim: SimControl, app_network: NetworkManagementClient
) -> None:
    sim.call(
        "POST",
        "/_sim/seed",
        {"principals": [{"id": APP, "type": "ServicePrincipal", "displayName": "app"}]},
    )
    with pytest.raises(HttpResponseError) as exc:
        app_network.virtual_networks.get(NET_RG, "no-such-vnet")
    status, code, message = _error(exc)
    scope = f"{RG}/providers/Microsoft.Network/virtualNetworks/no-such-vnet"
    assert (status, code) == (403, "AuthorizationFailed")
    assert message == (
        f"The client '{APP_CLIENT}' with object id '{APP}' does not have authorization to perform "
        f"action 'Microsoft.Network/virtualNetworks/read' over scope '{scope}' or the scope is "
        "invalid. If access was recently granted, please refresh your credentials."
    )


def test_wildcard_read_at_the_group_reads_but_does_not_write(
    sim: SimControl, app_network: NetworkManagementClient
) -> None:
    _grant(sim, RG, ["Microsoft.Network/*/read"])
    subnet = app_network.subnets.get(NET_RG, "vnet-apim", "snet-gw-a")
    with pytest.raises(HttpResponseError) as exc:
        app_network.subnets.begin_create_or_update(
            NET_RG, "vnet-apim", "snet-gw-a", subnet
        ).result()
    status, code, message = _error(exc)
    assert (status, code) == (403, "AuthorizationFailed")
    assert "'Microsoft.Network/virtualNetworks/subnets/write'" in message


def test_not_actions_subtract_from_the_same_role(
    sim: SimControl, app_network: NetworkManagementClient
) -> None:
    _grant(sim, RG, ["Microsoft.Network/*"], ["Microsoft.Network/networkSecurityGroups/delete"])
    app_network.network_security_groups.begin_create_or_update(
        NET_RG, "nsg-test", {"location": "westeurope"}
    ).result()
    with pytest.raises(HttpResponseError) as exc:
        app_network.network_security_groups.begin_delete(NET_RG, "nsg-test").result()
    assert _error(exc)[:2] == (403, "AuthorizationFailed")


def test_an_assignment_below_the_scope_does_not_grant_above_it(
    sim: SimControl, app_network: NetworkManagementClient
) -> None:
    _grant(sim, subnet_id("snet-gw-a"), ["Microsoft.Network/virtualNetworks/subnets/read"])
    assert app_network.subnets.get(NET_RG, "vnet-apim", "snet-gw-a").name == "snet-gw-a"
    with pytest.raises(HttpResponseError) as exc:
        app_network.subnets.get(NET_RG, "vnet-apim", "snet-gw-b")
    assert _error(exc)[:2] == (403, "AuthorizationFailed")


def test_nsg_association_needs_the_nsg_join_action_linked_authorization_failed(
    sim: SimControl, network: NetworkManagementClient, app_network: NetworkManagementClient
) -> None:
    network.network_security_groups.begin_create_or_update(
        NET_RG, "nsg-test", {"location": "westeurope"}
    ).result()
    _grant(
        sim,
        subnet_id("snet-gw-a"),
        [
            "Microsoft.Network/virtualNetworks/subnets/read",
            "Microsoft.Network/virtualNetworks/subnets/write",
            "Microsoft.Network/locations/operations/read",
        ],
    )
    subnet = app_network.subnets.get(NET_RG, "vnet-apim", "snet-gw-a")
    subnet.network_security_group = {"id": NSG}  # type: ignore[assignment]
    with pytest.raises(HttpResponseError) as exc:
        app_network.subnets.begin_create_or_update(
            NET_RG, "vnet-apim", "snet-gw-a", subnet
        ).result()
    status, code, message = _error(exc)
    assert (status, code) == (403, "LinkedAuthorizationFailed")
    assert message == (
        f"The client '{APP_CLIENT}' with object id '{APP}' has permission to perform action "
        f"'Microsoft.Network/virtualNetworks/subnets/write' on scope '{subnet_id('snet-gw-a')}'; "
        "however, it does not have permission to perform action(s) "
        f"'Microsoft.Network/networkSecurityGroups/join/action' on the linked scope(s) '{NSG}' "
        "(respectively) or the linked scope(s) are invalid."
    )
    assert network.subnets.get(NET_RG, "vnet-apim", "snet-gw-a").network_security_group is None
    _grant(sim, NSG, ["Microsoft.Network/networkSecurityGroups/join/action"])
    done = app_network.subnets.begin_create_or_update(
        NET_RG, "vnet-apim", "snet-gw-a", subnet
    ).result()
    assert done.network_security_group is not None


def test_operation_polls_are_checked_at_the_written_resource(
    sim: SimControl, app_network: NetworkManagementClient
) -> None:
    # The subnet role without locations/operations/read: the PUT is accepted, the poll is not.
    _grant(
        sim,
        subnet_id("snet-gw-a"),
        [
            "Microsoft.Network/virtualNetworks/subnets/read",
            "Microsoft.Network/virtualNetworks/subnets/write",
        ],
    )
    subnet = app_network.subnets.get(NET_RG, "vnet-apim", "snet-gw-a")
    with pytest.raises(HttpResponseError) as exc:
        app_network.subnets.begin_create_or_update(
            NET_RG, "vnet-apim", "snet-gw-a", subnet
        ).result()
    status, code, message = _error(exc)
    assert (status, code) == (403, "AuthorizationFailed")
    assert (
        f"'Microsoft.Network/locations/operations/read' over scope '{subnet_id('snet-gw-a')}'"
        in message
    )


def test_gateway_in_a_subnet_needs_the_subnet_join_action(sim: SimControl) -> None:
    apim = ApiManagementClient(AppToken(), SUB, **_kwargs(sim))
    _grant(
        sim, f"/subscriptions/{SUB}/resourceGroups/rg-apim", ["Microsoft.ApiManagement/gateways/*"]
    )
    body = {
        "location": "West Europe",
        "sku": {"name": "WorkspaceGatewayPremium", "capacity": 1},
        "properties": {
            "virtualNetworkType": "External",
            "backend": {"subnet": {"id": subnet_id("snet-shared")}},
        },
    }
    with pytest.raises(HttpResponseError) as exc:
        apim.api_gateway.begin_create_or_update("rg-apim", "gw-x", body).result()
    status, code, message = _error(exc)
    assert (status, code) == (403, "LinkedAuthorizationFailed")
    assert "'Microsoft.Network/virtualNetworks/subnets/join/action'" in message


def test_private_dns_link_needs_the_vnet_join_action(sim: SimControl) -> None:
    dns = PrivateDnsManagementClient(AppToken(), SUB, **_kwargs(sim))
    _grant(
        sim,
        f"/subscriptions/{SUB}/resourceGroups/rg-dns",
        [
            "Microsoft.Network/privateDnsZones/*",
            "Microsoft.Network/privateDnsOperationStatuses/read",
        ],
    )
    dns.private_zones.begin_create_or_update("rg-dns", "x.example", {"location": "global"}).result()
    link = {
        "location": "global",
        "properties": {"virtualNetwork": {"id": VNET_ID}, "registrationEnabled": False},
    }
    with pytest.raises(HttpResponseError) as exc:
        dns.virtual_network_links.begin_create_or_update("rg-dns", "x.example", "l1", link).result()
    assert _error(exc)[:2] == (403, "LinkedAuthorizationFailed")
    _grant(sim, VNET_ID, ["Microsoft.Network/virtualNetworks/join/action"])
    dns.virtual_network_links.begin_create_or_update("rg-dns", "x.example", "l1", link).result()


# ------------------------------------------------------------------ built-in roles, ABAC


CONSTRAINED = (
    "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
    f"(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{READER}}})) AND "
    "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR "
    f"(@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{READER}}}))"
)


def _assign(client: AuthorizationManagementClient, role: str, name: str) -> Any:
    return client.role_assignments.create(
        APIM_ID,
        name,
        {
            "role_definition_id": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}",
            "principal_id": ALICE,
            "principal_type": "User",
        },
    )


def test_rbac_administrator_with_the_condition_assigns_only_the_listed_roles(
    sim: SimControl, authz: AuthorizationManagementClient
) -> None:
    app = AuthorizationManagementClient(AppToken(), SUB, **_kwargs(sim))
    _grant(sim, APIM_ID, [], role=RBAC_ADMIN, condition=CONSTRAINED)
    reader = _assign(app, READER, "0f000000-0000-4000-8000-000000000001")
    assert reader.role_definition_id.endswith(READER)
    with pytest.raises(HttpResponseError) as exc:
        _assign(app, OWNER, "0f000000-0000-4000-8000-000000000002")
    status, code, message = _error(exc)
    assert (status, code) == (403, "AuthorizationFailed")
    assert "'Microsoft.Authorization/roleAssignments/write'" in message
    # Delete is constrained by the stored assignment's role (@Resource).
    owner = _assign(authz, OWNER, "0f000000-0000-4000-8000-000000000003")
    with pytest.raises(HttpResponseError) as exc:
        app.role_assignments.delete(APIM_ID, owner.name)
    assert _error(exc)[:2] == (403, "AuthorizationFailed")
    app.role_assignments.delete(APIM_ID, reader.name)
    # The role's */read still reads (the condition only narrows write and delete).
    assert list(app.role_assignments.list_for_scope(APIM_ID))


def test_built_in_roles_carry_their_published_actions(
    sim: SimControl, app_network: NetworkManagementClient
) -> None:
    _grant(sim, RG, [], role=READER)
    assert app_network.virtual_networks.get(NET_RG, "vnet-apim")
    with pytest.raises(HttpResponseError) as exc:
        app_network.network_security_groups.begin_create_or_update(
            NET_RG, "nsg-test", {"location": "westeurope"}
        ).result()
    assert _error(exc)[:2] == (403, "AuthorizationFailed")


def test_decisions_are_logged_for_least_privilege_checks(
    sim: SimControl, app_network: NetworkManagementClient
) -> None:
    _grant(sim, RG, ["Microsoft.Network/virtualNetworks/read"])
    app_network.virtual_networks.get(NET_RG, "vnet-apim")
    log = sim.call("GET", "/_sim/authorization")
    assert log[-1]["principal"] == APP
    assert log[-1]["action"] == "Microsoft.Network/virtualNetworks/read"
    assert log[-1]["allowed"] is True
    assert log[-1]["grantedBy"][0]["pattern"] == "Microsoft.Network/virtualNetworks/read"
