"""One way for an activity to turn every azure-core failure into a classified StepError.

    with arm_action(f"create workspace {name}"):
        ...SDK calls...

    with undo_action(f"delete workspace {name}"):   # an undo: 404 means already done
        ...SDK calls...

Every ``AzureError`` raised inside the block (an HTTP error answer, a refused or reset
connection, a timeout, a poll that failed) leaves as the :class:`StepError` that
``activities.arm_errors.classify`` gives it (catalogue: shared/arm_error_classes.py; transport
failures are ``transient``, DESIGN.md §3). A StepError raised on purpose inside the block, and
any exception that is not azure-core's, passes through unchanged. ``undo_action`` also takes a
404 as success: what an undo removes may already be gone (DESIGN.md §2, compensation).

An activity that makes several resources passes ``partial``: a function giving the undo record
of what the block has made so far (or None). A classified error leaving the block carries it
(``StepError.partial``), so the ledger undoes work done half-way (issue 18).

A block that must react to one answer itself (e.g. a refusal that means "later") catches it
inside the block and re-raises what it does not handle.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from azure.core.exceptions import AzureError, HttpResponseError
from pydantic import BaseModel

from activities.arm_errors import classify
from shared.step_errors import StepError


class arm_action:
    """Classify every azure-core error raised while doing ``action`` ('update subnet X')."""

    def __init__(self, action: str, partial: Callable[[], BaseModel | None] | None = None) -> None:
        self.action = action
        self.partial = partial

    def __enter__(self) -> arm_action:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(exc, AzureError):
            error = classify(exc, self.action)
            self._attach(error)
            raise error from None
        if isinstance(exc, StepError):
            self._attach(exc)

    def _attach(self, error: StepError) -> None:
        made = self.partial() if self.partial is not None else None
        if made is not None and error.partial is None:
            error.partial = made.model_dump(by_alias=True, mode="json")


class undo_action:
    """:class:`arm_action` for an undo: a 404 (the resource is already gone) ends the block
    as success, and execution goes on after the ``with``."""

    def __init__(self, action: str) -> None:
        self.action = action

    def __enter__(self) -> undo_action:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if isinstance(exc, HttpResponseError) and exc.status_code == 404:
            return True
        if isinstance(exc, AzureError):
            raise classify(exc, self.action) from None
        return False
