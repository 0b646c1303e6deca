"""Host-side replay that re-derives the implicit sequence numbers of an orchestration.

The SDK returns a cumulative list of actions without ids; DurableTask.Core would give every
activity, timer and sub-orchestration the next number of a per-execution counter in the order the
code schedules them. This module replays the history against the action list with the *SDK's*
task semantics (see the protocol reference, section 3.1), so the ids it hands out are the ones
the SDK's ``open_tasks`` will expect:

* walk the history; on ExecutionStarted and after every completion, build top-level actions
  while the current one is done (one action per ``yield``);
* building allocates ids depth-first: leaf = next id, WhenAll/WhenAny = children in order,
  retry = its first attempt, external-event waiter = no id, ContinueAsNew = done at once;
* WhenAll fails fast, WhenAny completes on the first child;
* a failed retry attempt allocates a back-off timer; when it fires, the next attempt (or, after
  the last attempt, the failure): so there is one extra timer after the last failure;
* completions for unknown ids, and events nobody waits for, are *deferred* and complete the
  next task created with that key (the SDK never clears a deferred event name);
* at the end, actions never reached are built anyway (a compound that omits children scheduled
  earlier can complete at once in the SDK while the host still sees it running).

Ids allocated here without a scheduling event in the history are the new work of this episode.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from devhost.history import SCHEDULING_TYPES, Event, EventType
from devhost.retry_policy import max_attempts

RUNNING, SUCCEEDED, FAILED = "running", "succeeded", "failed"

_COMPLETIONS = {
    EventType.TASK_COMPLETED: ("TaskScheduledId", True),
    EventType.TASK_FAILED: ("TaskScheduledId", False),
    EventType.SUB_ORCHESTRATION_COMPLETED: ("TaskScheduledId", True),
    EventType.SUB_ORCHESTRATION_FAILED: ("TaskScheduledId", False),
    EventType.TIMER_FIRED: ("TimerId", True),
    EventType.EVENT_RAISED: ("Name", True),
}


class UnsupportedAction(Exception):
    """The orchestrator used an API devhost does not run (entities, call_http)."""


class Node:
    """A task in the host's mirror of the SDK's task tree."""

    def __init__(self) -> None:
        """Start running with no parent."""
        self.state = RUNNING
        self.parent: Compound | None = None

    @property
    def done(self) -> bool:
        """True once succeeded or failed."""
        return self.state != RUNNING

    def finish(self, ok: bool) -> None:
        """Move to a terminal state and tell the parent (the SDK's ``set_value``/propagate)."""
        self.state = SUCCEEDED if ok else FAILED
        if self.parent is not None:
            self.parent.child_done(self)


@dataclass(eq=False)
class Leaf(Node):
    """An activity, timer or sub-orchestration attempt: one sequence number."""

    kind: str
    id: int
    action: dict[str, Any]
    retry: Retry | None = None
    fire_at: datetime | None = None

    def __post_init__(self) -> None:
        """Initialise the Node part (dataclasses skip ``Node.__init__``)."""
        Node.__init__(self)


class Waiter(Node):
    """``wait_for_external_event``: completed by EventRaised with the same name."""

    def __init__(self, name: str) -> None:
        """Wait for events named ``name``."""
        super().__init__()
        self.name = name


class Compound(Node, ABC):
    """Shared bookkeeping of WhenAll, WhenAny and retry nodes."""

    def __init__(self) -> None:
        """Start with no children."""
        super().__init__()
        self.pending: set[Node] = set()
        # Every child in order (the .NET shim model in shim.py walks them).
        self.children: list[Node] = []

    def adopt(self, child: Node) -> None:
        """Add a child; a child that is already done is handled at once, like the SDK."""
        child.parent = self
        self.pending.add(child)
        self.children.append(child)
        if child.done:
            self.child_done(child)

    def child_done(self, child: Node) -> None:
        """Handle a child's completion (subclasses decide the compound's fate)."""
        self.pending.discard(child)
        self.on_child(child)

    @abstractmethod
    def on_child(self, child: Node) -> None:
        """What a child's completion means for this compound (WhenAll / WhenAny decide)."""


class WhenAll(Compound):
    """``task_all``: fails on the first failed child, succeeds when all succeeded."""

    def on_child(self, child: Node) -> None:
        """Fail fast, or succeed when nothing is pending."""
        if self.done:
            return
        if child.state == FAILED:
            self.finish(False)
        elif not self.pending:
            self.finish(True)


class WhenAny(Compound):
    """``task_any``: completes (successfully) with the first child to finish."""

    def on_child(self, child: Node) -> None:
        """The first finished child wins."""
        if not self.done:
            self.finish(True)


class Retry(Compound):
    """``call_*_with_retry``: attempts and back-off timers, as ``RetryAbleTask`` does."""

    def __init__(self, replay: Replay, kind: str, action: dict[str, Any]) -> None:
        """Remember the action and options; the first attempt is allocated by the caller."""
        super().__init__()
        self.replay = replay
        self.kind = kind
        self.action = action
        self.options: dict[str, Any] = action.get("retryOptions") or {}
        self.attempts = 1
        self.waiting_on_timer = False

    def on_child(self, child: Node) -> None:
        """Attempt failed -> timer; timer fired -> next attempt or failure; success -> done."""
        if self.done:
            return
        if self.waiting_on_timer:
            self.waiting_on_timer = False
            if self.attempts >= max_attempts(self.options):
                self.waiting_on_timer = True
                self.finish(False)
            else:
                self.attempts += 1
                self.adopt(self.replay.new_leaf(self.kind, self.action, retry=self))
            return
        if child.state == SUCCEEDED:
            if not self.pending:
                self.finish(True)
        else:
            self.waiting_on_timer = True
            self.adopt(self.replay.new_leaf("retry_timer", self.action, retry=self))


class Done(Node):
    """An action that completes at once (ContinueAsNew)."""

    def __init__(self) -> None:
        """Born finished."""
        super().__init__()
        self.state = SUCCEEDED


@dataclass
class ReplayResult:
    """What a replay found: new work, open tasks, and determinism problems."""

    new_leaves: list[Leaf] = field(default_factory=list)
    leaves: dict[int, Leaf] = field(default_factory=dict)
    open_ids: set[int] = field(default_factory=set)
    mismatches: list[str] = field(default_factory=list)
    # One node per top-level action, in action order (the .NET shim awaits them in turn).
    top: list[Node] = field(default_factory=list)


class Replay:
    """One replay of an execution's history against the actions the SDK returned."""

    def __init__(self, actions: list[dict[str, Any]]) -> None:
        """``actions`` is the single inner list of a V2/V3 OrchestratorState."""
        self.actions = actions
        self.cursor = 0
        self.current: Node | None = None
        self.next_id = 0
        self.open: dict[int, Leaf] = {}
        self.leaves: dict[int, Leaf] = {}
        self.waiters: dict[str, list[Waiter]] = {}
        self.deferred: dict[int | str, bool] = {}
        self.top: list[Node] = []

    # -- building -------------------------------------------------------------------------
    def new_leaf(self, kind: str, action: dict[str, Any], retry: Retry | None = None) -> Leaf:
        """Allocate the next sequence number; a deferred completion for it applies at once."""
        leaf = Leaf(kind=kind, id=self.next_id, action=action, retry=retry)
        self.next_id += 1
        self.leaves[leaf.id] = leaf
        self.open[leaf.id] = leaf
        if leaf.id in self.deferred:
            ok = self.deferred[leaf.id]
            del self.open[leaf.id]
            leaf.state = SUCCEEDED if ok else FAILED
        return leaf

    def build(self, action: dict[str, Any]) -> Node:
        """Turn one action object into a node, allocating ids depth-first."""
        kind = action.get("actionType")
        if kind == 0:
            return self.new_leaf("activity", action)
        if kind == 2:
            return self.new_leaf("suborch", action)
        if kind == 5:
            return self.new_leaf("timer", action)
        if kind in (1, 3):
            node = Retry(self, "activity" if kind == 1 else "suborch", action)
            node.adopt(self.new_leaf(node.kind, action, retry=node))
            return node
        if kind in (11, 12):
            compound: Compound = WhenAny() if kind == 11 else WhenAll()
            children = [self.build(child) for child in action.get("compoundActions", [])]
            if not children:
                compound.state = SUCCEEDED
            for child in children:
                compound.adopt(child)
            return compound
        if kind == 6:
            waiter = Waiter(str(action.get("externalEventName")))
            if waiter.name in self.deferred:
                # The SDK replays a deferred event into every later waiter of that name.
                waiter.state = SUCCEEDED
            else:
                self.waiters.setdefault(waiter.name, []).append(waiter)
            return waiter
        if kind == 4:
            return Done()
        names = {7: "call_entity", 8: "call_http", 9: "signal_entity"}
        label = names.get(kind, str(kind)) if isinstance(kind, int) else str(kind)
        raise UnsupportedAction(f"devhost does not run {label} actions")

    def advance(self, *, force: bool = False) -> None:
        """Build top-level actions while the current one is done (or all, when forced)."""
        while self.cursor < len(self.actions) and (
            force or self.current is None or self.current.done
        ):
            self.current = self.build(self.actions[self.cursor])
            self.top.append(self.current)
            self.cursor += 1

    # -- completions ----------------------------------------------------------------------
    def deliver(self, key: int | str, ok: bool) -> None:
        """Complete the task with this key, or defer the completion like the SDK does."""
        if isinstance(key, str):
            waiters = self.waiters.get(key)
            if waiters:
                waiters.pop().finish(True)  # most recent waiter first
            else:
                self.deferred[key] = True
            return
        leaf = self.open.pop(key, None)
        if leaf is None:
            self.deferred[key] = ok
            return
        leaf.finish(ok)

    def run(self, history: list[Event]) -> ReplayResult:
        """Replay ``history`` (past + new events) and report the new work."""
        scheduled: dict[int, str] = {}
        for item in history:
            kind = int(item.get("EventType", -1))
            if kind in SCHEDULING_TYPES:
                scheduled[int(item["EventId"])] = SCHEDULING_TYPES[EventType(kind)]
            elif kind == EventType.EXECUTION_STARTED:
                self.advance()
            elif kind in _COMPLETIONS:
                key_name, ok = _COMPLETIONS[EventType(kind)]
                key = item.get(key_name)
                if key is None:
                    continue
                self.deliver(key if key_name == "Name" else int(key), ok)
                self.advance()
        self.advance(force=True)

        result = ReplayResult(leaves=dict(self.leaves), open_ids=set(self.open), top=self.top)
        for leaf_id, leaf in sorted(self.leaves.items()):
            expected = "timer" if leaf.kind == "retry_timer" else leaf.kind
            if leaf_id not in scheduled:
                result.new_leaves.append(leaf)
            elif scheduled[leaf_id] != expected:
                result.mismatches.append(
                    f"id {leaf_id}: history has a {scheduled[leaf_id]}, code now schedules "
                    f"a {expected}"
                )
        return result


def replay(history: list[Event], actions: list[dict[str, Any]]) -> ReplayResult:
    """Convenience wrapper: replay ``history`` against ``actions``."""
    return Replay(actions).run(history)
