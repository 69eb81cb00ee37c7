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
