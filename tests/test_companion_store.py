"""The companion's store: ciphertext only, own tables, secure deletes, never in the event log."""

from __future__ import annotations

import gc
import json
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from nocontact.companion import tools
from nocontact.companion.crypto import KdfParams, WrongPassphrase
from nocontact.companion.export import as_json, as_markdown
from nocontact.companion.records import CheckIn, Letter
from nocontact.companion.store import CompanionStore
from nocontact.companion.vault import Keyring
from nocontact.engine import Engine
from nocontact.store.sqlite import migrations

from .conftest import T0, EngineFactory

FAST = KdfParams(time_cost=1, memory_kib=1024, parallelism=1)


def raw_bytes(path: Path) -> bytes:
    """The database file and its WAL, byte for byte, as anyone with the disk would read them."""
    out = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    return out + (wal.read_bytes() if wal.exists() else b"")


@pytest.fixture
def db(tmp_path: Path, make_engine: EngineFactory) -> Iterator[tuple[Engine, CompanionStore, Path]]:
    engine = make_engine("shared.db")
    engine.add_person("sam", name="Sam")
    engine.add_person("alex", name="Alex")
    store = CompanionStore.open(tmp_path / "shared.db")
    yield engine, store, tmp_path / "shared.db"
    store.close()


def test_no_plaintext_reaches_the_file_or_its_wal(db: tuple[Engine, CompanionStore, Path]) -> None:
    """A letter with a unique marker leaves no trace of the marker in the file or the WAL."""
    _, store, path = db
    marker = "marker-" + secrets.token_hex(8)
    vault = Keyring(store, FAST).sign_in("s1", "sam", "sam passphrase")
    tools.write_letter(vault, f"Dear you, {marker}, I miss the walks.", T0)
    tools.check_in(vault, 2, ["lonely"], f"note {marker}", T0)
    data = raw_bytes(path)
    assert marker.encode() not in data
    assert b"I miss the walks" not in data and b"lonely" not in data
    assert b"sam passphrase" not in data
    assert [r.body[:12] for r in store.rows("sam")]  # what is there is sealed


def test_companion_writes_never_reach_the_event_log(
    db: tuple[Engine, CompanionStore, Path],
) -> None:
    """Letters and check-ins append nothing to the engine's events (nor to /v1/events)."""
    engine, store, _ = db
    before = engine.events()
    vault = Keyring(store, FAST).sign_in("s1", "sam", "pw")
    tools.write_letter(vault, "unsent", T0)
    tools.check_in(vault, 4, [], "", T0)
    assert engine.events() == before
    assert engine.revision == before[-1].revision


def test_the_companion_keeps_its_own_migrations(db: tuple[Engine, CompanionStore, Path]) -> None:
    """Companion tables carry their prefix; the engine's user_version is left alone."""
    _, _, path = db
    conn = sqlite3.connect(path)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"companion_keys", "companion_records", "companion_schema"} <= names
        assert conn.execute("SELECT version FROM companion_schema").fetchall() == [(1,)]
        assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations()[-1].version
    finally:
        conn.close()
    CompanionStore.open(path).close()  # opening again applies nothing twice


def test_wrong_passphrase_opens_nothing_and_right_one_does(
    db: tuple[Engine, CompanionStore, Path],
) -> None:
    """Signing in with the wrong passphrase unlocks no vault; the right one reads every entry."""
    _, store, _ = db
    ring = Keyring(store, FAST)
    tools.write_letter(ring.sign_in("s1", "sam", "right"), "first letter", T0)
    with pytest.raises(WrongPassphrase):
        ring.sign_in("s2", "sam", "wrong")
    assert ring.vault("s2", "sam") is None
    assert [x.text for x in ring.sign_in("s3", "sam", "right").all(Letter)] == ["first letter"]


def test_a_passphrase_change_keeps_every_entry(db: tuple[Engine, CompanionStore, Path]) -> None:
    """After a change, the new passphrase reads every entry; the old opens nothing."""
    _, store, _ = db
    ring = Keyring(store, FAST)
    vault = ring.sign_in("s1", "sam", "old")
    for i in range(3):
        tools.write_letter(vault, f"letter {i}", T0 + i)
    tools.check_in(vault, 3, ["calm"], "", T0)
    ring.change_passphrase("sam", "old", "new")
    reopened = ring.sign_in("s2", "sam", "new")
    assert [x.text for x in reopened.all(Letter)] == ["letter 0", "letter 1", "letter 2"]
    assert [c.mood for c in reopened.all(CheckIn)] == [3]
    with pytest.raises(WrongPassphrase):
        ring.sign_in("s3", "sam", "old")


def test_a_session_key_is_only_for_its_person(db: tuple[Engine, CompanionStore, Path]) -> None:
    """A session's key never opens another person's vault, and sign-out forgets it."""
    _, store, _ = db
    ring = Keyring(store, FAST)
    held = ring.sign_in("s1", "sam", "pw").key
    assert ring.vault("s1", "alex") is None
    assert ring.vault("s1", "sam") is not None
    ring.sign_out("s1")
    assert ring.vault("s1", "sam") is None and held.person == "sam"


def test_a_key_lives_only_as_long_as_its_session(db: tuple[Engine, CompanionStore, Path]) -> None:
    """When the session that holds a key is gone (an idle session forgotten), so is the key."""
    _, store, _ = db
    ring = Keyring(store, FAST)
    session_data = {"key": ring.sign_in("s1", "sam", "pw").key}
    assert ring.vault("s1", "sam") is not None
    session_data.clear()
    gc.collect()
    assert ring.vault("s1", "sam") is None


def test_burn_deletes_one_letter_securely(db: tuple[Engine, CompanionStore, Path]) -> None:
    """A burned letter's row is gone, its sealed bytes are in neither file nor WAL."""
    _, store, path = db
    vault = Keyring(store, FAST).sign_in("s1", "sam", "pw")
    burned = tools.write_letter(vault, "to burn", T0)
    kept = tools.write_letter(vault, "to keep", T0 + 1)
    sealed = store.get("sam", "letter", burned.id)
    assert sealed is not None
    tools.burn_letter(vault, burned.id)
    assert [x.id for x in vault.all(Letter)] == [kept.id]
    assert sealed[12:44] not in raw_bytes(path)  # secure_delete zeroed it; the WAL was emptied


def test_export_then_delete_leaves_no_row(db: tuple[Engine, CompanionStore, Path]) -> None:
    """Export gives every record (JSON and Markdown); delete leaves no row of the person."""
    engine, store, _ = db
    ring = Keyring(store, FAST)
    sam = ring.sign_in("s1", "sam", "pw")
    alex = ring.sign_in("s2", "alex", "pw2")
    tools.write_letter(sam, "a letter", T0)
    tools.check_in(sam, 4, ["friends"], "good day", T0)
    tools.start_pledge(engine, sam, "alex", "A.", None, T0)
    tools.write_letter(alex, "alex's own", T0)
    exported = json.loads(as_json(sam.export(), "sam", T0))
    assert exported["records"]["letter"][0]["text"] == "a letter"
    assert exported["records"]["checkin"][0]["note"] == "good day"
    markdown = as_markdown(sam.export(), "sam", T0)
    assert "## Unsent letters" in markdown and "a letter" in markdown
    assert store.count("sam") == 4  # key, letter, check-in, pledge
    sam.delete_everything()
    assert store.count("sam") == 0
    assert store.count("alex") == 2
