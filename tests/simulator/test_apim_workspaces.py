"""APIM service reads and workspaces through the real ApiManagementClient."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.apimanagement.models import WorkspaceContract

from tests.simulator.conftest import APIM_ID, APIM_RG

SVC = "apim-contoso"


def _ws(name: str = "Payments") -> WorkspaceContract:
    return WorkspaceContract(display_name=name, description="Payments team")


def test_service_get_reports_tier_and_region(apim):
    service = apim.api_management_service.get(APIM_RG, SVC)
    assert service.id == APIM_ID
    assert service.sku.name == "Premium"
    assert service.location == "West Europe"


def test_missing_service_is_resource_not_found(apim):
    with pytest.raises(ResourceNotFoundError) as err:
        apim.api_management_service.get(APIM_RG, "apim-missing")
    assert err.value.error.code == "ResourceNotFound"


def test_workspace_put_creates_then_updates(apim, sim):
    created = apim.workspace.create_or_update(APIM_RG, SVC, "ws-payments", _ws())
    assert created.id == f"{APIM_ID}/workspaces/ws-payments"
    assert created.display_name == "Payments"
    updated = apim.workspace.create_or_update(APIM_RG, SVC, "ws-payments", _ws("Payments 2"))
    assert updated.display_name == "Payments 2"
    statuses = [r["status"] for r in sim.requests() if r["method"] == "PUT"]
    assert statuses == [201, 200]


def test_workspace_put_twice_is_idempotent(apim, sim):
    for _ in range(2):
        apim.workspace.create_or_update(APIM_RG, SVC, "ws-payments", _ws())
    workspaces = [r for r in sim.state()["resources"] if r["type"].endswith("/workspaces")]
    assert sorted(w["name"] for w in workspaces) == ["ws-legacy", "ws-payments"]


def test_workspace_get_carries_a_quoted_etag_header(apim, sim):
    apim.workspace.create_or_update(APIM_RG, SVC, "ws-payments", _ws())
    status, headers, body = sim.raw(
        "GET", f"{APIM_ID}/workspaces/ws-payments?api-version=2024-05-01"
    )
    assert status == 200
    assert headers["ETag"] == f'"{body["etag"]}"'
    assert apim.workspace.get_entity_tag(APIM_RG, SVC, "ws-payments") is True


def test_workspace_needs_display_name(sim):
    status, _, body = sim.raw(
        "PUT", f"{APIM_ID}/workspaces/ws-x?api-version=2024-05-01", {"properties": {}}
    )
    assert status == 400
    assert body["error"]["code"] == "ValidationError"
    assert body["error"]["details"][0]["target"] == "displayName"


def test_workspace_refused_on_a_tier_without_workspaces(apim):
    with pytest.raises(HttpResponseError) as err:
        apim.workspace.create_or_update(APIM_RG, "apim-contoso-dev", "ws-x", _ws())
    assert err.value.error.code == "MethodNotAllowedInPricingTier"


def test_workspace_delete_with_star_then_again_is_204(apim, sim):
    apim.workspace.create_or_update(APIM_RG, SVC, "ws-payments", _ws())
    apim.workspace.delete(APIM_RG, SVC, "ws-payments", if_match="*")
    apim.workspace.delete(APIM_RG, SVC, "ws-payments", if_match="*")
    assert [r["status"] for r in sim.requests() if r["method"] == "DELETE"] == [200, 204]
    with pytest.raises(ResourceNotFoundError):
        apim.workspace.get(APIM_RG, SVC, "ws-payments")


def test_workspace_delete_with_stale_etag_is_412(apim):
    apim.workspace.create_or_update(APIM_RG, SVC, "ws-payments", _ws())
    with pytest.raises(HttpResponseError) as err:
        apim.workspace.delete(APIM_RG, SVC, "ws-payments", if_match='"stale"')
    assert err.value.status_code == 412
    assert apim.workspace.get(APIM_RG, SVC, "ws-payments").name == "ws-payments"


def test_workspace_delete_without_if_match_is_refused(apim, sim):
    apim.workspace.create_or_update(APIM_RG, SVC, "ws-payments", _ws())
    status, _, body = sim.raw("DELETE", f"{APIM_ID}/workspaces/ws-payments?api-version=2024-05-01")
    assert status == 400
    assert "If-Match" in body["error"]["message"]


def test_workspace_list_by_service(apim):
    apim.workspace.create_or_update(APIM_RG, SVC, "ws-payments", _ws())
    names = sorted(w.name for w in apim.workspace.list_by_service(APIM_RG, SVC))
    assert names == ["ws-legacy", "ws-payments"]
