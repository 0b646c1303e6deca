"""Instance management operations (start, status, query, events, terminate, purge, ...).

Shared by the HTTP management API and the in-process :class:`devhost.DevHost` API. Every
operation commits before it returns, so a 202 means the request is durable. Errors carry the
HTTP status the real host answers with.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from typing import Any

from devhost.app_index import AppIndex
from devhost.clock import Clock
from devhost.engine import create_instance, not_found_message
from devhost.history import EventType, event
from devhost.host_limits import instance_id_problem
from devhost.status_payload import status_payload
from devhost.store import NOT_OVERRIDABLE, TERMINAL, Instance, Store
from devhost.timefmt import normalise, to_history


class ManagementError(Exception):
    """A failed management call with the host's status code and body."""

    def __init__(self, status: int, body: Any = None) -> None:
        """Remember status and body (a JSON value, or None for an empty body)."""
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


def _exception_body(message: str, exception_message: str, exception_type: str) -> dict[str, str]:
    """The host's error body (``HttpError`` shape), which the SDK surfaces."""
    return {
        "Message": message,
        "ExceptionMessage": exception_message,
        "ExceptionType": exception_type,
        "StackTrace": "",
    }


@dataclass
class Page:
    """One page of a status query."""

    items: list[dict[str, Any]]
    continuation_token: str | None


class Management:
    """Operations on instances, on top of the store."""

    def __init__(self, store: Store, index: AppIndex, clock: Clock) -> None:
        """Bind to the host's store, app and clock."""
        self.store = store
        self.index = index
        self.clock = clock
        self.versioning = index.versioning

    # -- start ------------------------------------------------------------------------------
    def start(
        self,
        name: str,
        instance_id: str | None,
        body_text: str | None,
        version: str | None = None,
    ) -> str:
        """Start an orchestration; the body is the JSON the client posted (or empty).

        ``version`` is the ``?version=`` query parameter the SDK's ``start_new(version=...)``
        sends; without it the instance gets host.json's ``defaultVersion``.
        """
        if name not in self.index.orchestrators:
            raise ManagementError(
                400,
                _exception_body(
                    "One or more of the arguments submitted is incorrect",
                    not_found_message(name, "orchestrator"),
                    "System.ArgumentException",
                ),
            )
        raw_input = None
        if body_text:
            try:
                raw_input = json.dumps(json.loads(body_text))
            except ValueError as exc:
                raise ManagementError(
                    400,
                    _exception_body("Invalid JSON content", str(exc), "JsonReaderException"),
                ) from exc
        return self.start_raw(name, instance_id, raw_input, version)

    def start_raw(
        self,
        name: str,
        instance_id: str | None,
        raw_input: str | None,
        version: str | None = None,
    ) -> str:
        """Start with an already-encoded raw input (JSON text or None)."""
        instance_id = instance_id or uuid.uuid4().hex
        problem = instance_id_problem(instance_id)
        if problem is not None:
            # DurableClient.StartNewAsync throws ArgumentException; the HTTP API answers 400.
            raise ManagementError(
                400,
                _exception_body(
                    "One or more of the arguments submitted is incorrect",
                    problem,
                    "System.ArgumentException",
                ),
            )
        stamp = to_history(self.clock.now())
        with self.store.tx() as tx:
            existing = tx.instance(instance_id)
            if existing is not None and existing.status in NOT_OVERRIDABLE:
                # The real host refuses to replace a running instance with an
                # InvalidOperationException, which its HTTP API turns into a 500.
                raise ManagementError(
                    500,
                    _exception_body(
                        "Something went wrong while processing your request",
                        f"An Orchestration instance with the status {existing.status} "
                        "already exists.",
                        "System.InvalidOperationException",
                    ),
                )
            create_instance(
                tx,
                instance_id,
                name,
                raw_input,
                stamp,
                replace=existing is not None,
                version=self.versioning.version_for_new(version),
            )
        return instance_id

    # -- reads ------------------------------------------------------------------------------
    def instance(self, instance_id: str) -> Instance | None:
        """The instance row, or None."""
        with self.store.tx() as tx:
            return tx.instance(instance_id)

    def status(
        self,
        instance_id: str,
        *,
        show_input: bool = False,
        show_history: bool = False,
        show_history_output: bool = False,
    ) -> dict[str, Any]:
        """Status payload of one instance; 404 when unknown."""
        with self.store.tx() as tx:
            inst = tx.instance(instance_id)
            history = tx.history(instance_id) if inst is not None and show_history else None
        if inst is None:
            raise ManagementError(404)
        return status_payload(
            inst,
            show_input=show_input,
            history=history,
            show_history_output=show_history_output,
        )

    def query(
        self,
        *,
        created_from: str | None = None,
        created_to: str | None = None,
        statuses: list[str] | None = None,
        prefix: str | None = None,
        page_size: int = 100,
        continuation_token: str | None = None,
        show_input: bool = True,
    ) -> Page:
        """One page of instances matching the filters, ordered by creation time."""
        after = _decode_token(continuation_token) if continuation_token else None
        with self.store.tx() as tx:
            rows = tx.query_instances(
                created_from=normalise(created_from) if created_from else None,
                created_to=normalise(created_to) if created_to else None,
                statuses=statuses,
                prefix=prefix,
                after=after,
                limit=page_size + 1,
            )
        more = len(rows) > page_size
        rows = rows[:page_size]
        token = _encode_token(rows[-1]) if more and rows else None
        return Page([status_payload(r, show_input=show_input) for r in rows], token)

    # -- writes -----------------------------------------------------------------------------
    def _live(self, instance_id: str) -> Instance:
        inst = self.instance(instance_id)
        if inst is None:
            raise ManagementError(404)
        if inst.status in TERMINAL:
            raise ManagementError(410)
        return inst

    def raise_event(self, instance_id: str, name: str, body_text: str | None) -> None:
        """Queue EventRaised; the payload is stored as posted (the host's double encoding)."""
        with self.store.tx() as tx:
            inst = tx.instance(instance_id)
            if inst is None:
                raise ManagementError(404)
            if inst.status in TERMINAL:
                raise ManagementError(410)
            payload = json.dumps(json.loads(body_text)) if body_text else None
            tx.add_message(
                instance_id,
                None,
                "event",
                event(
                    EventType.EVENT_RAISED,
                    to_history(self.clock.now()),
                    Name=name,
                    Input=payload,
                ),
            )

    def _control(self, instance_id: str, kind: str, reason: str | None) -> None:
        with self.store.tx() as tx:
            inst = tx.instance(instance_id)
            if inst is None:
                raise ManagementError(404)
            if inst.status in TERMINAL:
                raise ManagementError(410)
            tx.add_message(instance_id, None, kind, {"Reason": reason})

    def terminate(self, instance_id: str, reason: str | None) -> None:
        """Queue a termination."""
        self._control(instance_id, "terminate", reason)

    def suspend(self, instance_id: str, reason: str | None) -> None:
        """Queue a suspension (events stay queued until resume)."""
        self._control(instance_id, "suspend", reason)

    def resume(self, instance_id: str, reason: str | None) -> None:
        """Queue a resume."""
        self._control(instance_id, "resume", reason)

    def restart(self, instance_id: str, new_instance_id: bool) -> str:
        """Start the same orchestrator again with the original input."""
        inst = self.instance(instance_id)
        if inst is None:
            raise ManagementError(404)
        target = uuid.uuid4().hex if new_instance_id else instance_id
        # Like the extension's RestartAsync (a plain StartNewAsync): today's defaultVersion.
        return self.start_raw(inst.name, target, inst.input)

    def purge(self, instance_id: str) -> int:
        """Delete one instance and its history; 404 when unknown."""
        with self.store.tx() as tx:
            if tx.instance(instance_id) is None:
                raise ManagementError(404)
            tx.delete_instance(instance_id)
        return 1

    def purge_by(
        self,
        *,
        created_from: str | None,
        created_to: str | None = None,
        statuses: list[str] | None = None,
    ) -> int:
        """Delete instances by creation time (required) and status; 404 when none matched."""
        if not created_from:
            raise ManagementError(400, "createdTimeFrom is required")
        with self.store.tx() as tx:
            rows = tx.query_instances(
                created_from=normalise(created_from),
                created_to=normalise(created_to) if created_to else None,
                statuses=statuses,
            )
            for row in rows:
                tx.delete_instance(row.instance_id)
        if not rows:
            raise ManagementError(404)
        return len(rows)


def _encode_token(last: Instance) -> str:
    raw = json.dumps([last.created_time, last.instance_id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_token(token: str) -> tuple[str, str]:
    try:
        created, instance_id = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError) as exc:
        raise ManagementError(400, "invalid continuation token") from exc
    return str(created), str(instance_id)
