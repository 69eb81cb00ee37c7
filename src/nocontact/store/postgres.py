"""The production store: PostgreSQL through psycopg 3 and a connection pool.

The same protocol, tables and numbered migrations as the SQLite store, with
the dialect's differences behind ``dialect.POSTGRES``. Each commit is one named
transaction (its name is the session's ``application_name`` while it runs, and
in the log) that first takes a transaction-scoped advisory lock: writers follow
one another, so revisions (the event log's ``MAX(revision) + 1``) are assigned
in commit order and a reader never sees revision ``n + 1`` before ``n``. A
serialization failure or deadlock is retried inside the store; a lost
connection surfaces as :class:`~nocontact.core.errors.StoreError`.

Each commit also notifies the store's channel (one per schema) of its
revision. A store asked to :meth:`~PostgresStore.listen` keeps a
:class:`~nocontact.store.pg_listen.Listener` on that channel: from then on
``written_elsewhere`` costs no query while the listener is connected.

Only this module imports psycopg, and only when a PostgreSQL URL is opened.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

from nocontact.core.errors import StoreChanged, StoreError
from nocontact.core.model import Event
from nocontact.store.base import (
    REVISION,
    TABLES,
    ApiKeyRow,
    Bulk,
    Change,
    NewEvent,
    Put,
    Record,
    Snapshot,
    Sql,
    bulk_layout,
    bulk_rows,
)
from nocontact.store.dialect import POSTGRES
from nocontact.store.pg_listen import Listener, channel_for
from nocontact.store.sqlite import (
    _END_BOUNDARY,
    _REVOKE_KEY,
    _SELECT_KEYS,
    _delete_params,
    _event_rows,
    _put_params,
    migrations,
)

if TYPE_CHECKING:
    import psycopg
    import psycopg_pool

__all__ = ["PostgresStore", "is_postgres_url"]

log = logging.getLogger("nocontact.store")

#: The advisory lock every writer holds for its transaction (the word "nocontact").
WRITE_LOCK = 0x6E6F636F6E74
#: How many times a transaction is tried again after a serialization failure.
RETRIES = 5
#: Seconds a request waits for a pooled connection; far less while the server is down.
POOL_WAIT = 5.0
DOWN_WAIT = 0.1
_MAX_REVISION = "SELECT COALESCE(MAX(revision), 0) FROM events"
_INSERT_EVENT = "INSERT INTO events (revision, seq, at, type, data) VALUES (%s, %s, %s, %s, %s)"
#: Sent inside each commit's transaction: delivered to listeners when it commits.
_NOTIFY = "SELECT pg_notify(%s, %s)"
#: The transaction's name, seen in ``pg_stat_activity`` while it runs.
_NAME_TRANSACTION = "SELECT set_config('application_name', %s, true)"
_UPSERT = {table: POSTGRES.upsert(table) for table in TABLES}


def is_postgres_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def _psycopg() -> tuple[Any, Any]:
    try:
        import psycopg
        import psycopg_pool
    except ImportError as exc:  # pragma: no cover - depends on what is installed
        raise StoreError(
            "a postgresql:// database needs psycopg: pip install 'nocontact[postgres]'"
        ) from exc
    return psycopg, psycopg_pool


class PostgresStore:
    """The :class:`~nocontact.store.base.Store` protocol over one PostgreSQL database."""

    def __init__(self, pool: psycopg_pool.ConnectionPool, url: str) -> None:
        """Use :meth:`open`."""
        self._pool: psycopg_pool.ConnectionPool | None = pool
        self._url = url
        self._psycopg, _ = _psycopg()
        self._lock = threading.Lock()
        self._write_lock = threading.RLock()  # :meth:`exclusive` commits inside it
        #: The connection holding the session write lock, inside :meth:`exclusive`.
        self._held: psycopg.Connection[Any] | None = None
        self._listener: Listener | None = None
        #: The listener's epoch when ``mark_read`` last read the newest revision.
        self._read_epoch = 0
        self._revision = self.revision()
        with self._reading() as cur:
            cur.execute("SELECT COALESCE(current_schema(), 'public')")
            row = cur.fetchone()
        #: Where commits announce their revision (see ``listen``).
        self.channel = channel_for(str(row[0]) if row else "public")

    @classmethod
    def open(cls, url: str, *, pool_size: int = 4) -> PostgresStore:
        """Connect (migrating the schema if needed) to the database at ``url``."""
        psycopg, psycopg_pool = _psycopg()
        try:
            pool = psycopg_pool.ConnectionPool(
                url,
                min_size=1,
                max_size=pool_size,
                kwargs={"autocommit": True},
                open=False,
                name="nocontact",
            )
            pool.open(wait=True, timeout=10)
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {exc}") from exc
        try:
            with pool.connection() as conn:
                _migrate(conn)
            return cls(pool, url)
        except BaseException:
            pool.close()
            raise

    # -- writes ------------------------------------------------------------------

    def commit(self, name: str, changes: Sequence[Change], events: Sequence[NewEvent]) -> int:
        if not events:
            if changes:
                raise StoreError(
                    f"commit {name!r} changes rows but appends no event; "
                    "every write must append an event that records its revision"
                )
            return self.revision()
        statements = [_statement(c) for c in changes]  # validates before any I/O
        _event_rows(0, events)  # refuses data that is not JSON, before any I/O

        def apply(cur: psycopg.Cursor[Any], revision: int) -> list[NewEvent]:
            for sql, params in statements:
                cur.execute(sql, {k: revision if v is REVISION else v for k, v in params.items()})
            return list(events)

        return self._transaction(name, apply, check=True)[0]

    def end_boundaries(
        self, name: str, due: Sequence[tuple[str, str, float, NewEvent]]
    ) -> tuple[int, list[str]]:
        ended: list[str] = []

        def apply(cur: psycopg.Cursor[Any], revision: int) -> list[NewEvent]:
            ended.clear()
            events = []
            for boundary_id, owner, ends, event in due:
                cur.execute(POSTGRES.plain(_END_BOUNDARY), (boundary_id, owner, ends))
                if cur.rowcount:
                    ended.append(boundary_id)
                    events.append(event)
            return events

        revision, written = self._transaction(name, apply, check=False)
        return (revision, list(ended)) if written else (self.revision(), [])

    def bulk_insert(self, name: str, bulks: Sequence[Bulk], events: Sequence[NewEvent]) -> int:
        """Every row of ``bulks`` by COPY, and ``events``, in one transaction named ``name``."""

        if not events:
            raise StoreError(f"bulk insert {name!r} appends no event to record its revision")

        def apply(cur: psycopg.Cursor[Any], revision: int) -> list[NewEvent]:
            for bulk in bulks:
                columns, same = bulk_layout(bulk, revision)
                names = ", ".join(f'"{c}"' for c in columns)
                width = len(bulk.columns)
                with cur.copy(f'COPY "{bulk.table}" ({names}) FROM STDIN') as copy:
                    for chunk in bulk.chunks:
                        for item in chunk:
                            for row in bulk_rows(item, width):
                                copy.write_row((*row, *same))
            return list(events)

        return self._transaction(name, apply, check=False)[0]

    def _transaction(
        self,
        name: str,
        apply: Callable[[psycopg.Cursor[Any], int], list[NewEvent]],
        *,
        check: bool,
    ) -> tuple[int, bool]:
        """Run ``apply`` under the next revision and append the events it returns.

        Returns the revision and whether anything was written. With ``check``,
        refuse (``StoreChanged``) when another writer committed since ``mark_read``.
        """
        started = time.perf_counter()
        with self._write_lock:  # this process's writers queue here, not on the server
            revision, written = self._attempts(name, apply, check=check)
        if written:
            log.debug(
                "commit %s: revision %d, %.3f ms",
                name,
                revision,
                (time.perf_counter() - started) * 1000,
            )
        return revision, written

    def _attempts(
        self,
        name: str,
        apply: Callable[[psycopg.Cursor[Any], int], list[NewEvent]],
        *,
        check: bool,
    ) -> tuple[int, bool]:
        psycopg = self._psycopg
        for attempt in range(RETRIES):
            try:
                with self._writer() as conn, conn.transaction(), conn.cursor() as cur:
                    cur.execute(
                        "SELECT set_config('application_name', %s, true)", (f"nocontact:{name}",)
                    )
                    cur.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                    newest = _int(cur, _MAX_REVISION)
                    with self._lock:
                        if check and newest != self._revision:
                            if self._listener is not None:  # so the next check says so
                                self._listener.heard(newest)
                            raise StoreChanged("another writer changed the store since it was read")
                    revision = newest + 1
                    events = apply(cur, revision)
                    if not events:
                        raise _NothingToWrite
                    cur.executemany(_INSERT_EVENT, _event_rows(revision, events))
                    cur.execute(_NOTIFY, (self.channel, str(revision)))
                break
            except _NothingToWrite:
                return newest, False
            except (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected):
                if attempt == RETRIES - 1:
                    raise StoreError(f"commit {name!r} kept conflicting; try again") from None
                time.sleep(0.005 * (attempt + 1))
            except psycopg.Error as exc:
                raise StoreError(f"commit {name!r} failed: {exc}") from exc
        with self._lock:
            self._revision = max(self._revision, revision)
        return revision, True

    def save_checkpoint(self, name: str, revision: int, data: bytes) -> None:
        try:
            with self._connection() as conn:
                conn.execute(
                    "INSERT INTO checkpoints (name, revision, data) VALUES (%s, %s, %s) "
                    "ON CONFLICT (name) DO UPDATE SET revision = excluded.revision, "
                    "data = excluded.data",
                    (name, revision, data),
                )
        except self._psycopg.Error as exc:
            raise StoreError(f"saving checkpoint {name!r} failed: {exc}") from exc

    # -- reads -------------------------------------------------------------------

    def load(self, *, skip_plain: bool = False, skip_persons: bool = False) -> Snapshot:
        """Every table and the revision they reflect, from one repeatable-read snapshot."""
        with self._reading(snapshot=True) as cur:
            tables: dict[str, list[dict[str, object]]] = {}
            for table in TABLES:
                if skip_persons and table == "persons":
                    continue
                where = (
                    " WHERE plain IS DISTINCT FROM 1"
                    if skip_plain and table == "boundaries"
                    else ""
                )
                cur.execute(f'SELECT * FROM "{table}"{where}')
                tables[table] = _dicts(cur)
            revision = _int(cur, _MAX_REVISION)
        return Snapshot(revision=revision, tables=tables)

    def select(self, table: str, where: Mapping[str, object]) -> list[dict[str, object]]:
        keys, others = _columns(table)
        unknown = set(where) - set(keys) - set(others)
        if unknown:
            raise StoreError(f"unknown columns {sorted(unknown)} for table {table!r}")
        with self._reading() as cur:
            cur.execute(POSTGRES.select(table, tuple(where)), dict(where))
            return _dicts(cur)

    def checkpoint(self, name: str) -> tuple[int, bytes] | None:
        with self._reading() as cur:
            cur.execute("SELECT revision, data FROM checkpoints WHERE name = %s", (name,))
            row = cur.fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def events(self, after: int = 0, limit: int = 1000) -> list[Event]:
        """Events after ``after``, oldest first; a page never splits a revision."""
        if limit <= 0:
            return []
        with self._reading(snapshot=True) as cur:
            cur.execute(
                "SELECT revision, seq, at, type, data FROM events "
                "WHERE revision > %s ORDER BY revision, seq LIMIT %s",
                (after, limit),
            )
            rows = cur.fetchall()
            if len(rows) == limit:
                cur.execute(
                    "SELECT revision, seq, at, type, data FROM events "
                    "WHERE revision = %s AND seq > %s ORDER BY seq",
                    (rows[-1][0], rows[-1][1]),
                )
                rows += cur.fetchall()
        return [
            Event(revision=int(r[0]), at=float(r[2]), type=str(r[3]), data=json.loads(r[4]))
            for r in rows
        ]

    def revision(self) -> int:
        with self._reading() as cur:
            return _int(cur, _MAX_REVISION)

    def written_elsewhere(self) -> bool:
        """Whether the log has a revision this store has not seen.

        With a listener: no query. A notification newer than what this store
        read means yes; so does a listener that is not connected, or that
        connected again since ``mark_read`` (notifications may have been
        missed: the caller catches up by revision). Without one: one index
        lookup of the newest revision.
        """
        listener = self._listener
        if listener is None:
            newest = self.revision()
            with self._lock:
                return newest != self._revision
        with self._lock:
            if not listener.listening or listener.epoch != self._read_epoch:
                return True
            return listener.notified > self._revision

    def mark_read(self) -> None:
        listener = self._listener
        epoch = listener.epoch if listener is not None else 0  # before the read, not after
        newest = self.revision()
        with self._lock:
            self._revision = newest
            self._read_epoch = epoch

    def listen(self, wake: Callable[[], None]) -> bool:
        """Start this store's listener (once); it calls ``wake`` from its thread."""
        with self._lock:
            if self._pool is None:
                raise StoreError("the store is closed")
            if self._listener is None:
                self._listener = Listener(
                    self._url, self.channel, wake=wake, reconnected=self._check_pool
                )
        return True

    @property
    def listener_pid(self) -> int | None:
        """The server process of the listening connection, while one listens."""
        listener = self._listener
        return listener.pid if listener is not None and listener.listening else None

    def _check_pool(self) -> None:
        """After an outage, replace the pool's dead connections before anyone meets them."""
        pool = self._pool
        if pool is None:
            return
        try:
            pool.check()
        except Exception as exc:  # the next request reports it as a problem
            log.warning("checking the pool's connections failed: %s", exc)

    def secret(self, name: str) -> bytes:
        with self._reading() as cur:
            cur.execute("SELECT value FROM secrets WHERE name = %s", (name,))
            row = cur.fetchone()
        return b"" if row is None else bytes(row[0])

    def counts(self, tables: Sequence[str]) -> dict[str, int]:
        for table in tables:
            _columns(table)
        with self._reading() as cur:
            return {t: _int(cur, f'SELECT COUNT(*) FROM "{t}"') for t in tables}

    def api_keys(self) -> list[ApiKeyRow]:
        with self._reading() as cur:
            cur.execute(_SELECT_KEYS)
            found = cur.fetchall()
        return [(r[0], r[1], r[2], bytes(r[3]), float(r[4]), r[5]) for r in found]

    def add_api_key(self, row: ApiKeyRow) -> None:
        self._key_write("INSERT INTO service_api_keys VALUES (%s, %s, %s, %s, %s, %s)", row)

    def revoke_api_key(self, key_id: str, at: float) -> bool:
        return self._key_write(_REVOKE_KEY, (at, key_id)) == 1

    def _key_write(self, sql: str, params: Sequence[object]) -> int:
        try:
            with self._connection() as conn, conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.rowcount
        except self._psycopg.Error as exc:
            raise StoreError(f"writing an API key failed: {exc}") from exc

    def sql(self, name: str, *, write: bool = False) -> AbstractContextManager[Sql]:
        return self._plain(name, write)

    @contextmanager
    def _plain(self, name: str, write: bool) -> Iterator[Sql]:
        """A write: one transaction on a pooled connection, named like a commit (the
        engine's writers never wait for it). A read: each statement on its own, one
        round trip (the edge modules read with single statements, often on the loop)."""
        try:
            with self._connection() as conn:
                if not write:
                    with conn.cursor() as cur:
                        yield _PostgresSql(cur)
                    return
                with conn.transaction(), conn.cursor() as cur:
                    cur.execute(_NAME_TRANSACTION, (f"nocontact:{name}",))
                    yield _PostgresSql(cur)
        except self._psycopg.Error as exc:
            raise StoreError(f"transaction {name!r} failed: {exc}") from exc

    def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers -----------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        pool = self._pool
        if pool is None:
            raise StoreError("the store is closed")
        listener = self._listener
        # While the listener cannot connect either, waiting for the pool is pointless:
        # take a connection only if one is there (the server may be short of slots only).
        down = listener is not None and listener.down
        try:
            with pool.connection(timeout=DOWN_WAIT if down else POOL_WAIT) as conn:
                yield conn
        except self._psycopg.OperationalError as exc:
            raise StoreError(f"PostgreSQL is unavailable: {exc}") from exc
        except type(self)._pool_timeout() as exc:
            raise StoreError(f"PostgreSQL is unavailable: {exc}") from exc

    @contextmanager
    def _writer(self) -> Iterator[psycopg.Connection[Any]]:
        """The connection to write on: the one :meth:`exclusive` holds, or any."""
        if self._held is not None:
            yield self._held
        else:
            with self._connection() as conn:
                yield conn

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the write lock (session-wide): no other process commits until this ends.

        The commits made inside run on the connection that holds it (each
        takes the same lock again, which a session holding it always gets).
        """
        with self._write_lock:
            if self._held is not None:
                yield
                return
            with self._connection() as conn:
                try:
                    conn.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK,))
                except self._psycopg.Error as exc:
                    raise StoreError(f"cannot take the write lock: {exc}") from exc
                self._held = conn
                try:
                    yield
                finally:
                    self._held = None
                    try:
                        conn.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK,))
                    except self._psycopg.Error:
                        conn.close()  # the pool drops it, and the server the lock

    @staticmethod
    def _pool_timeout() -> type[Exception]:
        _, psycopg_pool = _psycopg()
        timeout: type[Exception] = psycopg_pool.PoolTimeout
        return timeout

    @contextmanager
    def _reading(self, *, snapshot: bool = False) -> Iterator[psycopg.Cursor[Any]]:
        try:
            with self._connection() as conn:
                if snapshot:
                    with conn.transaction(), conn.cursor() as cur:
                        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                        yield cur
                else:
                    with conn.cursor() as cur:
                        yield cur
        except self._psycopg.Error as exc:
            raise StoreError(f"reading from PostgreSQL failed: {exc}") from exc


class _PostgresSql:
    """:class:`~nocontact.store.base.Sql` on one cursor inside its transaction."""

    def __init__(self, cur: psycopg.Cursor[Any]) -> None:
        self._cur = cur

    def _execute(self, sql: str, params: Sequence[object]) -> psycopg.Cursor[Any]:
        # SQLite stores a bool as 0 or 1 in an INTEGER column; PostgreSQL needs the int.
        values = [int(p) if isinstance(p, bool) else p for p in params]
        return self._cur.execute(POSTGRES.plain(sql), values)

    def all(self, sql: str, params: Sequence[object] = ()) -> list[Record]:
        return _dicts(self._execute(sql, params))

    def one(self, sql: str, params: Sequence[object] = ()) -> Record | None:
        cur = self._execute(sql, params)
        row = cur.fetchone()
        if row is None:
            return None
        return dict(zip([d.name for d in cur.description or ()], row, strict=True))

    def run(self, sql: str, params: Sequence[object] = ()) -> int:
        return self._execute(sql, params).rowcount


class _NothingToWrite(Exception):
    """Roll back: nothing was left to record (another writer came first)."""


def _statement(change: Change) -> tuple[str, dict[str, object]]:
    """The SQL and parameters of one change (parameters first: they validate)."""
    if isinstance(change, Put):
        params = _put_params(change)
        return _UPSERT[change.table], params
    params = _delete_params(change)
    return POSTGRES.delete(change.table, tuple(params)), params


def _columns(table: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    try:
        return TABLES[table]
    except KeyError:
        raise StoreError(f"unknown table {table!r}") from None


def _int(cur: psycopg.Cursor[Any], sql: str) -> int:
    cur.execute(sql)
    row = cur.fetchone()
    assert row is not None
    return int(row[0])


def _dicts(cur: psycopg.Cursor[Any]) -> list[dict[str, object]]:
    names = [d.name for d in cur.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _migrate(conn: psycopg.Connection[Any]) -> None:
    """Apply each numbered migration newer than the database, under the write lock."""
    known = migrations()
    newest = known[-1].version if known else 0
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
        row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        current = int(row[0]) if row is not None and row[0] is not None else 0
        if current > newest:
            raise StoreError(
                f"the database has schema version {current}, newer than this nocontact knows "
                f"({newest}); upgrade nocontact to open it"
            )
        for migration in known:
            if migration.version <= current:
                continue
            for statement in migration.statements():
                if POSTGRES.runs(statement):
                    conn.execute(POSTGRES.schema(statement))
            conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (migration.version,))
            log.info("applied migration %s to PostgreSQL", migration.name)
