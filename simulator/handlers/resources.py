"""HTTP handlers for Microsoft.Resources: providers and resource groups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.handlers.common import listing
from simulator.router import Router
from simulator.wire import Request, Response

if TYPE_CHECKING:
    from simulator.core import Simulation

_SUB = "/subscriptions/{sub}"


def get_provider(sim: Simulation, req: Request) -> Response:
    return Response(200, sim.resources.get_provider(req.params["sub"], req.params["ns"]))


def register_provider(sim: Simulation, req: Request) -> Response:
    # 200 synchronously with the body already Registering (REC-resource).
    return Response(200, sim.resources.register(req.params["sub"], req.params["ns"]))


def list_providers(sim: Simulation, req: Request) -> Response:
    return Response(200, listing(sim.resources.list_providers(req.params["sub"])))


def get_group(sim: Simulation, req: Request) -> Response:
    return Response(200, sim.resources.get_group(req.params["sub"], req.params["rg"]))


def register(router: Router) -> None:
    """Add the Microsoft.Resources routes."""
    router.add("GET", _SUB + "/providers", list_providers)
    router.add("GET", _SUB + "/providers/{ns}", get_provider)
    router.add("POST", _SUB + "/providers/{ns}/register", register_provider)
    router.add("GET", _SUB + "/resourceGroups/{rg}", get_group)
