"""Limits and checks the real host applies to orchestrations and starts, which the SDK does not.

Sources (the reference table /work/shared/reference/durable-host-semantics.md, rows 7-10):

* custom status: the shim calls ``SetCustomStatus`` before it replays the actions, and the
  extension's ``DurableOrchestrationContext.SetCustomStatus`` serialises it with a 16 KB limit
  counted in UTF-16 bytes; over it, the orchestration fails. A falsy status is omitted by the
  SDK, and each episode writes the status it was given, so Azure Storage then stores ``null``;
* ``MaxOrchestrationActions`` (``extensions.durableTask.maxOrchestrationActions``, default
  100,000, extension ``DurableTaskOptions.cs``): every API call the shim replays counts; one
  more fails the orchestration;
* instance ids (extension ``DurableClient.StartNewAsync``): not starting with ``@``, no ``/``,
  ``\\``, ``#``, ``?`` or control characters, at most 256 characters; the HTTP API answers 400.
  A sub-orchestration may not have its parent's id (``CallSubOrchestratorAsync``).
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from devhost.sequencing import Compound, Leaf, Node, Waiter

CUSTOM_STATUS_LIMIT_KB = 16
DEFAULT_MAX_ACTIONS = 100_000
MAX_INSTANCE_ID_LENGTH = 256


def serialised_custom_status(value: Any) -> str:
    """The JSON text .NET stores (compact, non-ASCII kept as is)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def custom_status_problem(value: Any) -> str | None:
    """The host's error for a custom status over 16 KB (UTF-16), else None.

    As ``MessagePayloadDataConverter.Serialize(value, 16)``: the UTF-16 byte count in whole KB
    (truncated) must not pass 16, so 17,407 bytes (8,703 ASCII characters) still pass.
    """
    size_kb = len(serialised_custom_status(value).encode("utf-16-le")) // 1024
    if size_kb <= CUSTOM_STATUS_LIMIT_KB:
        return None
    return (
        f"The UTF-16 size of the JSON-serialized payload must not exceed "
        f"{CUSTOM_STATUS_LIMIT_KB:,} KB. The current payload size is {size_kb:,} KB."
    )


def max_actions(host_json: dict[str, Any]) -> int:
    """``maxOrchestrationActions`` from host.json (the extension's default 100,000)."""
    durable = host_json.get("extensions", {}).get("durableTask", {}) or {}
    value = durable.get("maxOrchestrationActions", DEFAULT_MAX_ACTIONS)
    return int(value)


def count_actions(nodes: list[Node]) -> int:
    """API calls the shim makes for these top-level actions (leaves and event waits)."""
    total = 0
    for node in nodes:
        if isinstance(node, Leaf | Waiter):
            total += 1
        elif isinstance(node, Compound):
            total += count_actions(node.children)
    return total


def actions_problem(count: int, limit: int) -> str | None:
    """The host's error once more than ``limit`` actions were scheduled, else None."""
    if count <= limit:
        return None
    return (
        f"Maximum amount of orchestration actions ({limit}) has been reached. This value can "
        "be configured in host.json file as MaxOrchestrationActions."
    )


def instance_id_problem(instance_id: str) -> str | None:
    """Why the host refuses to start this id (its ArgumentException text), else None."""
    if instance_id.startswith("@"):
        return "instanceId (Parameter 'Orchestration instance ids must not start with @.')"
    if any(c in "/\\#?" or unicodedata.category(c) == "Cc" for c in instance_id):
        return (
            "instanceId (Parameter 'Orchestration instance ids must not contain /, \\, #, ?, "
            "or control characters.')"
        )
    if len(instance_id) > MAX_INSTANCE_ID_LENGTH:
        return f"Instance ID lengths must not exceed {MAX_INSTANCE_ID_LENGTH} characters."
    return None


def sub_orchestration_id_problem(nodes: list[Node], parent_id: str) -> str | None:
    """A sub-orchestration scheduled with its parent's own id fails the parent."""
    for node in nodes:
        if isinstance(node, Leaf) and node.kind == "suborch":
            child_id = node.action.get("instanceId")
            if isinstance(child_id, str) and child_id.lower() == parent_id.lower():
                return (
                    "A sub-orchestration function cannot have the same instance ID as its parent."
                )
        elif isinstance(node, Compound):
            problem = sub_orchestration_id_problem(node.children, parent_id)
            if problem is not None:
                return problem
    return None
