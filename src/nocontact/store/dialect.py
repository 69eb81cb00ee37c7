"""The one seam between SQL dialects: portable statements built from ``TABLES``.

A ``Dialect`` says how parameters are written, what the schema's column types
are called, and how the few non-portable expressions of the migrations read;
everything else (upserts on the key, deletes, the event log) is the same text.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from nocontact.store.base import TABLES

__all__ = ["POSTGRES", "SQLITE", "Dialect"]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str
    #: A named parameter (``:owner`` or ``%(owner)s``).
    named: Callable[[str], str]
    #: A positional parameter.
    positional: str
    #: Words of the SQLite-flavoured migrations and what they read as here.
    schema_words: tuple[tuple[str, str], ...] = ()

    def upsert(self, table: str) -> str:
        """Insert a whole row, or replace every non-key column of the row with its key."""
        keys, others = TABLES[table]
        cols = keys + others
        names = ", ".join(_quote(c) for c in cols)
        params = ", ".join(self.named(c) for c in cols)
        conflict = ", ".join(_quote(k) for k in keys)
        if others:
            sets = ", ".join(f"{_quote(c)} = excluded.{_quote(c)}" for c in others)
            action = f"DO UPDATE SET {sets}"
        else:
            action = "DO NOTHING"
        return (
            f"INSERT INTO {_quote(table)} ({names}) VALUES ({params}) "
            f"ON CONFLICT ({conflict}) {action}"
        )

    def delete(self, table: str) -> str:
        keys, _ = TABLES[table]
        where = " AND ".join(f"{_quote(k)} = {self.named(k)}" for k in keys)
        return f"DELETE FROM {_quote(table)} WHERE {where}"

    def insert(self, table: str, columns: tuple[str, ...]) -> str:
        names = ", ".join(_quote(c) for c in columns)
        return f"INSERT INTO {_quote(table)} ({names}) VALUES ({', '.join(self.positional for _ in columns)})"  # noqa: E501

    def select(self, table: str, where: tuple[str, ...]) -> str:
        clause = " AND ".join(f"{_quote(c)} = {self.named(c)}" for c in where) or "TRUE"
        return f"SELECT * FROM {_quote(table)} WHERE {clause}"

    def schema(self, sql: str) -> str:
        """A migration's text in this dialect (the files are written for SQLite)."""
        for word, replacement in self.schema_words:
            sql = sql.replace(word, replacement)
        # A fresh secret per database, made here rather than by the server.
        return sql.replace("randomblob(32)", f"decode('{secrets.token_hex(32)}', 'hex')")


SQLITE = Dialect("sqlite", named=lambda c: f":{c}", positional="?")

POSTGRES = Dialect(
    "postgresql",
    named=lambda c: f"%({c})s",
    positional="%s",
    schema_words=(
        (" REAL", " DOUBLE PRECISION"),
        (" INTEGER", " BIGINT"),
        (" BLOB", " BYTEA"),
        ("IS NOT 1", "IS DISTINCT FROM 1"),
        ("x''", "'\\x'::bytea"),
    ),
)
