"""A SQLite file made by earlier versions opens, migrates and keeps its rows.

Earlier versions kept the web app's content and the call attempts in the
store's file but outside its numbered migrations, each with its own schema
steps (``web_schema``, ``telephony_migrations``). ``fixtures/before_0006``
holds those steps as they were; migrations 0006 and 0007 take the tables
over, whichever step a file had reached.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from nocontact.store import sqlite as sqlite_store
from nocontact.store.sqlite import SQLiteStore, migrations
from nocontact.telephony.attempts import Attempts

BEFORE = Path(__file__).parent / "fixtures" / "before_0006"
WEB_STEPS = ["0001_web_initial", "0002_web_follow_requests", "0003_web_call_source"]


def old_file(path: Path, web_steps: int) -> None:
    """The store's schema at version 5, and the side tables with a row in each."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for migration in migrations()[:5]:
            conn.executescript(migration.sql)
        conn.execute("PRAGMA user_version = 5")
        conn.execute("CREATE TABLE web_schema (version INTEGER NOT NULL)")
        for version, step in enumerate(WEB_STEPS[:web_steps], start=1):
            conn.executescript((BEFORE / f"{step}.sql").read_text())
            conn.execute("INSERT INTO web_schema (version) VALUES (?)", (version,))
        conn.executescript((BEFORE / "telephony_attempts.sql").read_text())
        conn.execute(
            "INSERT INTO web_accounts (person, handle, password_hash, created)"
            " VALUES ('olive', 'olive', 'hash', 1.0)"
        )
        conn.execute("INSERT INTO web_settings (person, show_presence) VALUES ('olive', 0)")
        conn.execute("INSERT INTO web_posts (id, author, body, at) VALUES (7, 'olive', 'hi', 2.0)")
        conn.execute(
            "INSERT INTO web_calls (kind, caller, callee, number, at, caller_sees, fate)"
            " VALUES ('call', 'sam', 'olive', '+14155550100', 3.0, 'ringing', 'ringing')"
        )
        conn.execute(
            "INSERT INTO telephony_attempts"
            " (owner, caller, channel, outcome, sealed, boundary, announced, at)"
            " VALUES ('olive', 'tel:+14155550123', 'call', 'hold', 0, 'b_1', 1, 4.0)"
        )
    finally:
        conn.close()


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


@pytest.mark.parametrize("web_steps", [1, 2, 3], ids=["web-1", "web-2", "web-3"])
def test_an_old_file_migrates_and_keeps_its_rows(tmp_path: Path, web_steps: int) -> None:
    """Whatever step the web tables had reached, the file reaches the newest schema with
    every old row, the columns added later (with their defaults), and ids that go on."""
    path = tmp_path / "nocontact.db"
    old_file(path, web_steps)
    for _ in range(2):  # opening again changes nothing
        with SQLiteStore.open(path) as store, store.sql("read") as sql:
            assert sql.one("SELECT handle FROM web_accounts") == {"handle": "olive"}
            assert sql.one(
                "SELECT show_presence, private_account, discoverable FROM web_settings"
            ) == {"show_presence": 0, "private_account": 0, "discoverable": 1}
            assert sql.all("SELECT id, body FROM web_posts") == [{"id": 7, "body": "hi"}]
            assert sql.one("SELECT number, source FROM web_calls") == {
                "number": "+14155550100",
                "source": "",
            }
            assert sql.all("SELECT * FROM web_follow_requests") == []
            [kept] = Attempts(store).list("olive")
            assert (kept.id, kept.caller, kept.announced, kept.at) == (
                1,
                "tel:+14155550123",
                True,
                4.0,
            )
    with SQLiteStore.open(path) as store:
        with store.sql("post", write=True) as sql:
            row = sql.one(
                "INSERT INTO web_posts (author, body, at) VALUES (?, ?, ?) RETURNING id",
                ("olive", "again", 5.0),
            )
        assert row == {"id": 8}
        attempt = Attempts(store).record(owner="olive", caller="tel:+14155550123", channel="sms",
                                         outcome="hold", sealed=False, boundary="b_1",
                                         announced=False, at=6.0)  # fmt: skip
        assert attempt.id == 2
        assert Attempts(store).told("olive", "b_1", "tel:+14155550123")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations()[-1].version
    assert not {"web_schema", "telephony_migrations"} & tables(path)


def _migrated_to(path: Path, count: int, monkeypatch: pytest.MonkeyPatch) -> sqlite3.Connection:
    """A new store at ``path`` with the first ``count`` migrations only, opened plainly."""
    with monkeypatch.context() as patch:
        patch.setattr(sqlite_store, "migrations", lambda: migrations()[:count])
        SQLiteStore.open(path).close()
    return sqlite3.connect(path, isolation_level=None)


def primary_key(conn: sqlite3.Connection, table: str) -> list[str]:
    columns = [r for r in conn.execute(f"PRAGMA table_info({table})") if r[5]]
    return [r[1] for r in sorted(columns, key=lambda r: r[5])]


def test_keys_widen_to_the_distribution_column_and_rows_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 0008 rebuilds the tables whose key changes on SQLite, keeping every
    row and index, and leaves the rowid tables (their ids go on) as they were."""
    path = tmp_path / "nocontact.db"
    conn = _migrated_to(path, 7, monkeypatch)
    try:
        conn.execute(
            "INSERT INTO boundaries VALUES ('b_1', 'olive', 'block', 'sam', 'everywhere', NULL,"
            " 1.0, NULL, 'silent', 'why', 1, 'deliver', 'sam', 3, 0)"
        )
        conn.execute("INSERT INTO list_subscriptions VALUES ('s_1', 'olive', 'l_1', 'mute', 2.0)")
        conn.execute(
            "INSERT INTO web_accounts (person, handle, bio, password_hash, created)"
            " VALUES ('olive', 'olive', 'hello', 'hash', 1.0)"
        )
    finally:
        conn.close()
    with SQLiteStore.open(path) as store, store.sql("read") as sql:
        assert sql.one("SELECT id, owner, note, revision, plain FROM boundaries") == {
            "id": "b_1", "owner": "olive", "note": "why", "revision": 3, "plain": 0,
        }  # fmt: skip
        assert sql.one("SELECT * FROM list_subscriptions") == {
            "id": "s_1", "owner": "olive", "list_id": "l_1", "kind": "mute", "created": 2.0,
        }  # fmt: skip
        assert sql.one("SELECT handle, bio FROM web_accounts") == {
            "handle": "olive",
            "bio": "hello",
        }
    with sqlite3.connect(path) as conn:
        assert primary_key(conn, "boundaries") == ["owner", "id"]
        assert primary_key(conn, "list_subscriptions") == ["owner", "id"]
        assert primary_key(conn, "web_accounts") == ["person"]
        assert primary_key(conn, "web_posts") == ["id"]  # the rowid: nothing distributes SQLite
        indexes = {
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
        assert {
            "boundaries_by_id", "boundaries_by_target", "boundaries_by_target_person",
            "boundaries_not_plain", "list_subscriptions_by_owner", "list_subscriptions_by_list",
            "web_accounts_by_handle",
        } <= indexes  # fmt: skip
        assert "boundaries_by_owner" not in indexes  # the key leads with owner


def test_boundaries_become_filed_by_their_key_alone_and_rows_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 0010 rebuilds the boundaries WITHOUT ROWID on SQLite, keeping every row,
    the key (owner, id) and each index with its condition."""
    path = tmp_path / "nocontact.db"
    conn = _migrated_to(path, 9, monkeypatch)
    try:
        before = {r[0]: r[1] for r in conn.execute(INDEXES_OF_BOUNDARIES)}
        conn.executemany(
            "INSERT INTO boundaries VALUES (?, ?, 'block', ?, 'everywhere', NULL,"
            " 1.0, NULL, 'silent', NULL, 0, 'deliver', NULL, 3, ?)",
            [("b_2", "sam", "olive", 1), ("b_1", "olive", "sam", 1), ("b_3", "olive", "+1", 0)],
        )
    finally:
        conn.close()
    with SQLiteStore.open(path) as store:
        assert [r["id"] for r in store.select("boundaries", {"owner": "olive"})] == ["b_1", "b_3"]
        assert store.select("boundaries", {"id": "b_2"})[0]["plain"] == 1
    with sqlite3.connect(path) as conn:
        assert primary_key(conn, "boundaries") == ["owner", "id"]
        made = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'boundaries'").fetchone()
        assert made[0].rstrip().endswith("WITHOUT ROWID")
        assert {r[0]: r[1] for r in conn.execute(INDEXES_OF_BOUNDARIES)} == before
        plan = " ".join(r[3] for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM boundaries WHERE id = 'b_2'"
        ))  # fmt: skip
        assert "boundaries_by_id" in plan


INDEXES_OF_BOUNDARIES = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'boundaries'"
    " AND sql IS NOT NULL"
)
