"""What only the SQLite store promises (the shared contract is test_store_contract.py)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from nocontact.core.errors import StoreChanged, StoreError
from nocontact.store.base import TABLES, Put
from nocontact.store.sqlite import SQLiteStore, default_path, migrations

from .test_store_contract import event

# --- What only SQLite promises -------------------------------------------------


def latest_migration() -> int:
    return migrations()[-1].version


def schema(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        found = conn.execute("SELECT type, name FROM sqlite_master ORDER BY name").fetchall()
    finally:
        conn.close()
    return [(str(t), str(n)) for t, n in found]


def user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def test_migrations_are_numbered_from_one() -> None:
    """Migrations are the files 0001, 0002, ... with no gap."""
    assert [m.version for m in migrations()] == list(range(1, latest_migration() + 1))


def test_migrations_apply_once(tmp_path: Path) -> None:
    """Opening sets the schema version; opening again applies nothing twice."""
    path = tmp_path / "store.db"
    SQLiteStore.open(path).close()
    assert user_version(path) == latest_migration()
    created = schema(path)
    assert {("table", t) for t in [*TABLES, "events"]} <= set(created)
    assert ("index", "boundaries_by_target") in created
    with SQLiteStore.open(path) as store:
        store.commit("one", [], [event()])
    SQLiteStore.open(path).close()
    assert schema(path) == created
    assert user_version(path) == latest_migration()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    """A database from a newer nocontact is not opened, and is left untouched."""
    path = tmp_path / "store.db"
    SQLiteStore.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {latest_migration() + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this nocontact knows"):
        SQLiteStore.open(path)
    assert user_version(path) == latest_migration() + 1


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    """Pointing the store at some other file fails clearly and leaves the file alone."""
    path = tmp_path / "notes.txt"
    text = "these are my notes, not a database\n" * 100
    path.write_text(text)
    with pytest.raises(StoreError, match="not a SQLite database"):
        SQLiteStore.open(path)
    assert path.read_text() == text


def test_a_folder_is_refused(tmp_path: Path) -> None:
    """A path that names a folder cannot be opened as a store."""
    with pytest.raises(StoreError, match="cannot open"):
        SQLiteStore.open(tmp_path)


def test_an_unknown_synchronous_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="synchronous"):
        SQLiteStore.open(tmp_path / "store.db", synchronous="SOMETIMES")


def test_open_creates_the_folder_and_uses_wal(tmp_path: Path) -> None:
    """The store's folder is created on open, and the file is in WAL mode."""
    path = tmp_path / "deep" / "er" / "store.db"
    with SQLiteStore.open(path):
        pass
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_default_path() -> None:
    """The default store is nocontact.db in the user's data folder for nocontact."""
    path = default_path()
    assert path.name == "nocontact.db"
    assert "nocontact" in path.parent.parts[-1].lower()


def test_readers_do_not_take_the_write_lock(tmp_path: Path) -> None:
    """load and events answer while a commit holds the writer."""
    with SQLiteStore.open(tmp_path / "store.db") as store:
        store.commit("one", [Put("persons", {"id": "p1", "created": 1.0})], [event()])
        answers: list[object] = []

        def read() -> None:
            answers.extend([store.load().revision, len(store.events()), store.revision()])

        with store._write_lock:
            reader = threading.Thread(target=read)
            reader.start()
            reader.join(timeout=10)
            assert not reader.is_alive()
        assert answers == [1, 1, 1]


def test_a_second_process_store_sees_and_continues_revisions(tmp_path: Path) -> None:
    """Two stores on one file (as two processes would) never reuse a revision, and
    neither commits on a state the other changed until it has read it again."""
    path = tmp_path / "store.db"
    with SQLiteStore.open(path) as one, SQLiteStore.open(path) as two:
        assert one.commit("a", [], [event()]) == 1
        assert two.written_elsewhere()
        with pytest.raises(StoreChanged):
            two.commit("b", [], [event()])
        two.mark_read()
        assert not two.written_elsewhere()
        assert two.commit("b", [], [event()]) == 2
        one.mark_read()
        assert one.commit("c", [], [event()]) == 3
        assert two.revision() == 3
        assert [e.revision for e in two.events()] == [1, 2, 3]


def test_an_engine_commit_inside_a_plain_sql_transaction_fails_at_once(tmp_path: Path) -> None:
    """One writer connection: a commit begun inside an open ``sql`` write transaction on
    the same thread raises StoreError at once (a nested BEGIN), never waits for itself."""
    with SQLiteStore.open(tmp_path / "store.db") as store:
        with pytest.raises(StoreError), store.sql("outer", write=True):
            store.commit("inner", [], [event()])
        assert store.commit("after", [], [event()]) == 1
