"""The embedded store: one SQLite file in WAL mode.

One writer connection, guarded by a lock, applies each named commit in a
``BEGIN IMMEDIATE`` transaction; a separate read-only connection serves
``load`` and ``events`` so readers never wait for the write lock. The schema
comes from the numbered files in ``migrations/``. Every failure surfaces as
:class:`~nocontact.core.errors.StoreError`; nothing here reads settings.
"""

from __future__ import annotations

import json
import logging
import os
import pathlib
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import groupby
from types import TracebackType

import platformdirs

from nocontact.core.errors import StoreChanged, StoreError
from nocontact.core.model import Event
from nocontact.store.base import (
    REVISION,
    TABLES,
    ApiKeyRow,
    Bulk,
    Change,
    Delete,
    NewEvent,
    Put,
    Record,
    Snapshot,
    Sql,
    bulk_layout,
    rows_in,
)
from nocontact.store.dialect import SQLITE

__all__ = ["SQLiteStore", "default_path"]

log = logging.getLogger("nocontact.store")

MEMORY = ":memory:"
BUSY_TIMEOUT_MS = 5000
#: What the write-ahead log is cut back to once it has been copied into the file.
WAL_LIMIT_BYTES = 64 * 1024 * 1024
SYNCHRONOUS_MODES = frozenset({"OFF", "NORMAL", "FULL", "EXTRA"})
_MIGRATION_NAME = re.compile(r"^(\d{4})_[A-Za-z0-9_]+\.sql$")
_ADD_COLUMN = re.compile(r"\s*ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(\w+)", re.IGNORECASE)
_COMMENT = re.compile(r"--[^\n]*")


def default_path() -> pathlib.Path:
    """Where the embedded store lives when no path is given."""
    return platformdirs.user_data_path("nocontact") / "nocontact.db"


# --- SQL built from TABLES (the dialect-specific part) -----------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _delete_sql(table: str, columns: Sequence[str]) -> str:
    where = " AND ".join(f"{_quote(c)} = :{c}" for c in columns)
    return f"DELETE FROM {_quote(table)} WHERE {where}"


_UPSERT: Mapping[str, str] = {table: SQLITE.upsert(table) for table in TABLES}
_END_BOUNDARY = "DELETE FROM boundaries WHERE id = ? AND owner = ? AND ends = ?"
_INSERT_EVENT = "INSERT INTO events (revision, seq, at, type, data) VALUES (?, ?, ?, ?, ?)"
_MAX_REVISION = "SELECT COALESCE(MAX(revision), 0) FROM events"
_SELECT_KEYS = (
    "SELECT id, name, scope, hash, created, revoked FROM service_api_keys ORDER BY created"
)
#: Portable but for the parameter marks (``%s``; SQLite reads them as ``?``).
_REVOKE_KEY = "UPDATE service_api_keys SET revoked = %s WHERE id = %s AND revoked IS NULL"


def _columns(table: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    try:
        return TABLES[table]
    except KeyError:
        raise StoreError(f"unknown table {table!r}") from None


def _put_params(change: Put) -> dict[str, object]:
    """Every column of the table: a column the row leaves out becomes NULL."""
    keys, others = _columns(change.table)
    unknown = set(change.row) - set(keys) - set(others)
    if unknown:
        raise StoreError(f"unknown columns {sorted(unknown)} for table {change.table!r}")
    missing = [k for k in keys if change.row.get(k) is None]
    if missing:
        raise StoreError(f"row for table {change.table!r} lacks key columns {missing}")
    return {c: change.row.get(c) for c in keys + others}


def _delete_params(change: Delete) -> dict[str, object]:
    """The key columns, then the other columns the row must match (say, its owner)."""
    keys, others = _columns(change.table)
    if not set(keys) <= set(change.key) or set(change.key) - set(keys) - set(others):
        raise StoreError(
            f"key for table {change.table!r} must have the columns {list(keys)} "
            f"and only columns of the table, not {sorted(change.key)}"
        )
    extra = sorted(set(change.key) - set(keys))
    return {c: change.key[c] for c in (*keys, *extra)}


def _statement(change: Change, revision: int) -> tuple[str, dict[str, object]]:
    """The SQL and parameters that apply one change (parameters first: they validate)."""
    if isinstance(change, Put):
        params = _put_params(change)
        for column, value in params.items():
            if value is REVISION:
                params[column] = revision
        return _UPSERT[change.table], params
    params = _delete_params(change)
    return _delete_sql(change.table, tuple(params)), params


def _event_rows(revision: int, events: Sequence[NewEvent]) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for seq, event in enumerate(events):
        try:
            data = json.dumps(event.data, sort_keys=True, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise StoreError(f"event {event.type!r} has data that is not JSON: {exc}") from exc
        rows.append((revision, seq, event.at, event.type, data))
    return rows


# --- Bulk inserts -------------------------------------------------------------

#: The page cache of a bulk insert (KiB): the rows and the indexes made after them.
BULK_CACHE_KIB = 512 * 1024
_PARTIAL_INDEX = re.compile(r"\bWHERE\b", re.IGNORECASE)


def _literal(value: object) -> str:
    """A value alike in every row of a bulk insert, written into the statement once."""
    if value is None:
        return "NULL"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and "\0" not in value:
        return "'" + value.replace("'", "''") + "'"
    raise StoreError(f"a value alike in every bulk row must be text, an integer or None: {value!r}")


def _insert_bulk(conn: sqlite3.Connection, bulk: Bulk, revision: int) -> None:
    columns, same = bulk_layout(bulk, revision)
    table = _quote(bulk.table)
    head = f"INSERT INTO {table} ({', '.join(_quote(c) for c in columns)}) VALUES "
    values = f"({', '.join(['?'] * len(bulk.columns) + [_literal(v) for v in same])})"
    width = len(bulk.columns)

    @cache
    def statement(size: int) -> str:  # for items of ``size`` values: as many rows
        return head + ", ".join([values] * rows_in(size, width))

    later: list[str] = []
    if conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is None:
        found = conn.execute(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (bulk.table,),
        ).fetchall()
        for index, made in found:
            if not _PARTIAL_INDEX.search(made):
                conn.execute(f"DROP INDEX {_quote(index)}")
                later.append(made)
    for chunk in bulk.chunks:
        for size, items in groupby(chunk, len):
            conn.executemany(statement(size), items)
    for made in later:
        conn.execute(made)


@contextmanager
def _bulk_settings(conn: sqlite3.Connection) -> Iterator[None]:
    """A larger page cache for a bulk insert, the connection's own restored after it.

    Only a setting of speed: ``synchronous`` (what a commit syncs) stays. (Sorting
    in memory and sorter threads made the index after the rows slower, not faster.)
    """
    if conn.in_transaction:  # inside ``exclusive``: the cache stays as it is
        yield
        return
    before = int(conn.execute("PRAGMA cache_size").fetchone()[0])
    try:
        conn.execute(f"PRAGMA cache_size = {-BULK_CACHE_KIB:d}")
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {before:d}")


# --- Migrations ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    def statements(self) -> Iterator[str]:
        """Split the file into statements; a ``;`` inside a string or comment stays."""
        pending = ""
        for piece in self.sql.split(";"):
            pending += piece + ";"
            if sqlite3.complete_statement(pending):
                yield pending
                pending = ""
        # Whatever is left is comments and whitespace after the last statement.


def migrations() -> list[Migration]:
    """The numbered schema files shipped with the package, oldest first."""
    found: dict[int, Migration] = {}
    folder = resources.files("nocontact.store").joinpath("migrations")
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match is None:
            continue
        version = int(match.group(1))
        if version in found:
            raise StoreError(f"two migrations numbered {version:04d}")
        found[version] = Migration(version, entry.name, entry.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def _user_version(conn: sqlite3.Connection) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


def _migrate(conn: sqlite3.Connection, where: str) -> None:
    """Apply each migration newer than the database, each in its own transaction."""
    known = migrations()
    newest = known[-1].version if known else 0
    current = _user_version(conn)
    if current > newest:
        raise StoreError(
            f"{where} has schema version {current}, newer than this nocontact knows "
            f"({newest}); upgrade nocontact to open it"
        )
    for migration in known:
        if migration.version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            current = _user_version(conn)
            if migration.version <= current:
                conn.execute("ROLLBACK")
                continue
            for statement in migration.statements():
                if SQLITE.runs(statement) and not _adds_existing_column(conn, statement):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {migration.version:d}")
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"migration {migration.name} failed on {where}: {exc}") from exc
            raise
        log.info("applied migration %s to %s", migration.name, where)


def _adds_existing_column(conn: sqlite3.Connection, statement: str) -> bool:
    """Whether ``statement`` adds a column its table already has.

    SQLite has no ``ADD COLUMN IF NOT EXISTS``; tables that earlier versions made
    outside the migrations may have the column already.
    """
    match = _ADD_COLUMN.match(_COMMENT.sub("", statement))
    if match is None:
        return False
    table, column = match.groups()
    return any(row[1] == column for row in conn.execute(f"PRAGMA table_info({_quote(table)})"))


# --- The store ----------------------------------------------------------------


def _connect(database: str, *, uri: bool = False) -> sqlite3.Connection:
    # isolation_level=None: this module issues BEGIN/COMMIT itself.
    conn = sqlite3.connect(database, uri=uri, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
    except BaseException:
        conn.close()
        raise
    return conn


class _NothingToWrite(Exception):
    """Roll back: nothing was left to record (another writer came first)."""


class SQLiteStore:
    """The :class:`~nocontact.store.base.Store` protocol over one SQLite file."""

    def __init__(
        self,
        writer: sqlite3.Connection,
        reader: sqlite3.Connection | None,
        revision: int,
    ) -> None:
        """Use :meth:`open`; this only wires connections that are ready."""
        self._writer: sqlite3.Connection | None = writer
        # Reentrant: :meth:`exclusive` commits inside it, and a commit begun inside an
        # open ``sql`` write on the same thread fails at once rather than waiting for itself.
        self._write_lock = threading.RLock()
        self._held = False  # :meth:`exclusive` holds the file's write lock
        # In memory there is one connection, so reads share the writer's lock.
        self._reader: sqlite3.Connection | None = reader if reader is not None else writer
        self._read_lock = self._write_lock if reader is None else threading.RLock()
        self._revision = revision
        self._data_version = self._pragma_int(writer, "data_version")

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, synchronous: str = "FULL") -> SQLiteStore:
        """Open (creating if needed) the store at ``path``, or ``":memory:"``.

        ``synchronous`` is SQLite's setting: ``FULL`` (the default) makes every
        acknowledged commit survive a crash and a power loss.
        """
        mode = synchronous.upper()
        if mode not in SYNCHRONOUS_MODES:
            raise StoreError(
                f"synchronous must be one of {sorted(SYNCHRONOUS_MODES)}, not {synchronous!r}"
            )
        memory = os.fspath(path) == MEMORY
        where = MEMORY if memory else os.fspath(path)
        if not memory:
            file = pathlib.Path(path)
            try:
                file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for {where}: {exc}") from exc
        try:
            writer = _connect(where)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {where}: {exc}") from exc
        reader: sqlite3.Connection | None = None
        try:
            writer.execute(f"PRAGMA synchronous = {mode}")
            if not memory:
                journal = writer.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(journal).lower() != "wal":
                    raise StoreError(f"{where} cannot use WAL mode (journal_mode is {journal})")
                # A bulk import is one transaction, and the log grows as large as
                # it; once copied into the file the log shrinks back to this.
                writer.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT_BYTES:d}")
            _migrate(writer, where)
            revision = int(writer.execute(_MAX_REVISION).fetchone()[0])
            if not memory:
                uri = pathlib.Path(path).resolve().as_uri() + "?mode=ro"
                reader = _connect(uri, uri=True)
            return cls(writer, reader, revision)
        except sqlite3.DatabaseError as exc:
            writer.close()
            if reader is not None:
                reader.close()
            if "not a database" in str(exc):
                raise StoreError(f"{where} is not a SQLite database") from exc
            raise StoreError(f"cannot open {where}: {exc}") from exc
        except BaseException:
            writer.close()
            if reader is not None:
                reader.close()
            raise

    # -- Protocol ------------------------------------------------------------

    def commit(self, name: str, changes: Sequence[Change], events: Sequence[NewEvent]) -> int:
        """Apply ``changes`` and append ``events`` in one transaction named ``name``.

        A commit that changes rows must append at least one event: the event
        log is where a revision is recorded. An empty commit writes nothing and
        returns the current revision.
        """
        if not events:
            if changes:
                raise StoreError(
                    f"commit {name!r} changes rows but appends no event; "
                    "every write must append an event that records its revision"
                )
            return self.revision()

        def apply(conn: sqlite3.Connection, revision: int) -> None:
            for change in changes:
                conn.execute(*_statement(change, revision))

        return self._transaction(name, apply, events, len(changes))

    def _transaction(
        self,
        name: str,
        apply: Callable[[sqlite3.Connection, int], object],
        events: Sequence[NewEvent],
        changes: int = 0,
    ) -> int:
        """Run ``apply`` and append ``events`` under the next revision, in one transaction."""
        started = time.perf_counter()
        with self._writing(name) as conn:
            revision = self._next_revision(conn)
            apply(conn, revision)
            conn.executemany(_INSERT_EVENT, _event_rows(revision, events))
        self._revision = revision
        log.debug(
            "commit %s: revision %d, %d changes, %d events, %.3f ms",
            name,
            revision,
            changes,
            len(events),
            (time.perf_counter() - started) * 1000,
        )
        return revision

    @contextmanager
    def _writing(self, name: str) -> Iterator[sqlite3.Connection]:
        """One write transaction on the writer connection, committed unless the body
        raises; inside :meth:`exclusive`, a savepoint of the transaction it holds."""
        with self._write_lock:
            conn = self._open(self._writer)
            held = self._held
            try:
                conn.execute("SAVEPOINT write" if held else "BEGIN IMMEDIATE")
                yield conn
                conn.execute("RELEASE write" if held else "COMMIT")
            except BaseException as exc:
                if held:
                    conn.execute("ROLLBACK TO write")
                    conn.execute("RELEASE write")
                elif conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"commit {name!r} failed: {exc}") from exc
                raise

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the write lock of the file: no other process commits until this ends.

        The commits made inside are savepoints of the one transaction this
        holds, committed when it ends (also when the body raises after them).
        """
        with self._write_lock:
            if self._held or self._reader is self._writer:  # nested, or nobody else writes
                yield
                return
            conn = self._open(self._writer)
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot take the write lock: {exc}") from exc
            self._held = True
            try:
                yield
            finally:
                self._held = False
                try:
                    conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise StoreError(f"commit failed: {exc}") from exc

    def end_boundaries(
        self, name: str, due: Sequence[tuple[str, str, float, NewEvent]]
    ) -> tuple[int, list[str]]:
        """Delete the boundaries still stored with the end given, each with its event."""
        ended: list[str] = []
        try:
            with self._writing(name) as conn:
                revision = self._next_revision(conn)
                events = []
                for boundary_id, owner, ends, event in due:
                    cursor = conn.execute(_END_BOUNDARY, (boundary_id, owner, ends))
                    if cursor.rowcount:
                        ended.append(boundary_id)
                        events.append(event)
                if not events:  # another writer got there first: nothing to record
                    raise _NothingToWrite
                conn.executemany(_INSERT_EVENT, _event_rows(revision, events))
        except _NothingToWrite:
            return revision - 1, []
        self._revision = revision
        return revision, ended

    def load(self, *, skip_plain: bool = False, skip_persons: bool = False) -> Snapshot:
        """Every table in bulk, and the revision they reflect, from one read transaction."""
        with self._reading() as conn:
            tables = {
                table: self._select_all(conn, table, skip_plain and table == "boundaries")
                for table in TABLES
                if not (skip_persons and table == "persons")
            }
            revision = int(conn.execute(_MAX_REVISION).fetchone()[0])
            # The pages read in bulk are the index's now: free SQLite's cache of them.
            conn.execute("PRAGMA shrink_memory")
        return Snapshot(revision=revision, tables=tables)

    def select(self, table: str, where: Mapping[str, object]) -> list[dict[str, object]]:
        """The rows of ``table`` whose columns equal ``where``."""
        keys, others = _columns(table)
        unknown = set(where) - set(keys) - set(others)
        if unknown:
            raise StoreError(f"unknown columns {sorted(unknown)} for table {table!r}")
        clause = " AND ".join(f"{_quote(c)} = :{c}" for c in where) or "1"
        with self._reading() as conn:
            cursor = conn.execute(f"SELECT * FROM {_quote(table)} WHERE {clause}", dict(where))
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor]

    def bulk_insert(self, name: str, bulks: Sequence[Bulk], events: Sequence[NewEvent]) -> int:
        """Insert every row of ``bulks`` and append ``events`` in one transaction named ``name``.

        A table empty until now gets its rows before its indexes: each index
        but the key's is dropped and made again after the rows, inside the same
        transaction, so a failure leaves it as it was (a partial index stays: it
        files the few rows it covers as they come). A larger page cache lasts as
        long as the import; the commit syncs as every commit does.
        """

        if not events:
            raise StoreError(f"bulk insert {name!r} appends no event to record its revision")

        def apply(conn: sqlite3.Connection, revision: int) -> None:
            for bulk in bulks:
                _insert_bulk(conn, bulk, revision)

        with self._write_lock, _bulk_settings(self._open(self._writer)):
            return self._transaction(name, apply, events)

    def save_checkpoint(self, name: str, revision: int, data: bytes) -> None:
        """Keep ``data`` as the checkpoint ``name`` as of ``revision``."""
        with self._write_lock:
            conn = self._open(self._writer)
            try:
                conn.execute(
                    "INSERT INTO checkpoints (name, revision, data) VALUES (?, ?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET revision = excluded.revision, "
                    "data = excluded.data",
                    (name, revision, data),
                )
            except sqlite3.Error as exc:
                raise StoreError(f"saving checkpoint {name!r} failed: {exc}") from exc

    def checkpoint(self, name: str) -> tuple[int, bytes] | None:
        with self._reading() as conn:
            row = conn.execute(
                "SELECT revision, data FROM checkpoints WHERE name = ?", (name,)
            ).fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def events(self, after: int = 0, limit: int = 1000) -> list[Event]:
        """Events with a revision greater than ``after``, oldest first.

        A page never splits a revision: when ``limit`` falls inside one, the rest
        of its events come too, so ``after=page[-1].revision`` fetches the next page.
        """
        if limit <= 0:
            return []
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT revision, seq, at, type, data FROM events "
                "WHERE revision > ? ORDER BY revision, seq LIMIT ?",
                (after, limit),
            ).fetchall()
            if len(rows) == limit:
                last_revision, last_seq = rows[-1][0], rows[-1][1]
                rows += conn.execute(
                    "SELECT revision, seq, at, type, data FROM events "
                    "WHERE revision = ? AND seq > ? ORDER BY seq",
                    (last_revision, last_seq),
                ).fetchall()
        return [
            Event(revision=int(r[0]), at=float(r[2]), type=str(r[3]), data=json.loads(r[4]))
            for r in rows
        ]

    def revision(self) -> int:
        """The newest revision in the event log, written by this or any other process."""
        with self._reading() as conn:
            return int(conn.execute(_MAX_REVISION).fetchone()[0])

    def secret(self, name: str) -> bytes:
        """A secret of this database (migration 0003 makes them), or empty bytes."""
        with self._reading() as conn:
            row = conn.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
        return b"" if row is None else bytes(row[0])

    def counts(self, tables: Sequence[str]) -> dict[str, int]:
        for table in tables:
            _columns(table)
        with self._reading() as conn:
            return {
                t: int(conn.execute(f"SELECT COUNT(*) FROM {_quote(t)}").fetchone()[0])
                for t in tables
            }

    def api_keys(self) -> list[ApiKeyRow]:
        with self._reading() as conn:
            found = conn.execute(_SELECT_KEYS).fetchall()
        return [(r[0], r[1], r[2], bytes(r[3]), float(r[4]), r[5]) for r in found]

    def add_api_key(self, row: ApiKeyRow) -> None:
        self._key_write("INSERT INTO service_api_keys VALUES (?, ?, ?, ?, ?, ?)", row)

    def revoke_api_key(self, key_id: str, at: float) -> bool:
        return self._key_write(_REVOKE_KEY.replace("%s", "?"), (at, key_id)) == 1

    def _key_write(self, sql: str, params: Sequence[object]) -> int:
        with self._write_lock:
            try:
                return self._open(self._writer).execute(sql, params).rowcount
            except sqlite3.Error as exc:
                raise StoreError(f"writing an API key failed: {exc}") from exc

    def sql(self, name: str, *, write: bool = False) -> AbstractContextManager[Sql]:
        """Plain SQL on the reader connection, or in one ``BEGIN IMMEDIATE`` on the writer."""
        return self._plain_writing(name) if write else self._plain_reading()

    @contextmanager
    def _plain_reading(self) -> Iterator[Sql]:
        with self._reading() as conn:
            yield _SQLiteSql(conn)

    @contextmanager
    def _plain_writing(self, name: str) -> Iterator[Sql]:
        with self._writing(name) as conn:
            yield _SQLiteSql(conn)

    def close(self) -> None:
        """Close both connections. Calling it twice is harmless."""
        with self._write_lock:
            writer, self._writer = self._writer, None
            if self._read_lock is self._write_lock:
                reader, self._reader = None, None
            else:
                with self._read_lock:
                    reader, self._reader = self._reader, None
        if writer is not None:
            writer.close()
        if reader is not None:
            reader.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- Helpers -------------------------------------------------------------

    @staticmethod
    def _open(conn: sqlite3.Connection | None) -> sqlite3.Connection:
        if conn is None:
            raise StoreError("the store is closed")
        return conn

    @staticmethod
    def _pragma_int(conn: sqlite3.Connection, pragma: str) -> int:
        value: int = conn.execute(f"PRAGMA {pragma}").fetchone()[0]
        return value

    def _next_revision(self, conn: sqlite3.Connection) -> int:
        """The revision after the newest; refuse if another connection wrote unseen.

        A write validated against a state that another process has since
        changed could undo that change: the caller catches up and tries again.
        """
        if self._others_wrote(conn):
            raise StoreChanged("another writer changed the store since it was read")
        return self._revision + 1

    def _others_wrote(self, conn: sqlite3.Connection) -> bool:
        """Whether another connection appended to the event log since ``mark_read``.

        ``data_version`` moves for any write by another connection; when the log's
        newest revision has not, that write was only plain SQL (``sql``) on the
        tables beside the engine's, and is forgotten here.
        """
        version = self._pragma_int(conn, "data_version")
        if version == self._data_version:
            return False
        if int(conn.execute(_MAX_REVISION).fetchone()[0]) != self._revision:
            return True
        self._data_version = version
        return False

    def written_elsewhere(self) -> bool:
        """Whether another connection (another process) committed since ``mark_read``.

        One ``PRAGMA data_version`` on the writer connection (and, only when it
        moved, the newest revision): cheap enough to ask once per request.
        """
        if not self._write_lock.acquire(blocking=False):
            # Our own write is in flight: it checks the same thing inside its
            # transaction, so a reader need not wait for its disk flush.
            return False
        try:
            return self._others_wrote(self._open(self._writer))
        finally:
            self._write_lock.release()

    def listen(self, wake: Callable[[], None]) -> bool:
        """SQLite sends no notifications: ``written_elsewhere`` (one pragma) is the way."""
        return False

    def mark_read(self) -> None:
        """Call before reading the whole store: writes seen from here on are new."""
        with self._write_lock:
            conn = self._open(self._writer)
            self._data_version = self._pragma_int(conn, "data_version")
            self._revision = int(conn.execute(_MAX_REVISION).fetchone()[0])

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """The reader connection inside one read transaction, under the read lock.

        A read inside another on the same thread (or, in memory, inside a write)
        joins the transaction already open.
        """
        with self._read_lock:
            conn = self._open(self._reader)
            if conn.in_transaction:
                yield conn
                return
            try:
                conn.execute("BEGIN")
                try:
                    yield conn
                finally:
                    conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreError(f"read failed: {exc}") from exc

    @staticmethod
    def _select_all(
        conn: sqlite3.Connection, table: str, skip_plain: bool = False
    ) -> list[dict[str, object]]:
        where = " WHERE plain IS NOT 1" if skip_plain else ""
        cursor = conn.execute(f"SELECT * FROM {_quote(table)}{where}")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]


class _SQLiteSql:
    """:class:`~nocontact.store.base.Sql` on one connection inside its transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def all(self, sql: str, params: Sequence[object] = ()) -> list[Record]:
        cursor = self._conn.execute(sql, params)
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def one(self, sql: str, params: Sequence[object] = ()) -> Record | None:
        cursor = self._conn.execute(sql, params)
        row = cursor.fetchone()
        cursor.close()  # ends the statement (a RETURNING one too) before the commit
        if row is None:
            return None
        return dict(zip([d[0] for d in cursor.description], row, strict=True))

    def run(self, sql: str, params: Sequence[object] = ()) -> int:
        return self._conn.execute(sql, params).rowcount
