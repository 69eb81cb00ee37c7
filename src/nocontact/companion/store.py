"""The companion's store: its own tables in the engine's SQLite file.

The companion keeps what a person writes apart from the boundaries engine:
its tables carry a ``companion_`` prefix, its numbered migrations live in
``companion/migrations/`` and are tracked in ``companion_schema`` (the engine's
``user_version`` is left alone), and nothing here appends to the engine's event
log, so no companion write ever shows in ``/v1/events``. Rows hold only
ciphertext for content (see :mod:`.crypto`); the clear part of a record is its
person, its kind and a random id.

Deletes run with ``PRAGMA secure_delete = ON`` (SQLite overwrites freed
content with zeros) and are followed by a WAL checkpoint that truncates the
log, so a burned letter leaves no copy in the file or in its WAL.

Nothing here logs a record, a key or a passphrase.
"""

from __future__ import annotations

import os
import pathlib
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from types import TracebackType

from nocontact.core.errors import StoreError

from .crypto import KdfParams, WrappedKey

__all__ = ["CompanionStore", "Row"]

MEMORY = ":memory:"
BUSY_TIMEOUT_MS = 5000
_MIGRATION_NAME = re.compile(r"^(\d{4})_[A-Za-z0-9_]+\.sql$")
#: Every table the companion owns: "delete everything" empties each for a person.
TABLES = ("companion_records", "companion_keys")


@dataclass(frozen=True, slots=True)
class Row:
    kind: str
    id: str
    body: bytes


def _migrations() -> list[tuple[int, str, str]]:
    found: dict[int, tuple[int, str, str]] = {}
    folder = resources.files("nocontact.companion").joinpath("migrations")
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match is None:
            continue
        version = int(match.group(1))
        if version in found:
            raise StoreError(f"two companion migrations numbered {version:04d}")
        found[version] = (version, entry.name, entry.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def _statements(sql: str) -> Iterator[str]:
    pending = ""
    for piece in sql.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            yield pending
            pending = ""


def _migrate(conn: sqlite3.Connection) -> None:
    """Apply each companion migration newer than the file, each in its own transaction."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS companion_schema "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL)"
    )
    known = _migrations()
    for version, name, sql in known:
        conn.execute("BEGIN IMMEDIATE")
        try:
            done = conn.execute(
                "SELECT 1 FROM companion_schema WHERE version = ?", (version,)
            ).fetchone()
            if done is None:
                for statement in _statements(sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO companion_schema (version, name) VALUES (?, ?)", (version, name)
                )
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"companion migration {name} failed: {exc}") from exc
            raise
    newest = conn.execute("SELECT MAX(version) FROM companion_schema").fetchone()[0]
    if known and newest is not None and newest > known[-1][0]:
        raise StoreError(
            f"the companion's schema version {newest} is newer than this nocontact knows"
        )


class CompanionStore:
    """Sealed records and wrapped keys, one connection guarded by a lock."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        """Use :meth:`open`."""
        self._conn: sqlite3.Connection | None = conn
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> CompanionStore:
        """Open the companion's tables in the SQLite file at ``path`` (creating them)."""
        where = os.fspath(path)
        if where != MEMORY:
            pathlib.Path(where).parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(where, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {where}: {exc}") from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
            conn.execute("PRAGMA secure_delete = ON")
            conn.execute("PRAGMA synchronous = FULL")
            if where != MEMORY:
                conn.execute("PRAGMA journal_mode = WAL")
            _migrate(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"cannot open the companion's tables in {where}: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        return cls(conn)

    @contextmanager
    def _tx(self, name: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._conn
            if conn is None:
                raise StoreError("the companion store is closed")
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"companion {name} failed: {exc}") from exc
                raise

    # -- keys ------------------------------------------------------------------

    def key(self, person: str) -> WrappedKey | None:
        with self._tx("read_key") as conn:
            row = conn.execute(
                "SELECT salt, kdf, wrapped FROM companion_keys WHERE person = ?", (person,)
            ).fetchone()
        if row is None:
            return None
        return WrappedKey(person, bytes(row[0]), KdfParams.from_json(row[1]), bytes(row[2]))

    def put_key(self, key: WrappedKey) -> None:
        """Store a new wrapped key, or replace it after a passphrase change."""
        with self._tx("put_key") as conn:
            conn.execute(
                "INSERT INTO companion_keys (person, salt, kdf, wrapped) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (person) DO UPDATE SET salt = excluded.salt, kdf = excluded.kdf, "
                "wrapped = excluded.wrapped",
                (key.person, key.salt, key.params.to_json(), key.wrapped),
            )

    # -- records ---------------------------------------------------------------

    def put(self, person: str, kind: str, record_id: str, body: bytes) -> None:
        with self._tx("put_record") as conn:
            conn.execute(
                "INSERT INTO companion_records (person, kind, id, body) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (person, kind, id) DO UPDATE SET body = excluded.body",
                (person, kind, record_id, body),
            )

    def get(self, person: str, kind: str, record_id: str) -> bytes | None:
        with self._tx("read_record") as conn:
            row = conn.execute(
                "SELECT body FROM companion_records WHERE person = ? AND kind = ? AND id = ?",
                (person, kind, record_id),
            ).fetchone()
        return None if row is None else bytes(row[0])

    def rows(self, person: str, kind: str | None = None) -> list[Row]:
        """A person's records, of one kind or all."""
        sql = "SELECT kind, id, body FROM companion_records WHERE person = ?"
        params: tuple[str, ...] = (person,)
        if kind is not None:
            sql += " AND kind = ?"
            params += (kind,)
        with self._tx("read_records") as conn:
            found = conn.execute(sql + " ORDER BY kind, id", params).fetchall()
        return [Row(str(k), str(i), bytes(b)) for k, i, b in found]

    def delete(self, person: str, kind: str, record_id: str) -> bool:
        """Securely delete one record (a burned letter). True if it was there."""
        with self._tx("delete_record") as conn:
            gone = conn.execute(
                "DELETE FROM companion_records WHERE person = ? AND kind = ? AND id = ?",
                (person, kind, record_id),
            ).rowcount
        self._truncate_wal()
        return gone > 0

    def delete_person(self, person: str) -> int:
        """Securely delete every row the companion holds for ``person``, key included."""
        with self._tx("delete_person") as conn:
            gone = sum(
                conn.execute(f"DELETE FROM {table} WHERE person = ?", (person,)).rowcount
                for table in TABLES
            )
        self._truncate_wal()
        return gone

    def count(self, person: str) -> int:
        """How many rows of any companion table belong to ``person``."""
        with self._tx("count") as conn:
            return sum(
                int(
                    conn.execute(
                        f"SELECT COUNT(*) FROM {t} WHERE person = ?", (person,)
                    ).fetchone()[0]
                )
                for t in TABLES
            )

    def _truncate_wal(self) -> None:
        """Fold the WAL into the file and empty it, so deleted pages leave no old frame.

        Another connection reading at that moment keeps the log busy; the
        checkpoint then does what it can and SQLite's next one finishes it.
        """
        with self._lock:
            if self._conn is not None:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- lifecycle -------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def __enter__(self) -> CompanionStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
