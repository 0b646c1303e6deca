"""Microsoft.ApiManagement backend (work in progress)."""

from __future__ import annotations

from typing import Any

from simulator.backends.base import Backend


class ApimBackend(Backend):
    """APIM services, workspaces, gateways and config connections."""

    def set_provisioning_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def seed(self, resource: dict[str, Any]) -> bool:
        return "/providers/microsoft.apimanagement/" in resource["id"].lower()  # placeholder
