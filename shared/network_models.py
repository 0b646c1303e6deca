"""Typed inputs and outputs of the network step's activities, with their camelCase JSON form."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from shared.nsg_rules import NetworkMode
from shared.wire_model import WireModel as _Model


class EnsureNsgInput(_Model):
    subnet_id: str
    nsg_name: str
    mode: NetworkMode
    tags: dict[str, str] = Field(default_factory=dict)
    # What preflight read (the VNet's region, the subnet's prefixes), so the activity does not
    # read them again; None (inputs recorded before they were passed): the activity reads them.
    location: str | None = None
    prefixes: list[str] | None = None


class NsgRecord(_Model):
    """What ensure_nsg did: the undo record of the NSG part of the network step."""

    nsg_id: str
    created: bool
    added_rules: list[str] = Field(default_factory=list)


class ConfigureSubnetInput(_Model):
    subnet_id: str
    delegation: str  # e.g. Microsoft.Web/hostingEnvironments
    nsg_id: str | None = None
    # The subnet as it was before the run (preflight's SubnetFacts.prior), so that a retry after
    # a lost result still records what undo must restore. ``prior_delegations`` None: not known,
    # read from the subnet at write time; ``prior_nsg_id`` counts only when it is given.
    prior_delegations: list[str] | None = None
    prior_nsg_id: str | None = None
    # The subnet as preflight read it (raw JSON with its ETag, SubnetFacts.read): the first
    # write starts from it with If-Match, so a change made since fails it (412) and the step
    # reads the subnet afresh; None: read it first.
    read: dict[str, Any] | None = None


class SubnetRecord(_Model):
    """The subnet's state before the step, so undo can put it back exactly."""

    subnet_id: str
    changed: bool
    prior_delegations: list[str] = Field(default_factory=list)
    prior_nsg_id: str | None = None
