"""Thin HTTP handlers, one module per provider: parse, call the backend, shape the reply."""

from __future__ import annotations

from simulator.handlers import apim, authorization, network, privatedns, resources
from simulator.router import Router


def register_all(router: Router) -> None:
    for module in (resources, network, privatedns, apim, authorization):
        module.register(router)
