"""Bad input gets a precise domain error, and nothing stored is touched.

A store holding 500 boundaries is snapshotted before each malformed write and
compared, table by table and event by event, after it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import datetime

import pytest

from nocontact.core.errors import NocontactError
from nocontact.engine import Engine
from nocontact.store.sqlite import SQLiteStore

from .conftest import T0, FakeClock

KINDS = ["block", "mute", "restrict", "break", "space", "pledge"]


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """100 people with 500 boundaries of every kind between them."""
    path = tmp_path_factory.mktemp("bad") / "full.db"
    engine = Engine(SQLiteStore.open(path, synchronous="OFF"), clock=FakeClock())
    for i in range(100):
        engine.add_person(f"p{i}", addresses=[f"+1 415 555 {i:04d}", f"acct:chirp:p{i}"])
    rng = random.Random(7)
    while sum(len(engine.boundaries(f"p{i}")) for i in range(100)) < 500:
        owner, target = rng.sample(range(100), 2)
        kind = rng.choice(KINDS)
        engine.set_boundary(
            f"p{owner}", f"p{target}", kind, duration=86400.0 if kind == "space" else None
        )
    yield engine  # type: ignore[misc]
    engine.close()


def snapshot(engine: Engine) -> tuple[object, ...]:
    store = engine._store
    loaded = store.load()
    tables = {name: sorted(map(repr, rows)) for name, rows in loaded.tables.items()}
    return loaded.revision, tables, store.events(0, 100_000)


BAD: dict[str, Callable[[Engine], object]] = {
    "unknown kind": lambda e: e.set_boundary("p1", "p2", "ghost"),
    "unknown scope": lambda e: e.set_boundary("p1", "p2", "block", scope="galaxy"),
    "address scope on a person": lambda e: e.set_boundary("p1", "p2", "block", scope="address"),
    "unknown channel": lambda e: e.set_boundary("p1", "p2", "block", channels=["telepathy"]),
    "no channels": lambda e: e.set_boundary("p1", "p2", "block", channels=[]),
    "ends before it starts": lambda e: e.set_boundary("p1", "p2", "block", ends=T0 - 1),
    "ends and duration": lambda e: e.set_boundary("p1", "p2", "mute", ends=T0 + 9, duration=9),
    "not a number": lambda e: e.set_boundary("p1", "p2", "block", ends=math.nan),
    "naive time": lambda e: e.set_boundary("p1", "p2", "block", ends=datetime(2030, 1, 1)),
    "long note": lambda e: e.set_boundary("p1", "p2", "mute", note="n" * 281),
    "toward oneself": lambda e: e.set_boundary("p1", "p1", "block"),
    "toward one's own number": lambda e: e.set_boundary("p1", "+1 415 555 0001", "block"),
    "emergency number": lambda e: e.set_boundary("p1", "911", "block"),
    "bad number": lambda e: e.set_boundary("p1", "tel:+1 415", "block"),
    "bad pattern": lambda e: e.set_boundary("p1", "pattern:everyone", "block"),
    "unknown owner": lambda e: e.set_boundary("nobody", "p2", "block"),
    "unknown target": lambda e: e.set_boundary("p1", "nobody", "block"),
    "disclosed mute": lambda e: e.set_boundary("p1", "p2", "mute", disclosure="unavailable"),
    "evidence on a mute": lambda e: e.set_boundary("p1", "p2", "mute", keep_evidence=True),
    "space without end": lambda e: e.set_boundary("p1", "p2", "space"),
    "pledge toward a pattern": lambda e: e.set_boundary("p1", "pattern:unknown", "pledge"),
    "target not text": lambda e: e.set_boundary("p1", 42, "block"),  # type: ignore[arg-type]
    "person exists": lambda e: e.add_person("p1"),
    "bad person id": lambda e: e.add_person("no spaces please"),
    "address taken": lambda e: e.add_person("newcomer", addresses=["+1 415 555 0002"]),
    "bad address": lambda e: e.add_person("newcomer", addresses=["mailto:nobody"]),
    "link to nobody": lambda e: e.link_address("nobody", "+1 212 555 0100"),
    "link an emergency number": lambda e: e.link_address("p1", "112"),
    "unlink what is not linked": lambda e: e.unlink_address("p1", "+1 415 555 0002"),
    "lift unknown": lambda e: e.lift("b_nope"),
    "restore a mute": lambda e: e.lift(
        next(b.id for i in range(100) for b in e.boundaries(f"p{i}") if b.kind == "mute"),
        restore=True,
    ),
    "contact of nobody": lambda e: e.add_contact("nobody", "p2"),
    "emergency of nobody": lambda e: e.record_emergency("nobody"),
    "decide an unknown action": lambda e: e.check("p1", "teleport", "p2"),
    "decide a bad address": lambda e: e.check("tel:+999", "call", "p2"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_input_is_refused_and_changes_nothing(full: Engine, case: str) -> None:
    """A malformed call raises a coded domain error and the store is as it was."""
    before = snapshot(full)
    with pytest.raises(NocontactError) as raised:
        BAD[case](full)
    error = raised.value
    assert error.code and error.code != "error"
    assert len(error.detail) > 10
    assert snapshot(full) == before
