"""All durable state in one SQLite file (WAL): instances, histories, messages, activity work.

Every state change is committed before anything acts on it: an activity runs only after the row
that schedules it is committed, its completion message and the removal of its row commit
together, and an episode's new history, consumed messages and new work commit in one
transaction. A process killed at any point therefore restarts from a consistent file; activity
rows still marked ``running`` are run again (at-least-once, like Azure).

One connection is shared by all threads behind a lock: the work per statement is tiny, and a
single writer avoids SQLITE_BUSY entirely.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devhost.history import Event

TERMINAL = ("Completed", "Failed", "Terminated", "Canceled")
# Instances in these states may not be replaced by a new start with the same id (the real host's
# default ``OverridableExistingInstanceStates = NonRunningStates``; Suspended is kept too).
NOT_OVERRIDABLE = ("Pending", "Running", "ContinuedAsNew", "Suspended")
CONTROL_KINDS = ("terminate", "resume")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    instance_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT,
    output TEXT,
    custom_status TEXT,
    created_time TEXT NOT NULL,
    last_updated_time TEXT NOT NULL,
    parent TEXT,
    version TEXT
);
CREATE INDEX IF NOT EXISTS instances_created ON instances(created_time, instance_id);
CREATE TABLE IF NOT EXISTS history (
    instance_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    execution_id TEXT NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (instance_id, seq)
);
CREATE TABLE IF NOT EXISTS messages (
    msg_id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    execution_id TEXT,
    kind TEXT NOT NULL,
    event TEXT NOT NULL,
    visible_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_due ON messages(visible_at);
CREATE INDEX IF NOT EXISTS messages_instance ON messages(instance_id, msg_id);
CREATE TABLE IF NOT EXISTS activities (
    task_key INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    input TEXT,
    state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass
class Instance:
    """One row of ``instances``; JSON columns hold JSON *text*."""

    instance_id: str
    name: str
    execution_id: str
    status: str
    input: str | None
    output: str | None
    custom_status: str | None
    created_time: str
    last_updated_time: str
    parent: str | None
    # The orchestration version fixed at creation ("" = unversioned; devhost/versioning.py).
    version: str = ""

    @property
    def parent_info(self) -> dict[str, Any] | None:
        """The ``ParentInstance`` object of a sub-orchestration, or None."""
        return json.loads(self.parent) if self.parent else None


@dataclass
class Message:
    """A pending event for an instance (``kind``: start, event, terminate, suspend, resume)."""

    msg_id: int
    instance_id: str
    execution_id: str | None
    kind: str
    event: Event
    visible_at: str


@dataclass
class ActivityWork:
    """A scheduled activity invocation."""

    task_key: int
    instance_id: str
    execution_id: str
    task_id: int
    name: str
    input: str | None


class Tx:
    """Statements run inside one transaction (obtained from :meth:`Store.tx`)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        """Wrap the connection."""
        self.conn = conn
        self.changed = False

    # -- instances --------------------------------------------------------------------------
    def instance(self, instance_id: str) -> Instance | None:
        """Read one instance row."""
        row = self.conn.execute(
            "SELECT * FROM instances WHERE instance_id = ?", (instance_id,)
        ).fetchone()
        return _instance(row) if row else None

    def put_instance(self, inst: Instance) -> None:
        """Insert or replace an instance row."""
        self.changed = True
        self.conn.execute(
            "INSERT OR REPLACE INTO instances VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                inst.instance_id,
                inst.name,
                inst.execution_id,
                inst.status,
                inst.input,
                inst.output,
                inst.custom_status,
                inst.created_time,
                inst.last_updated_time,
                inst.parent,
                inst.version,
            ),
        )

    def query_instances(
        self,
        *,
        created_from: str | None = None,
        created_to: str | None = None,
        statuses: list[str] | None = None,
        prefix: str | None = None,
        after: tuple[str, str] | None = None,
        limit: int | None = None,
    ) -> list[Instance]:
        """Instances matching the filters, ordered by (created_time, instance_id)."""
        clauses, args = self._filters(created_from, created_to, statuses, prefix)
        if after is not None:
            clauses.append("(created_time, instance_id) > (?, ?)")
            args.extend(after)
        sql = "SELECT * FROM instances"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY created_time, instance_id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_instance(row) for row in self.conn.execute(sql, args)]

    @staticmethod
    def _filters(
        created_from: str | None,
        created_to: str | None,
        statuses: list[str] | None,
        prefix: str | None,
    ) -> tuple[list[str], list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []
        if created_from:
            clauses.append("created_time >= ?")
            args.append(created_from)
        if created_to:
            clauses.append("created_time <= ?")
            args.append(created_to)
        if statuses:
            clauses.append(f"status IN ({','.join('?' * len(statuses))})")
            args.extend(statuses)
        if prefix:
            clauses.append("substr(instance_id, 1, ?) = ?")
            args.extend([len(prefix), prefix])
        return clauses, args

    def delete_instance(self, instance_id: str) -> None:
        """Remove an instance and everything that belongs to it."""
        self.changed = True
        for table in ("instances", "history", "messages", "activities"):
            self.conn.execute(f"DELETE FROM {table} WHERE instance_id = ?", (instance_id,))  # noqa: S608

    # -- history ----------------------------------------------------------------------------
    def history(self, instance_id: str) -> list[Event]:
        """The current execution's history, in order."""
        rows = self.conn.execute(
            "SELECT event FROM history WHERE instance_id = ? ORDER BY seq", (instance_id,)
        )
        return [json.loads(row[0]) for row in rows]

    def append_history(self, instance_id: str, execution_id: str, events: list[Event]) -> None:
        """Append events after the last stored one."""
        self.changed = True
        start = self.conn.execute(
            "SELECT COALESCE(MAX(seq), -1) + 1 FROM history WHERE instance_id = ?",
            (instance_id,),
        ).fetchone()[0]
        self.conn.executemany(
            "INSERT INTO history VALUES (?,?,?,?)",
            [
                (instance_id, start + i, execution_id, json.dumps(item))
                for i, item in enumerate(events)
            ],
        )

    def clear_history(self, instance_id: str) -> None:
        """Forget the history (a new execution starts from scratch)."""
        self.changed = True
        self.conn.execute("DELETE FROM history WHERE instance_id = ?", (instance_id,))

    # -- messages ---------------------------------------------------------------------------
    def add_message(
        self,
        instance_id: str,
        execution_id: str | None,
        kind: str,
        event: Event,
        visible_at: str = "",
    ) -> None:
        """Queue an event for an instance; ``visible_at`` delays it (timers)."""
        self.changed = True
        self.conn.execute(
            "INSERT INTO messages (instance_id, execution_id, kind, event, visible_at) "
            "VALUES (?,?,?,?,?)",
            (instance_id, execution_id, kind, json.dumps(event), visible_at),
        )

    def messages(self, instance_id: str, now: str) -> list[Message]:
        """The instance's visible messages, oldest first."""
        rows = self.conn.execute(
            "SELECT * FROM messages WHERE instance_id = ? AND visible_at <= ? ORDER BY msg_id",
            (instance_id, now),
        )
        return [Message(**{**dict(row), "event": json.loads(row["event"])}) for row in rows]

    def delete_messages(self, msg_ids: list[int]) -> None:
        """Remove consumed messages."""
        if msg_ids:
            self.changed = True
            self.conn.executemany("DELETE FROM messages WHERE msg_id = ?", [(i,) for i in msg_ids])

    def drop_execution_messages(self, instance_id: str, execution_id: str) -> None:
        """Remove pending timers and completions addressed to an execution that ended."""
        self.changed = True
        self.conn.execute(
            "DELETE FROM messages WHERE instance_id = ? AND execution_id = ?",
            (instance_id, execution_id),
        )

    def cancel_timer(self, instance_id: str, execution_id: str, timer_id: int) -> None:
        """Drop the firing of a cancelled timer."""
        for row in self.conn.execute(
            "SELECT msg_id, event FROM messages WHERE instance_id = ? AND execution_id = ? "
            "AND visible_at != ''",
            (instance_id, execution_id),
        ).fetchall():
            if json.loads(row["event"]).get("TimerId") == timer_id:
                self.delete_messages([row["msg_id"]])

    def runnable_instance(self, now: str, skip: Collection[str] = ()) -> str | None:
        """The instance owning the oldest deliverable message, if any.

        ``skip``: execution ids to pass over (instances this host refused by version; their
        messages stay queued for a host that accepts them).
        """
        sql = (
            "SELECT m.instance_id FROM messages m JOIN instances i USING (instance_id) "
            "WHERE m.visible_at <= ? AND (i.status != 'Suspended' OR m.kind IN (?, ?))"
        )
        clause, args = _not_in("i.execution_id", skip)
        sql += clause + " ORDER BY m.msg_id LIMIT 1"
        row = self.conn.execute(sql, (now, *CONTROL_KINDS, *args)).fetchone()
        return row[0] if row else None

    def next_timer(self, now: str, skip: Collection[str] = ()) -> str | None:
        """When the next delayed message of a non-suspended, not skipped instance is due."""
        sql = (
            "SELECT MIN(m.visible_at) FROM messages m JOIN instances i USING (instance_id) "
            "WHERE m.visible_at > ? AND i.status != 'Suspended'"
        )
        clause, args = _not_in("i.execution_id", skip)
        row = self.conn.execute(sql + clause, (now, *args)).fetchone()
        return row[0] if row and row[0] else None

    # -- activities -------------------------------------------------------------------------
    def add_activity(
        self, instance_id: str, execution_id: str, task_id: int, name: str, input_: str | None
    ) -> None:
        """Schedule an activity invocation."""
        self.changed = True
        self.conn.execute(
            "INSERT INTO activities (instance_id, execution_id, task_id, name, input, state) "
            "VALUES (?,?,?,?,?, 'pending')",
            (instance_id, execution_id, task_id, name, input_),
        )

    def claim_activity(self) -> ActivityWork | None:
        """Mark the oldest pending activity as running and return it."""
        row = self.conn.execute(
            "SELECT task_key, instance_id, execution_id, task_id, name, input FROM activities "
            "WHERE state = 'pending' ORDER BY task_key LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        self.changed = True
        self.conn.execute(
            "UPDATE activities SET state = 'running' WHERE task_key = ?", (row["task_key"],)
        )
        return ActivityWork(**dict(row))

    def finish_activity(self, task_key: int) -> bool:
        """Remove a finished activity; False if it was cancelled meanwhile (instance ended)."""
        self.changed = True
        return (
            self.conn.execute("DELETE FROM activities WHERE task_key = ?", (task_key,)).rowcount > 0
        )

    def drop_pending_activities(self, instance_id: str, execution_id: str) -> None:
        """Forget activities not started yet for an execution that ended."""
        self.changed = True
        self.conn.execute(
            "DELETE FROM activities WHERE instance_id = ? AND execution_id = ? "
            "AND state = 'pending'",
            (instance_id, execution_id),
        )

    def activities_outstanding(self) -> int:
        """How many activities are pending or running."""
        return int(self.conn.execute("SELECT COUNT(*) FROM activities").fetchone()[0])

    def requeue_running_activities(self) -> int:
        """After a restart, run again whatever was running when the process died."""
        self.changed = True
        return self.conn.execute(
            "UPDATE activities SET state = 'pending' WHERE state = 'running'"
        ).rowcount

    # -- meta -------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        """Read a small persisted setting (e.g. the virtual clock's time)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Persist a small setting."""
        self.changed = True
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def _instance(row: sqlite3.Row) -> Instance:
    # Rows written before the version column existed read NULL: they were unversioned.
    fields = dict(row)
    fields["version"] = fields.get("version") or ""
    return Instance(**fields)


def _not_in(column: str, values: Collection[str]) -> tuple[str, list[str]]:
    """An ``AND column NOT IN (...)`` clause (empty when there is nothing to exclude)."""
    if not values:
        return "", []
    return f" AND {column} NOT IN ({','.join('?' * len(values))})", list(values)


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring a database made by an older devhost up to the current schema."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(instances)")}
    if "version" not in columns:
        conn.execute("ALTER TABLE instances ADD COLUMN version TEXT")


class Store:
    """The SQLite file and the lock that serialises access to it."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        """Open (and create) the database in WAL mode."""
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=30
        )
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before the caller acts on it (NORMAL survives a killed
        # process too, but not a power cut).
        self._conn.execute(f"PRAGMA synchronous={synchronous}")
        self._conn.executescript(_SCHEMA)
        _migrate(self._conn)
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every commit that changed something."""
        self._listeners.append(listener)

    @contextmanager
    def tx(self) -> Iterator[Tx]:
        """One transaction; committed on normal exit, rolled back on error."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            tx = Tx(self._conn)
            try:
                yield tx
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        if tx.changed:
            for listener in self._listeners:
                listener()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()
