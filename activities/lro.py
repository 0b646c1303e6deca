"""Polling of an async ARM write that ends on its operation's status, without the final GET.

After a PUT answered with ``Azure-AsyncOperation``, azure-core polls that operation to its end
and then, by default, GETs the resource once more for the poller's result (``get_final_get_url``
returns the PUT's URL; azure-mgmt-core's ``AzureAsyncOperationPolling`` skips it only for a POST
with ``final-state-via: azure-async-operation``). The activities that write NSGs, subnets,
private DNS zones and VNet links need no body back: the operation's ``Succeeded`` is the answer
they wait for, and the ids they record are the ones they wrote. :func:`status_only` is the same
ARM polling (same algorithms, intervals, ``Retry-After``, a ``Failed``/``Canceled`` operation
raising the same ``HttpResponseError``) except that it ends on the operation's status: one GET
less per write (issue 17, item 4). Its poller's ``result()`` is the operation's status body,
not the resource: callers must not read it.
"""

from __future__ import annotations

from typing import Any

from azure.core.polling.base_polling import LocationPolling, StatusCheckPolling
from azure.mgmt.core.polling.arm_polling import (
    ARMPolling,
    AzureAsyncOperationPolling,
    BodyContentPolling,
)


class _StatusOnlyAsyncOperation(AzureAsyncOperationPolling[Any, Any]):
    """``Azure-AsyncOperation`` polling that ends on the operation's terminal status."""

    def get_final_get_url(self, pipeline_response: Any) -> str | None:
        return None


def status_only(operations: Any) -> ARMPolling:
    """The polling method for ``begin_*(..., polling=status_only(ops))`` on an operations group
    (``net.subnets``, ``dns.private_zones`` ...), at that client's polling interval."""
    interval = float(operations._config.polling_interval)
    return ARMPolling(
        interval,
        lro_algorithms=[
            _StatusOnlyAsyncOperation(),
            LocationPolling(),  # ends on the Location URL's answer (no final GET either)
            BodyContentPolling(),  # polls the resource itself: its last answer is the body
            StatusCheckPolling(),
        ],
    )
