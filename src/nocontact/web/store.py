"""The app's content store: its own ``web_`` tables in the engine's SQLite file.

Only the gateway (:mod:`nocontact.web.gateway`) may use this module: a test
fails if a route or anything else imports it or names a content table. The
schema comes from the numbered files in ``web/migrations/``; the version is
kept in ``web_schema`` so that it never meets the engine's own
``user_version``. One connection, guarded by a lock; each write is one
transaction.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

Row = sqlite3.Row
_MIGRATION = re.compile(r"^(\d{4})_web_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str]]:
    """The app's numbered schema files, oldest first."""
    folder = resources.files("nocontact.web").joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION.match(entry.name)
        if match is not None:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)


class ContentStore:
    """The web tables of one SQLite file (``:memory:`` for a throwaway)."""

    def __init__(self, path: str | Path) -> None:
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA busy_timeout = 5000")
        self._lock = threading.RLock()
        self._migrate()

    def _migrate(self) -> None:
        with self.transaction():
            self._conn.execute("CREATE TABLE IF NOT EXISTS web_schema (version INTEGER NOT NULL)")
            row = self._conn.execute("SELECT MAX(version) FROM web_schema").fetchone()
            current = int(row[0] or 0)
            for version, sql in migrations():
                if version > current:
                    for statement in _statements(sql):
                        self._conn.execute(statement)
                    self._conn.execute("INSERT INTO web_schema (version) VALUES (?)", (version,))

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; nested uses join the outer one."""
        with self._lock:
            if self._conn.in_transaction:
                yield self._conn
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        with self._lock:
            return list(self._conn.execute(sql, params).fetchall())

    def one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        with self._lock:
            found: Row | None = self._conn.execute(sql, params).fetchone()
            return found

    def run(self, sql: str, params: Sequence[object] = ()) -> int:
        """Execute one write in its own transaction (or the open one); the new row id."""
        with self.transaction() as conn:
            cursor = conn.execute(sql, params)
            return int(cursor.lastrowid or 0)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _statements(sql: str) -> Iterator[str]:
    pending = ""
    for piece in sql.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            yield pending
            pending = ""
