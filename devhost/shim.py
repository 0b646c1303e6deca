"""What the real host's .NET shim has scheduled and finished, given the SDK's actions.

The Python SDK decides what user code sees; the Durable extension then re-runs the SDK's action
list on a DurableTask.Core context, and *that* decides what is scheduled and when the instance
ends (docs: /work/shared/reference/durable-host-semantics.md rows 1-3; extension
``OutOfProcOrchestrationShim.cs``, ``ProcessAsyncActionsV2``):

* the shim awaits the top-level actions **one after another** (exceptions swallowed): action
  ``k + 1`` is not scheduled before action ``k`` has finished in .NET terms;
* ``WhenAll`` is ``Task.WhenAll``: it finishes only when **every** child finished, so a failure
  the SDK delivers at once holds back everything the code schedules after it (row 2);
* ``WhenAny`` is ``Task.WhenAny``: the first child, success or failure;
* a cancelled timer (``isCanceled``) is created with a cancelled token: its task is finished at
  once, although its TimerFired still arrives later;
* every ``WaitForExternalEvent`` the shim reaches is a new waiter, pushed on a per-name stack;
  an event goes to the **newest** pending waiter of its name (so a waiter left behind by a
  ``task_any`` another branch won never takes an event from a later wait), or is buffered and
  handed to exactly **one** later waiter (row 3; extension ``DurableOrchestrationContext.cs``:
  ``pendingExternalEvents`` is a stack, "the common case is a Task.WhenAny in a loop",
  ``bufferedExternalEvents`` a queue), while the SDK hands a buffered event to every later wait;
* an orchestrator that returns while activities, sub-orchestrations or timers (not cancelled) it
  started are open stays Running until they finish (row 1; DurableTask.Core
  ``TaskOrchestrationExecutor.cs``).

The model runs over the node tree ``sequencing.Replay`` built (so the sequence numbers are the
SDK's, which the shim reproduces as long as it schedules the same actions in the same order) and
replays the history again with .NET semantics.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from devhost.history import Event, EventType
from devhost.sequencing import Compound, Done, Leaf, Node, Retry, Waiter, WhenAll, WhenAny

_ID_COMPLETIONS = {
    EventType.TASK_COMPLETED: "TaskScheduledId",
    EventType.TASK_FAILED: "TaskScheduledId",
    EventType.SUB_ORCHESTRATION_COMPLETED: "TaskScheduledId",
    EventType.SUB_ORCHESTRATION_FAILED: "TaskScheduledId",
    EventType.TIMER_FIRED: "TimerId",
}


def cancelled_timer(leaf: Leaf) -> bool:
    """A timer the code cancelled: .NET creates it with a cancelled token."""
    return leaf.kind == "timer" and bool(leaf.action.get("isCanceled"))


@dataclass
class ShimView:
    """How far the .NET shim got, and what it still waits for."""

    reached: int = 0  # top-level actions the shim has scheduled (the last one may be open)
    all_done: bool = True  # every top-level action finished in .NET terms
    open_ids: set[int] = field(default_factory=set)  # scheduled leaves without a completion
    reached_leaves: set[int] = field(default_factory=set)  # ids of leaves the shim scheduled

    def may_end(self, *, returned: bool) -> bool:
        """True when the instance may complete (``returned``) or fail now."""
        if not self.all_done:
            return False
        return not (returned and self.open_ids)


class _Model:
    def __init__(self, top: list[Node]) -> None:
        self.top = top
        self.cursor = 0
        self.completed: set[int] = set()
        self.events_done: set[int] = set()  # id() of waiters an event reached
        self.waiting: dict[str, deque[Waiter]] = defaultdict(deque)
        self.buffered: dict[str, int] = defaultdict(int)

    def done(self, node: Node) -> bool:
        if isinstance(node, Leaf):
            return node.id in self.completed or cancelled_timer(node)
        if isinstance(node, Waiter):
            return id(node) in self.events_done
        if isinstance(node, Retry):
            # One .NET task for all attempts: finished when the SDK's mirror says so and every
            # attempt and back-off timer it made has its completion.
            return node.done and all(self.done(child) for child in node.children)
        if isinstance(node, WhenAll):
            return all(self.done(child) for child in node.children)
        if isinstance(node, WhenAny):
            return not node.children or any(self.done(child) for child in node.children)
        if isinstance(node, Done):
            return True
        return node.done

    def schedule(self, node: Node) -> None:
        """The shim invokes the action: waiters register (or take a buffered event)."""
        if isinstance(node, Waiter):
            if self.buffered[node.name] > 0:
                self.buffered[node.name] -= 1
                self.events_done.add(id(node))
            else:
                self.waiting[node.name].append(node)
        elif isinstance(node, Compound):
            for child in node.children:
                self.schedule(child)

    def advance(self) -> None:
        while self.cursor < len(self.top) and (
            self.cursor == 0 or self.done(self.top[self.cursor - 1])
        ):
            self.schedule(self.top[self.cursor])
            self.cursor += 1

    def deliver(self, item: Event) -> None:
        kind = int(item.get("EventType", -1))
        if kind == EventType.EVENT_RAISED:
            name = str(item.get("Name"))
            if self.waiting[name]:
                self.events_done.add(id(self.waiting[name].pop()))  # the newest waiter
            else:
                self.buffered[name] += 1
            return
        key = _ID_COMPLETIONS.get(EventType(kind)) if kind in _ID_COMPLETIONS else None
        if key is not None and item.get(key) is not None:
            self.completed.add(int(item[key]))


def _leaves(node: Node) -> list[Leaf]:
    if isinstance(node, Leaf):
        return [node]
    if isinstance(node, Compound):
        return [leaf for child in node.children for leaf in _leaves(child)]
    return []


def shim_view(top: list[Node], history: list[Event]) -> ShimView:
    """Replay ``history`` with the shim's semantics over the SDK replay's top-level nodes."""
    model = _Model(top)
    for item in history:
        kind = int(item.get("EventType", -1))
        if kind == EventType.EXECUTION_STARTED:
            model.advance()
        elif kind == EventType.EVENT_RAISED or kind in _ID_COMPLETIONS:
            model.deliver(item)
            model.advance()
    model.advance()
    reached_leaves = [leaf for node in top[: model.cursor] for leaf in _leaves(node)]
    return ShimView(
        reached=model.cursor,
        all_done=model.cursor == len(top) and (not top or model.done(top[-1])),
        open_ids={
            leaf.id
            for leaf in reached_leaves
            if leaf.id not in model.completed and not cancelled_timer(leaf)
        },
        reached_leaves={leaf.id for leaf in reached_leaves},
    )
