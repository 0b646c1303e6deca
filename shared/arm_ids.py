"""ARM resource ids: one parser, so the app never takes an id apart by hand.

The grammar is ``/subscriptions/{sub}[/resourceGroups/{rg}][/providers/{Namespace}/{type}/{name}
[/{childType}/{childName}]...]``, and an extension resource (a role assignment) is any such id
followed by ``/providers/{Namespace}/{type}/{name}...``. As in ARM, the keywords, namespaces and
types match without case; every segment keeps the casing it was given, except that the keywords
print as ``subscriptions``, ``resourceGroups`` and ``providers`` and that an id parsed as an
expected type takes that type's spelling (so ids the app derives from one read the same).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SHAPE = (
    "/subscriptions/<sub>[/resourceGroups/<rg>]"
    "[/providers/<Namespace>/<type>/<name>[/<childType>/<childName>]...]"
)
SUBSCRIPTION = "Microsoft.Resources/subscriptions"
RESOURCE_GROUP = "Microsoft.Resources/resourceGroups"
APIM_SERVICE = "Microsoft.ApiManagement/service"
SUBNET = "Microsoft.Network/virtualNetworks/subnets"


@dataclass(frozen=True)
class ArmId:
    """A parsed ARM id; build one with :meth:`parse` or from another (:meth:`child`, ...).

    ``group`` is None for a subscription-level id; ``provider``, ``types`` and ``names`` are
    empty for a subscription or resource group id. ``scope`` is the resource an extension
    resource extends (a role assignment's scope); None for an ordinary resource.
    """

    subscription: str
    group: str | None = None
    provider: str | None = None
    types: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    scope: ArmId | None = None

    def __post_init__(self) -> None:
        if (
            len(self.types) != len(self.names)
            or bool(self.provider) != bool(self.types)
            or (self.scope is not None and (self.scope.provider is None or not self.types))
        ):
            raise ValueError(f"an ARM id needs a namespace and one name per type: {self!r}")

    @classmethod
    def parse(cls, resource_id: str, resource_type: str | None = None) -> ArmId:
        """Parse ``resource_id``; with ``resource_type`` (``Microsoft.Network/virtualNetworks/
        subnets``) also require that type in a resource group. Raises ValueError naming the id
        and the shape expected."""
        parsed = _parse(resource_id)
        if resource_type is None:
            if parsed is None:
                raise ValueError(f"'{resource_id}' is not an ARM resource id; expected {SHAPE}")
            return parsed
        if parsed is None or not parsed._is(resource_type):
            raise ValueError(
                f"'{resource_id}' is not {_label(resource_type)} id; "
                f"expected {_shape(resource_type)}"
            )
        namespace, *types = resource_type.split("/")
        if parsed.provider is None:
            return parsed
        return ArmId(parsed.subscription, parsed.group, namespace, tuple(types), parsed.names)

    def __str__(self) -> str:
        if self.provider is None:
            group = "" if self.group is None else f"/resourceGroups/{self.group}"
            return f"/subscriptions/{self.subscription}{group}"
        base = self.scope or ArmId(self.subscription, self.group)
        chain = "".join(f"/{t}/{n}" for t, n in zip(self.types, self.names, strict=True))
        return f"{base}/providers/{self.provider}{chain}"

    @property
    def resource_group(self) -> str:
        if self.group is None:
            raise ValueError(f"'{self}' names no resource group")
        return self.group

    @property
    def resource_group_id(self) -> ArmId:
        return ArmId(self.subscription, self.resource_group)

    @property
    def name(self) -> str:
        """The last name: the resource's, else the resource group's, else the subscription."""
        if self.names:
            return self.names[-1]
        return self.subscription if self.group is None else self.group

    @property
    def resource_type(self) -> str:
        """E.g. ``Microsoft.Network/virtualNetworks/subnets``."""
        if self.provider is None:
            return SUBSCRIPTION if self.group is None else RESOURCE_GROUP
        return "/".join((self.provider, *self.types))

    @property
    def parent(self) -> ArmId:
        """The id one level up: a child's parent resource, an extension's scope, a top-level
        resource's group, a group's subscription."""
        if len(self.types) > 1:
            return ArmId(
                self.subscription,
                self.group,
                self.provider,
                self.types[:-1],
                self.names[:-1],
                self.scope,
            )
        if self.types:
            return self.scope or ArmId(self.subscription, self.group)
        if self.group is not None:
            return ArmId(self.subscription)
        raise ValueError(f"'{self}' is a subscription; it has no parent")

    def child(self, kind: str, name: str) -> ArmId:
        """The child resource ``kind``/``name`` of this resource."""
        if self.provider is None:
            raise ValueError(f"'{self}' is not a resource; only resources have children")
        return ArmId(
            self.subscription,
            self.group,
            self.provider,
            (*self.types, kind),
            (*self.names, name),
            self.scope,
        )

    def in_group(self, namespace: str, kind: str, name: str) -> ArmId:
        """The top-level resource ``{namespace}/{kind}/{name}`` in this id's resource group."""
        return ArmId(self.subscription, self.resource_group, namespace, (kind,), (name,))

    def nsg(self, name: str) -> ArmId:
        """The network security group ``name`` in this id's resource group."""
        return self.in_group("Microsoft.Network", "networkSecurityGroups", name)

    def gateway(self, name: str) -> ArmId:
        """The APIM workspace gateway ``name`` in this id's resource group."""
        return self.in_group("Microsoft.ApiManagement", "gateways", name)

    def _is(self, resource_type: str) -> bool:
        """Of that type (without case), and in a resource group unless it is a subscription."""
        return (
            self.resource_type.lower() == resource_type.lower()
            and self.scope is None
            and (self.group is not None or resource_type.lower() == SUBSCRIPTION.lower())
        )


def gateway_id_for(service_id: str, gateway_name: str) -> str:
    """The id of the workspace gateway ``gateway_name`` beside the APIM service ``service_id``."""
    return str(ArmId.parse(service_id, APIM_SERVICE).gateway(gateway_name))


def vnet_id_of(subnet_id: str) -> str:
    """The id of the virtual network that holds the subnet ``subnet_id``."""
    return str(ArmId.parse(subnet_id, SUBNET).parent)


def _parse(resource_id: str) -> ArmId | None:
    parts = [p for p in resource_id.split("/") if p]
    if len(parts) < 2 or parts[0].lower() != "subscriptions":
        return None
    parsed, rest = ArmId(parts[1]), parts[2:]
    if rest and rest[0].lower() == "resourcegroups":
        if len(rest) < 2:
            return None
        parsed, rest = ArmId(parsed.subscription, rest[1]), rest[2:]
    while rest:  # /providers/{Namespace}/{type}/{name}..., again for each extension
        if rest[0].lower() != "providers" or len(rest) < 4:
            return None
        namespace, rest = rest[1], rest[2:]
        end = next((i for i in range(0, len(rest), 2) if rest[i].lower() == "providers"), None)
        chain, rest = (rest, []) if end is None else (rest[:end], rest[end:])
        if not chain or len(chain) % 2:
            return None
        parsed = ArmId(
            parsed.subscription,
            parsed.group,
            namespace,
            tuple(chain[0::2]),
            tuple(chain[1::2]),
            parsed if parsed.provider else None,
        )
    return parsed


def _singular(kind: str) -> str:
    return kind[:-1] if kind.endswith("s") else kind


def _label(resource_type: str) -> str:
    """``Microsoft.Network/virtualNetworks/subnets`` -> ``a subnet``."""
    words = re.sub(r"(?<!^)([A-Z])", r" \1", _singular(resource_type.split("/")[-1])).lower()
    return f"{'an' if words[:1] in 'aeiou' else 'a'} {words}"


def _shape(resource_type: str) -> str:
    if resource_type.lower() == SUBSCRIPTION.lower():
        return "/subscriptions/<sub>"
    group = "/subscriptions/<sub>/resourceGroups/<rg>"
    if resource_type.lower() == RESOURCE_GROUP.lower():
        return group
    namespace, *types = resource_type.split("/")
    return f"{group}/providers/{namespace}" + "".join(f"/{t}/<{_singular(t)}>" for t in types)
