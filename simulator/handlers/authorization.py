"""HTTP handlers for Microsoft.Authorization: role definitions and role assignments at any scope.

Templates use ``{scope*}`` so one route serves subscription, resource group, resource and child
resource scopes (``/{scope}/providers/Microsoft.Authorization/...``, SDK-azure-mgmt-authorization
4.0.0). Role assignment writes are synchronous: PUT 201 (200 for an identical re-PUT), DELETE
200 with the deleted assignment or 204 (SPEC-AUTHZ RoleAssignments_Delete.json).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.handlers.common import listing
from simulator.router import Router
from simulator.wire import Request, Response

if TYPE_CHECKING:
    from simulator.core import Simulation

_AUTHZ = "{scope*}/providers/Microsoft.Authorization"


def list_definitions(sim: Simulation, req: Request) -> Response:
    found = sim.authorization.list_role_definitions(req.params.get("scope", ""), req.arg("$filter"))
    return Response(200, listing(found))


def get_definition(sim: Simulation, req: Request) -> Response:
    scope = req.params.get("scope", "")
    return Response(200, sim.authorization.get_role_definition(scope, req.params["guid"]))


def put_assignment(sim: Simulation, req: Request) -> Response:
    body, created = sim.authorization.put_assignment(
        req.params.get("scope", ""), req.params["name"], req.json()
    )
    # REC-role: a new assignment answers 201. The identical re-PUT answers 200 here: SPEC-AUTHZ
    # 2022-04-01 declares both 200 and 201 and the SDK accepts both; which one ARM sends for
    # the re-PUT is (unverified).
    return Response(201 if created else 200, body)


def get_assignment(sim: Simulation, req: Request) -> Response:
    scope = req.params.get("scope", "")
    return Response(200, sim.authorization.get_assignment(scope, req.params["name"]))


def delete_assignment(sim: Simulation, req: Request) -> Response:
    deleted = sim.authorization.delete_assignment(req.params.get("scope", ""), req.params["name"])
    return Response(204) if deleted is None else Response(200, deleted)


def list_assignments(sim: Simulation, req: Request) -> Response:
    found = sim.authorization.list_assignments(req.params.get("scope", ""), req.arg("$filter"))
    return Response(200, listing(found))


def register(router: Router) -> None:
    """Add the Microsoft.Authorization routes."""
    router.add("GET", _AUTHZ + "/roleDefinitions", list_definitions)
    router.add("GET", _AUTHZ + "/roleDefinitions/{guid}", get_definition)
    router.add("GET", _AUTHZ + "/roleAssignments", list_assignments)
    router.add("GET", _AUTHZ + "/roleAssignments/{name}", get_assignment)
    router.add("PUT", _AUTHZ + "/roleAssignments/{name}", put_assignment)
    router.add("DELETE", _AUTHZ + "/roleAssignments/{name}", delete_assignment)
