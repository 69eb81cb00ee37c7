"""The one small protocol every store implements.

A store persists rows of a few tables and an append-only event log. The engine
computes each write as a list of row changes plus the events that describe it,
and hands them over in one named transaction; the store applies both
atomically and answers with the revision it assigned. Stores know nothing of
boundaries' meaning, of HTTP or of settings: flags are passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from nocontact.core.errors import StoreError
from nocontact.core.model import Event

Row = Mapping[str, object]
#: A row read by plain SQL (``Store.sql``): column name to value.
Record = dict[str, Any]
#: An API key as stored: id, name, scope, SHA-256 of the secret, created, revoked.
ApiKeyRow = tuple[str, str, str, bytes, float, float | None]


class _Revision:
    """Stands in a row for the revision the commit will assign."""

    def __repr__(self) -> str:
        return "REVISION"


#: A row value the store replaces with the revision of the commit that writes it.
REVISION = _Revision()

#: Every table, with its key columns then its other columns.
TABLES: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "persons": (("id",), ("name", "created")),
    "addresses": (("uri",), ("person",)),
    "boundaries": (
        ("id",),
        (
            "owner",
            "kind",
            "target",
            "scope",
            "channels",
            "starts",
            "ends",
            "disclosure",
            "note",
            "keep_evidence",
            "on_end",
            "target_person",
            "revision",
            "plain",
        ),
    ),
    "contacts": (("owner", "contact"), ()),
    "settings": (("owner", "key"), ("value",)),
    "emergencies": (("owner",), ("at",)),
    "lists": (("id",), ("name", "curator", "deleted", "created")),
    "list_members": (("list_id", "member"), ()),
    "list_subscriptions": (("id",), ("owner", "list_id", "kind", "created")),
    "curator_suspensions": (("curator",), ("at",)),
}


@dataclass(frozen=True, slots=True)
class Put:
    """Insert ``row`` into ``table``, or replace the row with the same key."""

    table: str
    row: Row


@dataclass(frozen=True, slots=True)
class Delete:
    """Delete the row of ``table`` whose key columns equal ``key``.

    ``key`` may also name other columns the row must match: the owner of a
    boundary deleted by id, so that a store sharded by owner finds the shard.
    """

    table: str
    key: Row


Change = Put | Delete


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event before the store has given it a revision."""

    type: str
    at: float
    data: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Bulk:
    """Many new rows of one table, for ``Store.bulk_insert``.

    Each row gives ``columns``; ``same`` gives the other columns, alike in every
    row (text, integers, None or ``REVISION``), so a store writes them once. The
    rows come in ``chunks``, taken one after another: whoever hands them can
    tell, when the next chunk is asked for, that the one before is written. An
    item of a chunk may hold several rows' values one after another (a multiple
    of ``columns``), which a store may write with one statement: fewer, larger
    statements load faster. Rows in the order of the table's key load fastest.
    """

    table: str
    columns: tuple[str, ...]
    chunks: Iterable[Iterable[Sequence[object]]]
    same: Mapping[str, object] = field(default_factory=dict)


def rows_in(size: int, width: int) -> int:
    """How many rows of ``width`` columns an item of a ``Bulk``'s chunk holds, given
    its ``size`` values; refuses a size that is not a whole number of rows."""
    rows, rest = divmod(size, width)
    if rest or not rows:
        raise StoreError(f"a bulk item of {size} values for {width} columns")
    return rows


def bulk_rows(item: Sequence[object], width: int) -> Iterator[Sequence[object]]:
    """The rows of ``width`` columns that an item of a ``Bulk``'s chunk holds."""
    if len(item) == width:
        yield item
        return
    for at in range(0, rows_in(len(item), width) * width, width):
        yield item[at : at + width]


def bulk_layout(bulk: Bulk, revision: int) -> tuple[tuple[str, ...], tuple[object, ...]]:
    """The columns a bulk writes (its rows' columns, then ``same``'s) and the values
    of ``same``, the revision filled in. Refuses a column the table lacks, a column
    given twice and a key column given by neither."""
    if bulk.table not in TABLES:
        raise StoreError(f"unknown table {bulk.table!r}")
    keys, others = TABLES[bulk.table]
    columns = (*bulk.columns, *bulk.same)
    if set(columns) - set(keys) - set(others) or len(set(columns)) != len(columns):
        raise StoreError(f"bulk columns {list(columns)} do not fit table {bulk.table!r}")
    if set(keys) - set(columns):
        raise StoreError(f"bulk rows for table {bulk.table!r} lack key columns {list(keys)}")
    values = tuple(revision if v is REVISION else v for v in bulk.same.values())
    return columns, values


@dataclass(slots=True)
class Snapshot:
    """Everything needed to rebuild the in-memory index."""

    revision: int
    tables: dict[str, list[dict[str, object]]] = field(default_factory=dict)

    def rows(self, table: str) -> list[dict[str, object]]:
        return self.tables.get(table, [])


class Sql(Protocol):
    """Plain SQL inside one transaction, for the modules at the edge (the web app's
    content, call attempts) whose tables the numbered migrations make beside the
    engine's but whose rows the engine never reads.

    Statements are portable SQL (``INSERT ... ON CONFLICT``, ``RETURNING``) with
    ``?`` parameters; the store writes them in its dialect.
    """

    def all(self, sql: str, params: Sequence[object] = ()) -> list[Record]:
        """Every row the statement returns."""
        ...

    def one(self, sql: str, params: Sequence[object] = ()) -> Record | None:
        """The first row the statement returns, if any."""
        ...

    def run(self, sql: str, params: Sequence[object] = ()) -> int:
        """Execute one statement; how many rows it changed."""
        ...


class Store(Protocol):
    def load(self, *, skip_plain: bool = False, skip_persons: bool = False) -> Snapshot:
        """Read every table in bulk, with the revision they reflect.

        With ``skip_plain`` the boundary rows marked plain are left out, with
        ``skip_persons`` the persons: a checkpoint of the index already holds them.
        """
        ...

    def select(self, table: str, where: Row) -> list[dict[str, object]]:
        """The rows of ``table`` whose columns equal ``where``."""
        ...

    def bulk_insert(self, name: str, bulks: Sequence[Bulk], events: Sequence[NewEvent]) -> int:
        """Insert every row of ``bulks`` and append ``events`` in one transaction; return
        its revision. Either all of it is stored, or (on any failure) none of it."""
        ...

    def save_checkpoint(self, name: str, revision: int, data: bytes) -> None:
        """Keep ``data``, the index as of ``revision``, replacing an older checkpoint."""
        ...

    def checkpoint(self, name: str) -> tuple[int, bytes] | None:
        """The checkpoint saved under ``name`` and its revision, if there is one."""
        ...

    def commit(self, name: str, changes: Sequence[Change], events: Sequence[NewEvent]) -> int:
        """Apply ``changes`` and append ``events`` atomically; return the new revision.

        ``name`` names the transaction in logs. A row value ``REVISION`` is
        replaced by the revision assigned. Once this returns, the write
        survives a crash of the process.
        """
        ...

    def end_boundaries(
        self, name: str, due: Sequence[tuple[str, str, float, NewEvent]]
    ) -> tuple[int, list[str]]:
        """Delete each boundary ``(id, owner, ends, event)`` whose stored end is still ``ends``,
        with its event, atomically; return the new revision and the ids deleted
        (the revision unchanged and no ids when none was).

        The guard on the stored row makes an end written exactly once, whichever
        of several writers on one database gets there first. The owner routes
        the delete to one shard when the table is distributed by ``owner``.
        """
        ...

    def events(self, after: int = 0, limit: int = 1000) -> list[Event]:
        """Events with a revision greater than ``after``, oldest first."""
        ...

    def revision(self) -> int:
        """The newest revision committed by any writer."""
        ...

    def written_elsewhere(self) -> bool:
        """Whether another process wrote since ``mark_read`` (a cheap check)."""
        ...

    def listen(self, wake: Callable[[], None]) -> bool:
        """Have ``wake`` called, from another thread, whenever another process may
        have written; say whether this store can.

        A store that can (PostgreSQL: ``LISTEN``) also answers ``written_elsewhere``
        without a query from then on. One that cannot (SQLite) returns False: its
        callers keep asking ``written_elsewhere``, which is cheap there.
        """
        ...

    def mark_read(self) -> None:
        """The caller is about to read the whole store: count writes from here.

        Until it is called again, a commit raises ``StoreChanged`` (writing
        nothing) if another process wrote in the meantime.
        """
        ...

    def exclusive(self) -> AbstractContextManager[None]:
        """Hold the database's write lock: no other process commits until it ends.

        For a writer that keeps losing to others (``StoreChanged``): caught up
        inside, it validates and commits on a state nobody can change. Commits
        made inside are kept when it ends, also if the body raises after them.
        """
        ...

    def secret(self, name: str) -> bytes:
        """A secret of this database, made when it was created (empty if none)."""
        ...

    def counts(self, tables: Sequence[str]) -> dict[str, int]:
        """How many rows each of ``tables`` holds."""
        ...

    def api_keys(self) -> list[ApiKeyRow]:
        """Every API key row (id, name, scope, hash, created, revoked), oldest first."""
        ...

    def add_api_key(self, row: ApiKeyRow) -> None:
        """Store a new API key row (service configuration: no event, no revision)."""
        ...

    def revoke_api_key(self, key_id: str, at: float) -> bool:
        """Mark an active key revoked at ``at``; say whether one was."""
        ...

    def sql(self, name: str, *, write: bool = False) -> AbstractContextManager[Sql]:
        """One transaction of plain SQL, named ``name``, on the edge modules' tables.

        Without ``write`` it only reads (each statement sees at least what was
        committed before it began; on SQLite the block is one snapshot). With
        ``write`` its changes are committed when the block ends (and survive a
        crash of the process once it has ended) or rolled back if the block
        raises. Nothing is appended to the event log and no revision is
        assigned: these rows are not the engine's.
        """
        ...

    def close(self) -> None:
        """Release every connection. Calling it twice is harmless."""
        ...
