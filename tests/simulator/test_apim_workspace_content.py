"""APIs and products inside a workspace (issue 15), driven with the real azure-mgmt-apimanagement
client: create, read, list, delete; 404 without the workspace; content goes with the workspace."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.apimanagement.models import (
    ApiCreateOrUpdateParameter,
    ProductContract,
    WorkspaceContract,
)

from tests.simulator.conftest import APIM_ID


def _workspace(apim, name: str = "ws-content") -> None:
    apim.workspace.create_or_update("rg-apim", "apim-contoso", name,
                                    WorkspaceContract(display_name=name))  # fmt: skip


def test_apis_and_products_in_a_workspace_are_listed_read_and_deleted(apim):
    _workspace(apim)
    api = apim.workspace_api.begin_create_or_update(
        "rg-apim", "apim-contoso", "ws-content", "orders",
        ApiCreateOrUpdateParameter(display_name="Orders", path="orders", protocols=["https"]),
    ).result()  # fmt: skip
    assert api.id == f"{APIM_ID}/workspaces/ws-content/apis/orders" and api.path == "orders"
    apim.workspace_product.create_or_update("rg-apim", "apim-contoso", "ws-content", "gold",
                                            ProductContract(display_name="Gold"))  # fmt: skip
    apis = list(apim.workspace_api.list_by_service("rg-apim", "apim-contoso", "ws-content"))
    products = list(apim.workspace_product.list_by_service("rg-apim", "apim-contoso", "ws-content"))
    assert [a.name for a in apis] == ["orders"] and [p.name for p in products] == ["gold"]
    assert (
        apim.workspace_product.get("rg-apim", "apim-contoso", "ws-content", "gold").display_name
        == "Gold"
    )
    apim.workspace_api.delete("rg-apim", "apim-contoso", "ws-content", "orders", if_match="*")
    with pytest.raises(ResourceNotFoundError):
        apim.workspace_api.get("rg-apim", "apim-contoso", "ws-content", "orders")


def test_content_needs_its_workspace_and_required_fields(apim):
    with pytest.raises(ResourceNotFoundError):
        list(apim.workspace_api.list_by_service("rg-apim", "apim-contoso", "ws-nowhere"))
    _workspace(apim)
    with pytest.raises(HttpResponseError) as bad:
        apim.workspace_product.create_or_update("rg-apim", "apim-contoso", "ws-content", "p",
                                                ProductContract(description="no name"))  # fmt: skip
    assert bad.value.status_code == 400


def test_content_goes_with_its_workspace(apim, sim):
    _workspace(apim)
    apim.workspace_product.create_or_update("rg-apim", "apim-contoso", "ws-content", "gold",
                                            ProductContract(display_name="Gold"))  # fmt: skip
    apim.workspace.delete("rg-apim", "apim-contoso", "ws-content", if_match="*")
    ids = {r["id"].lower() for r in sim.state()["resources"]}
    assert not any("/workspaces/ws-content" in i for i in ids)
