"""The app's content store: its ``web_`` tables, in the engine's store.

Only the gateway (:mod:`nocontact.web.gateway`) may use this module: a test
fails if a route or anything else imports it or names a content table. The
tables come from the store's numbered migrations (``0006_web_content.sql``),
so they live where the engine's do: the SQLite file, or PostgreSQL. Statements
are portable SQL with ``?`` parameters; the store writes them in its dialect.
Each write is one transaction; writes inside :meth:`ContentStore.transaction`
join it, and so do reads, which then see its writes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from nocontact.store.base import Record, Sql, Store

Row = Record


class ContentStore:
    """The web tables of one store (the engine's)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._open = threading.local()  # this thread's transaction, if one is open

    def _current(self) -> Sql | None:
        found: Sql | None = getattr(self._open, "sql", None)
        return found

    @contextmanager
    def transaction(self, name: str = "web_content") -> Iterator[Sql]:
        """One write transaction, committed when the block ends; nested uses join it."""
        current = self._current()
        if current is not None:
            yield current
            return
        with self._store.sql(name, write=True) as sql:
            self._open.sql = sql
            try:
                yield sql
            finally:
                self._open.sql = None

    @contextmanager
    def _reading(self) -> Iterator[Sql]:
        current = self._current()
        if current is not None:
            yield current
            return
        with self._store.sql("web_read") as sql:
            yield sql

    def all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        with self._reading() as reader:
            return reader.all(sql, params)

    def one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        with self._reading() as reader:
            return reader.one(sql, params)

    def run(self, sql: str, params: Sequence[object] = ()) -> int:
        """Execute one write in its own transaction (or the open one); rows changed."""
        with self.transaction() as writer:
            return writer.run(sql, params)

    def insert(self, sql: str, params: Sequence[object] = ()) -> int:
        """Insert one row into a table with an ``id`` column; the new row's id."""
        with self.transaction() as writer:
            row = writer.one(sql + " RETURNING id", params)
        assert row is not None
        return int(row["id"])
