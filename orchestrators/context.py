"""The part of the Durable orchestration context the orchestrators use, as a typed Protocol.

The SDK's ``DurableOrchestrationContext`` satisfies it, and so does the test driver's fake
(tests/unit/orchestration_driver.py); nothing in orchestrators/ needs ``Any`` for a context.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol


class Task(Protocol):
    """A scheduled activity, sub-orchestration, timer, event wait or group of them."""

    @property
    def result(self) -> Any: ...


class Timer(Task, Protocol):
    def cancel(self) -> None: ...


class OrchestrationContext(Protocol):
    @property
    def instance_id(self) -> str: ...

    @property
    def current_utc_datetime(self) -> dt.datetime: ...

    @property
    def is_replaying(self) -> bool: ...

    @property
    def version(self) -> str | None: ...

    def get_input(self) -> Any: ...

    def call_activity(self, name: str, input_: Any = None) -> Task: ...

    def call_sub_orchestrator(
        self,
        name: str,
        input_: Any = None,
        instance_id: str | None = None,
        version: str | None = None,
    ) -> Task: ...

    def create_timer(self, fire_at: dt.datetime) -> Timer: ...

    def wait_for_external_event(self, name: str) -> Task: ...

    def task_all(self, activities: list[Any]) -> Task: ...

    def task_any(self, activities: list[Any]) -> Task: ...

    def set_custom_status(self, status: Any) -> None: ...

    def continue_as_new(self, input_: Any) -> None: ...
