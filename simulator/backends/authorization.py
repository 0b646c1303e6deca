"""Microsoft.Authorization backend (work in progress)."""

from __future__ import annotations

from typing import Any

from simulator.backends.base import Backend


class AuthorizationBackend(Backend):
    """Role definitions, role assignments and the seeded directory of principals."""

    tenant_id = ""

    def directory_json(self) -> dict[str, Any]:
        return {"tenantId": self.tenant_id, "principals": []}

    def add_role_definition(self, body: dict[str, Any]) -> None:
        """Placeholder."""

    def add_principal(self, body: dict[str, Any]) -> dict[str, Any]:
        return body  # placeholder until the backend lands
