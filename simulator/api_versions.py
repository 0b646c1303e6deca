"""Which api-versions each simulated resource type serves; others answer ARM's refusal.

ARM routes a request by resource type and api-version; a version the provider does not register
for the type is refused before the provider sees it, with 400 ``NoRegisteredProviderFound``:
"No registered resource provider found for location '<region>' and API version '<v>' for type
'<type>'. The supported api-versions are '<list>'. The supported locations are '<list>'."
(real answers quoted in Azure/azure-rest-api-specs#6466, Azure/azure-cli#28496,
Azure/azure-resource-manager-schemas#33; the type is named without its namespace).

The lists hold the stable and preview versions published in azure-rest-api-specs for each
type (specification/<rp>/resource-manager/<namespace>/{stable,preview}/<version>/), newest
last, including the ones the pinned SDKs send (arm-behaviour.md §1). A real version missing
here is refused by the simulator although Azure would serve it: the harsher way to be wrong.
Microsoft.Resources (subscriptions, groups, providers) is ARM's own and serves every well-formed
version, as do the Table Storage data plane and the ``/_sim/`` control calls.
"""

from __future__ import annotations

from simulator import errors


def _versions(text: str) -> list[str]:
    return text.split()


_NETWORK = _versions(
    "2015-06-15 2016-03-30 2016-06-01 2016-07-01 2016-08-01 2016-09-01 2016-10-01 2016-11-01 "
    "2016-12-01 2017-03-01 2017-04-01 2017-06-01 2017-08-01 2017-09-01 2017-10-01 2017-11-01 "
    "2018-01-01 2018-02-01 2018-04-01 2018-06-01 2018-07-01 2018-08-01 2018-10-01 2018-11-01 "
    "2018-12-01 2019-02-01 2019-04-01 2019-06-01 2019-07-01 2019-08-01 2019-09-01 2019-11-01 "
    "2019-12-01 2020-03-01 2020-04-01 2020-05-01 2020-06-01 2020-07-01 2020-08-01 2020-11-01 "
    "2021-02-01 2021-03-01 2021-05-01 2021-08-01 2022-01-01 2022-05-01 2022-07-01 2022-09-01 "
    "2022-11-01 2023-02-01 2023-04-01 2023-05-01 2023-06-01 2023-09-01 2023-11-01 2024-01-01 "
    "2024-03-01 2024-05-01 2024-07-01 2024-10-01 2025-01-01 2025-03-01 2025-05-01 2026-03-01"
)
_PRIVATE_DNS = ["2018-09-01", "2020-01-01", "2020-06-01", "2024-06-01"]
_APIM_SERVICE = _versions(
    "2016-07-07 2016-10-10 2017-03-01 2018-01-01 2018-06-01-preview 2019-01-01 2019-12-01 "
    "2019-12-01-preview 2020-06-01-preview 2020-12-01 2021-01-01-preview 2021-04-01-preview "
    "2021-08-01 2021-12-01-preview 2022-04-01-preview 2022-08-01 2022-09-01-preview "
    "2023-03-01-preview 2023-05-01-preview 2023-09-01-preview 2024-05-01 2024-06-01-preview"
)
# Workspaces came with 2022-09-01-preview, workspace gateways and their config connections
# with 2023-09-01-preview, workspace links with 2024-05-01 (the specs' first files for them).
_APIM_WORKSPACES = _APIM_SERVICE[_APIM_SERVICE.index("2022-09-01-preview") :]
_APIM_GATEWAYS = _APIM_SERVICE[_APIM_SERVICE.index("2023-09-01-preview") :]
_APIM_LINKS = _APIM_SERVICE[_APIM_SERVICE.index("2024-05-01") :]
_ROLE_ASSIGNMENTS = _versions(
    "2015-07-01 2017-10-01-preview 2018-01-01-preview 2018-09-01-preview 2020-03-01-preview "
    "2020-04-01-preview 2020-08-01-preview 2020-10-01-preview 2022-01-01-preview 2022-04-01"
)
_ROLE_DEFINITIONS = ["2015-07-01", "2018-01-01-preview", "2022-04-01", "2022-05-01-preview"]

# (namespace, type path) lower-cased -> versions. A type path is the resource type under the
# namespace, e.g. virtualNetworks/subnets; operation status URLs are the provider's too.
SUPPORTED: dict[tuple[str, str], list[str]] = {}
for _type in (
    "virtualNetworks", "virtualNetworks/subnets", "networkSecurityGroups",
    "networkSecurityGroups/securityRules", "locations/operations",
    "locations/operationResults",
):  # fmt: skip
    SUPPORTED[("microsoft.network", _type.lower())] = _NETWORK
for _type in (
    "privateDnsZones", "privateDnsZones/virtualNetworkLinks", "privateDnsZones/A",
    "privateDnsZones/SOA", "privateDnsZones/ALL", "privateDnsZones/recordsets",
    "privateDnsOperationStatuses",
    "privateDnsOperationResults",
):  # fmt: skip
    SUPPORTED[("microsoft.network", _type.lower())] = _PRIVATE_DNS
SUPPORTED[("microsoft.apimanagement", "service")] = _APIM_SERVICE
for _type in ("service/workspaces", "service/workspaces/apis", "service/workspaces/products"):
    SUPPORTED[("microsoft.apimanagement", _type)] = _APIM_WORKSPACES
for _type in ("gateways", "gateways/configconnections", "gateways/operationresults"):
    SUPPORTED[("microsoft.apimanagement", _type)] = _APIM_GATEWAYS
SUPPORTED[("microsoft.apimanagement", "service/workspacelinks")] = _APIM_LINKS
SUPPORTED[("microsoft.authorization", "roleassignments")] = _ROLE_ASSIGNMENTS
SUPPORTED[("microsoft.authorization", "roledefinitions")] = _ROLE_DEFINITIONS


def resource_type(path: str) -> tuple[str, str] | None:
    """(namespace, type path) of the last provider in an ARM path, or None for ARM's own.

    ``.../providers/Microsoft.Network/virtualNetworks/v/subnets/s`` -> (``Microsoft.Network``,
    ``virtualNetworks/subnets``); a collection (``.../subnets``) names its type too.
    """
    parts = [p for p in path.split("/") if p]
    last = max((i for i, p in enumerate(parts[:-1]) if p.lower() == "providers"), default=None)
    if last is None:
        return None
    namespace, rest = parts[last + 1], parts[last + 2 :]
    if not rest:
        return None
    # Types sit at even positions (type/name/type/name...); record sets' type is A, SOA, ...
    return namespace, "/".join(rest[0::2])


def check(path: str, version: str, location: str | None) -> None:
    """Raise ARM's NoRegisteredProviderFound when the type does not serve ``version``."""
    found = resource_type(path)
    if found is None:
        return
    namespace, type_path = found
    supported = SUPPORTED.get((namespace.lower(), type_path.lower()))
    if supported is None or version in supported:
        return
    raise errors.no_registered_provider(location or "westeurope", version, type_path, supported)
