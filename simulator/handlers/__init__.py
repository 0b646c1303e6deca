"""Thin HTTP handlers, one module per provider: parse, call the backend, shape the reply."""

from __future__ import annotations

from simulator.handlers import apim, apim_content, authorization, network, privatedns, resources
from simulator.router import Router


def register_all(router: Router) -> None:
    for module in (resources, network, privatedns, apim, apim_content, authorization):
        module.register(router)
