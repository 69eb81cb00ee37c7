"""Durable stores: the truth from which the in-memory index is rebuilt.

A store persists rows and the event log; it raises domain errors only, never
HTTP ones, and reads no settings of its own.
"""

import os

from .base import Change, Delete, NewEvent, Put, Snapshot, Store

__all__ = ["Change", "Delete", "NewEvent", "Put", "Snapshot", "Store", "open_store"]


def open_store(where: str | os.PathLike[str] | None = None) -> Store:
    """The store at ``where``: a ``postgresql://`` URL, a SQLite file, or the default file.

    PostgreSQL support (psycopg) is imported only here, only for a URL.
    """
    if isinstance(where, str) and where.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore

        return PostgresStore.open(where)
    from .sqlite import SQLiteStore, default_path

    return SQLiteStore.open(where or default_path())
