"""Held and sealed attempts: what the owner can open later.

Every call or message that nocontact held (a ``space``) or sealed (a block
with ``keep_evidence``) is one row: the owner, the caller's address, the
channel, the outcome, the boundary that decided, the time, and whether the
caller was told the space message on that attempt (they are told once per
space). Only metadata: the content of a message and the media of a call stay
with the network (sealed in its archive), never here.

The rows live in the store's SQLite file, in this module's own table with its
own numbered migrations (``telephony_migrations``), like the service's key
table: an owner's phone screen and evidence archive read them through
:meth:`Attempts.list` (``GET /v1/attempts``, ``nocontact attempts``).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from nocontact.core.errors import StoreError

#: Numbered migrations, applied in order once each.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE telephony_attempts (
        id INTEGER PRIMARY KEY,
        owner TEXT NOT NULL,
        caller TEXT NOT NULL,
        channel TEXT NOT NULL,
        outcome TEXT NOT NULL,
        sealed INTEGER NOT NULL,
        boundary TEXT NOT NULL,
        announced INTEGER NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX telephony_attempts_by_owner ON telephony_attempts (owner, id);
    CREATE INDEX telephony_attempts_told ON telephony_attempts (boundary, caller)
        WHERE announced = 1;
    """,
)


@dataclass(frozen=True, slots=True)
class Attempt:
    id: int
    owner: str
    caller: str
    channel: str  # "call" or "sms"
    outcome: str  # "hold" or "drop"
    sealed: bool
    boundary: str
    announced: bool
    at: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class Attempts:
    """The ``telephony_attempts`` table of one SQLite file; safe across threads."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._conn.execute("PRAGMA busy_timeout = 5000")
            self._conn.execute("PRAGMA synchronous = FULL")
            self._migrate()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the attempts table in {path}: {exc}") from exc
        self._lock = threading.Lock()
        self._closed = False

    def _migrate(self) -> None:
        conn = self._conn
        conn.execute(
            "CREATE TABLE IF NOT EXISTS telephony_migrations (version INTEGER PRIMARY KEY)"
        )
        conn.execute("BEGIN IMMEDIATE")
        try:
            done = {r[0] for r in conn.execute("SELECT version FROM telephony_migrations")}
            for version, sql in enumerate(MIGRATIONS, start=1):
                if version not in done:
                    for statement in filter(str.strip, sql.split(";")):
                        conn.execute(statement)
                    conn.execute("INSERT INTO telephony_migrations VALUES (?)", (version,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def told(self, boundary: str, caller: str) -> bool:
        """Was ``caller`` already told the space message of ``boundary``?"""
        with self._lock:
            row = self._conn.execute(
                "SELECT 1 FROM telephony_attempts WHERE boundary = ? AND caller = ?"
                " AND announced = 1 LIMIT 1",
                (boundary, caller),
            ).fetchone()
        return row is not None

    def record(
        self,
        *,
        owner: str,
        caller: str,
        channel: str,
        outcome: str,
        sealed: bool,
        boundary: str,
        announced: bool,
        at: float,
    ) -> Attempt:
        """Keep one attempt; durable when this returns."""
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO telephony_attempts"
                " (owner, caller, channel, outcome, sealed, boundary, announced, at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (owner, caller, channel, outcome, int(sealed), boundary, int(announced), at),
            )
        row_id = cursor.lastrowid
        assert row_id is not None
        return Attempt(row_id, owner, caller, channel, outcome, sealed, boundary, announced, at)

    def list(self, owner: str, *, after: int = 0, limit: int = 100) -> list[Attempt]:
        """The owner's attempts, oldest first, with ids above ``after``."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, owner, caller, channel, outcome, sealed, boundary, announced, at"
                " FROM telephony_attempts WHERE owner = ? AND id > ? ORDER BY id LIMIT ?",
                (owner, after, limit),
            ).fetchall()
        return [
            Attempt(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], bool(r[7]), r[8]) for r in rows
        ]
