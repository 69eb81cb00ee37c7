"""The store contract, one suite run on every backend: SQLite and PostgreSQL.

The ``backend`` fixture is the one place that knows the backends; every
contract test runs on each unchanged, PostgreSQL against the real server (a
fresh schema per test, see ``tests/pg.py``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from nocontact.core.errors import StoreChanged, StoreError
from nocontact.store.base import REVISION, TABLES, Bulk, Change, Delete, NewEvent, Put, Store
from nocontact.store.postgres import PostgresStore
from nocontact.store.sqlite import SQLiteStore

from .pg import fresh_schema


@dataclass(frozen=True)
class Backend:
    """How to open one backend's store, and open it again on the same data."""

    name: str
    open: Callable[[], Store]
    #: Whether data outlives ``close`` (false for an in-memory store).
    durable: bool


BACKENDS = ["sqlite-file", "sqlite-memory", "postgresql"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    name: str = request.param
    if name == "postgresql":
        with fresh_schema() as url:
            yield Backend(name, lambda: PostgresStore.open(url), durable=True)
        return
    yield _sqlite(name, tmp_path)


def _sqlite(name: str, tmp_path: Path) -> Backend:
    if name == "sqlite-file":
        path = tmp_path / "store.db"
        return Backend(name, lambda: SQLiteStore.open(path), durable=True)
    if name == "sqlite-memory":
        return Backend(name, lambda: SQLiteStore.open(":memory:"), durable=False)
    raise AssertionError(f"unknown backend {name}")


@pytest.fixture
def store(backend: Backend) -> Iterator[Store]:
    opened = backend.open()
    yield opened
    opened.close()


def boundary(id: str = "b1", **fields: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": id,
        "owner": "p1",
        "kind": "block",
        "target": "tel:+15550100",
        "scope": "address",
        "channels": '["calls","sms"]',
        "starts": 1_700_000_000.25,
        "ends": 1_700_086_400.5,
        "disclosure": "none",
        "note": "after the party",
        "keep_evidence": 1,
        "on_end": "restore",
        "target_person": "p2",
        "revision": 1,
        "plain": 0,
    }
    row.update(fields)
    return row


#: At least one row for every table, nullable columns both set and absent.
SAMPLES: dict[str, list[dict[str, object]]] = {
    "persons": [
        {"id": "p1", "name": "Ada", "created": 1_700_000_000.5},
        {"id": "p2", "name": None, "created": 1_700_000_001.0},
    ],
    "addresses": [
        {"uri": "mailto:ada@example.org", "person": "p1"},
        {"uri": "tel:+15550100", "person": None},
    ],
    "boundaries": [
        boundary("b1"),
        boundary(
            "b2",
            kind="mute",
            channels=None,
            ends=None,
            note=None,
            keep_evidence=0,
            target_person=None,
        ),
    ],
    "contacts": [{"owner": "p1", "contact": "p2"}, {"owner": "p2", "contact": "p1"}],
    "settings": [{"owner": "p1", "key": "quiet_hours", "value": "22-7"}],
    "emergencies": [{"owner": "p1", "at": 1_700_000_100.0}],
    "lists": [{"id": "l1", "name": "Spam callers", "curator": "p1", "deleted": 0, "created": 1.0}],
    "list_members": [{"list_id": "l1", "member": "tel:+14155550123"}],
    "list_subscriptions": [
        {"id": "s1", "owner": "p2", "list_id": "l1", "kind": "block", "created": 2.0}
    ],
    "curator_suspensions": [{"curator": "p1", "at": 3.0}],
}


def event(type: str = "test", **data: object) -> NewEvent:
    return NewEvent(type=type, at=1_700_000_000.0, data=data)


def rows(store: Store, table: str) -> list[dict[str, object]]:
    return sorted(store.load().rows(table), key=repr)


def commit_puts(store: Store, table: str, *puts: dict[str, object]) -> int:
    return store.commit("test_put", [Put(table, row) for row in puts], [event(table=table)])


# --- The contract -------------------------------------------------------------


def test_samples_cover_every_table() -> None:
    """The round trip below exercises every table the store knows."""
    assert set(SAMPLES) == set(TABLES)
    for table, samples in SAMPLES.items():
        keys, others = TABLES[table]
        assert all(set(row) == set(keys + others) for row in samples)


def test_empty_store(store: Store) -> None:
    """A new store has revision 0, empty tables and no events."""
    snapshot = store.load()
    assert snapshot.revision == 0
    assert store.revision() == 0
    assert all(snapshot.rows(table) == [] for table in TABLES)
    assert store.events() == []


def test_every_table_round_trips(store: Store) -> None:
    """Rows written by one commit come back from load, value for value."""
    changes: list[Change] = [Put(t, row) for t, samples in SAMPLES.items() for row in samples]
    revision = store.commit("seed", changes, [event("seeded")])
    snapshot = store.load()
    assert snapshot.revision == revision == 1
    for table, samples in SAMPLES.items():
        assert sorted(snapshot.rows(table), key=repr) == sorted(samples, key=repr), table


def test_values_keep_their_types(store: Store) -> None:
    """Times come back as floats, flags and revisions as ints, ids as strings."""
    commit_puts(store, "boundaries", boundary("b1"))
    [row] = store.load().rows("boundaries")
    assert isinstance(row["starts"], float)
    assert isinstance(row["keep_evidence"], int)
    assert isinstance(row["revision"], int)
    assert isinstance(row["id"], str)


def test_put_replaces_the_row_with_the_same_key(store: Store) -> None:
    """A second Put with the same key replaces the row: no duplicate, new values."""
    commit_puts(store, "boundaries", boundary("b1"))
    commit_puts(store, "boundaries", boundary("b1", kind="mute", ends=None, revision=2))
    assert rows(store, "boundaries") == [boundary("b1", kind="mute", ends=None, revision=2)]


def test_put_replaces_the_whole_row(store: Store) -> None:
    """A column the new row leaves out is cleared, not kept from the old row."""
    commit_puts(store, "persons", {"id": "p1", "name": "Ada", "created": 1.0})
    commit_puts(store, "persons", {"id": "p1", "created": 2.0})
    assert rows(store, "persons") == [{"id": "p1", "name": None, "created": 2.0}]


def test_put_with_a_composite_key(store: Store) -> None:
    """Composite keys upsert too, including a table with only key columns."""
    commit_puts(store, "settings", {"owner": "p1", "key": "k", "value": "a"})
    commit_puts(store, "settings", {"owner": "p1", "key": "k", "value": "b"})
    commit_puts(store, "settings", {"owner": "p2", "key": "k", "value": "c"})
    commit_puts(store, "contacts", {"owner": "p1", "contact": "p2"})
    commit_puts(store, "contacts", {"owner": "p1", "contact": "p2"})
    assert rows(store, "settings") == [
        {"owner": "p1", "key": "k", "value": "b"},
        {"owner": "p2", "key": "k", "value": "c"},
    ]
    assert rows(store, "contacts") == [{"owner": "p1", "contact": "p2"}]


def test_delete_removes_only_the_keyed_row(store: Store) -> None:
    """Delete removes the row whose key matches, and no other."""
    commit_puts(store, "boundaries", boundary("b1"), boundary("b2"))
    commit_puts(
        store, "contacts", {"owner": "p1", "contact": "p2"}, {"owner": "p1", "contact": "p3"}
    )
    store.commit(
        "remove",
        [Delete("boundaries", {"id": "b1"}), Delete("contacts", {"owner": "p1", "contact": "p3"})],
        [event("removed")],
    )
    assert rows(store, "boundaries") == [boundary("b2")]
    assert rows(store, "contacts") == [{"owner": "p1", "contact": "p2"}]


def test_delete_of_a_missing_row_is_harmless(store: Store) -> None:
    """Deleting what is not there changes nothing but still records the commit."""
    revision = store.commit("remove", [Delete("persons", {"id": "nobody"})], [event("removed")])
    assert revision == 1
    assert rows(store, "persons") == []


def test_revisions_grow_by_one_per_commit(store: Store) -> None:
    """Each commit gets the next revision; its events share it, in the order given."""
    first = store.commit("one", [], [event("a", n=1)])
    second = store.commit("two", [], [event("b", n=2), event("c", n=3), event("d", n=4)])
    third = store.commit("three", [Put("persons", SAMPLES["persons"][0])], [event("e", n=5)])
    assert (first, second, third) == (1, 2, 3)
    assert store.revision() == 3
    assert store.load().revision == 3
    got = [(e.revision, e.type, dict(e.data)) for e in store.events()]
    assert got == [
        (1, "a", {"n": 1}),
        (2, "b", {"n": 2}),
        (2, "c", {"n": 3}),
        (2, "d", {"n": 4}),
        (3, "e", {"n": 5}),
    ]


def test_event_fields_round_trip(store: Store) -> None:
    """An event comes back with its time, type and nested JSON data intact."""
    data: dict[str, object] = {"id": "b1", "channels": ["calls", "sms"], "meta": {"x": 1.5}}
    store.commit("add", [], [NewEvent(type="boundary.added", at=123.25, data=data)])
    [got] = store.events()
    assert (got.revision, got.at, got.type, dict(got.data)) == (1, 123.25, "boundary.added", data)


def test_events_page_after_a_revision(store: Store) -> None:
    """events(after, limit) pages through the log oldest first."""
    for n in range(1, 8):
        store.commit("tick", [], [event(n=n)])
    assert [e.revision for e in store.events(after=5)] == [6, 7]
    assert [e.revision for e in store.events(after=0, limit=3)] == [1, 2, 3]
    assert [e.revision for e in store.events(after=3, limit=3)] == [4, 5, 6]
    assert store.events(after=7) == []
    assert store.events(limit=0) == []
    seen: list[int] = []
    after = 0
    while page := store.events(after=after, limit=2):
        seen += [e.revision for e in page]
        after = page[-1].revision
    assert seen == list(range(1, 8))


def test_a_page_never_splits_a_revision(store: Store) -> None:
    """When the limit falls inside a commit's events, the page takes all of them."""
    store.commit("one", [], [event(n=1)])
    store.commit("three", [], [event(n=2), event(n=3), event(n=4)])
    store.commit("one more", [], [event(n=5)])
    page = store.events(after=0, limit=2)
    assert [e.data["n"] for e in page] == [1, 2, 3, 4]
    assert [e.data["n"] for e in store.events(after=page[-1].revision)] == [5]


def test_an_empty_commit_writes_nothing(store: Store) -> None:
    """A commit with no changes and no events returns the current revision."""
    assert store.commit("nothing", [], []) == 0
    store.commit("one", [], [event()])
    assert store.commit("nothing", [], []) == 1
    assert store.revision() == 1
    assert len(store.events()) == 1


def test_changes_without_an_event_are_refused(store: Store) -> None:
    """Every write records its revision in the event log, so it must append an event."""
    with pytest.raises(StoreError, match="no event"):
        store.commit("silent", [Put("persons", SAMPLES["persons"][0])], [])
    assert rows(store, "persons") == []
    assert store.revision() == 0


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (Put("persons", {"id": "p9", "created": 1.0, "colour": "red"}), "unknown column"),
        (Put("nowhere", {"id": "p9"}), "unknown table"),
        (Delete("nowhere", {"id": "p9"}), "unknown table"),
        (Delete("contacts", {"owner": "p1"}), "must have the columns"),
        (Delete("contacts", {"owner": "p1", "contact": "p2", "colour": "x"}), "must have the col"),
        (Put("persons", {"name": "no id", "created": 1.0}), "lacks key columns"),
        (Put("persons", {"id": "p9", "name": "no created"}), "failed"),
        (Put("persons", {"id": "p9", "created": object()}), "failed"),
    ],
    ids=[
        "unknown-column",
        "unknown-table",
        "unknown-table-delete",
        "partial-key",
        "unknown-key-column",
        "missing-key",
        "not-null",
        "unbindable-value",
    ],
)
def test_a_failed_commit_leaves_nothing_behind(store: Store, bad: Change, match: str) -> None:
    """A commit that fails halfway writes none of its changes or events and takes no revision."""
    store.commit("before", [Put("persons", {"id": "p0", "created": 0.0})], [event()])
    before = store.load()
    good: list[Change] = [
        Put("persons", {"id": "p1", "name": "Ada", "created": 1.0}),
        Delete("persons", {"id": "p0"}),
    ]
    with pytest.raises(StoreError, match=match):
        store.commit("halfway", [*good, bad], [event("never")])
    after = store.load()
    assert after.tables == before.tables
    assert after.revision == store.revision() == 1
    assert [e.type for e in store.events()] == ["test"]
    assert store.commit("after", good, [event("next")]) == 2


def test_a_delete_may_name_the_owner_too(store: Store) -> None:
    """A delete by key may also name other columns (the owner, which routes it to a
    shard): the row goes only when they match."""
    commit_puts(store, "boundaries", boundary("b1"))
    owner = str(boundary("b1")["owner"])
    store.commit("wrong", [Delete("boundaries", {"id": "b1", "owner": "other"})], [event()])
    assert [r["id"] for r in rows(store, "boundaries")] == ["b1"]
    store.commit("lift", [Delete("boundaries", {"id": "b1", "owner": owner})], [event()])
    assert rows(store, "boundaries") == []


def test_event_data_must_be_json(store: Store) -> None:
    """Event data that JSON cannot hold fails the commit, which leaves nothing."""
    with pytest.raises(StoreError, match="not JSON"):
        store.commit("bad", [Put("persons", {"id": "p1", "created": 1.0})], [event(when=object())])
    assert store.load().revision == 0
    assert rows(store, "persons") == []


def test_reopen_keeps_everything(backend: Backend) -> None:
    """Closing and opening again gives back every row, event and the revision."""
    if not backend.durable:
        pytest.skip(f"{backend.name} keeps nothing after close")
    first = backend.open()
    changes: list[Change] = [Put(t, row) for t, samples in SAMPLES.items() for row in samples]
    first.commit("seed", changes, [event("seeded")])
    first.commit("more", [Delete("contacts", {"owner": "p2", "contact": "p1"})], [event("x")])
    snapshot, log = first.load(), first.events()
    first.close()
    second = backend.open()
    try:
        assert second.load() == snapshot
        assert second.events() == log
        assert second.revision() == 2
        assert second.commit("next", [], [event()]) == 3
    finally:
        second.close()


def test_close_twice_is_harmless(store: Store) -> None:
    """close() may be called again; the store is unusable afterwards."""
    store.close()
    store.close()


@pytest.mark.parametrize(
    "use",
    [
        lambda s: s.load(),
        lambda s: s.events(),
        lambda s: s.revision(),
        lambda s: s.commit("late", [], [event()]),
    ],
    ids=["load", "events", "revision", "commit"],
)
def test_a_closed_store_refuses_use(store: Store, use: Callable[[Store], object]) -> None:
    """Every operation on a closed store raises StoreError."""
    store.close()
    with pytest.raises(StoreError, match="closed"):
        use(store)


def test_commit_is_logged_by_name(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    """Each commit's name and duration appear in the store's debug log."""
    with caplog.at_level(logging.DEBUG, logger="nocontact.store"):
        store.commit("add_boundary", [Put("boundaries", boundary())], [event()])
    [record] = [r for r in caplog.records if r.name == "nocontact.store"]
    assert "add_boundary" in record.getMessage()
    assert " ms" in record.getMessage()


def test_concurrent_commits_get_distinct_revisions(store: Store) -> None:
    """Commits from several threads are serialised: revisions 1..n, none lost."""

    def work(t: int) -> None:
        for i in range(25):
            store.commit("thread", [Put("persons", {"id": f"p{t}-{i}", "created": 0.0})], [event()])

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.revision() == 100
    assert [e.revision for e in store.events(limit=1000)] == list(range(1, 101))
    assert len(store.load().rows("persons")) == 100


def test_a_commit_on_a_stale_read_is_refused(backend: Backend) -> None:
    """Once another store on the same data wrote since ``mark_read``, a commit raises
    ``StoreChanged`` and writes nothing; after ``mark_read`` it commits the next revision."""
    if not backend.durable:
        pytest.skip(f"{backend.name} is one connection: there is no other writer")
    one, two = backend.open(), backend.open()
    try:
        one.mark_read()
        two.mark_read()
        assert not two.written_elsewhere()
        assert commit_puts(one, "persons", SAMPLES["persons"][0]) == 1
        assert two.written_elsewhere()
        with pytest.raises(StoreChanged):
            commit_puts(two, "persons", SAMPLES["persons"][1])
        assert two.revision() == 1 and len(rows(two, "persons")) == 1
        two.mark_read()
        assert commit_puts(two, "persons", SAMPLES["persons"][1]) == 2
    finally:
        one.close()
        two.close()


def test_exclusive_keeps_other_writers_out_until_it_ends(backend: Backend) -> None:
    """While one store holds ``exclusive``, another store's commit waits; the holder's
    commits inside cannot be refused, and are kept (also when the body then raises)."""
    if not backend.durable:
        pytest.skip(f"{backend.name} is one connection: there is no other writer")
    one, two = backend.open(), backend.open()
    refused: list[Exception] = []

    def other_writer() -> None:
        try:
            commit_puts(two, "persons", SAMPLES["persons"][1])
        except StoreChanged as exc:
            refused.append(exc)

    try:
        one.mark_read()
        two.mark_read()
        waiting = threading.Thread(target=other_writer)

        def hold_commit_and_raise() -> None:
            with one.exclusive():
                waiting.start()
                waiting.join(0.3)  # it waits for the lock: the holder commits first
                assert commit_puts(one, "persons", SAMPLES["persons"][0]) == 1
                raise RuntimeError("after the commit")

        with pytest.raises(RuntimeError, match="after the commit"):
            hold_commit_and_raise()
        waiting.join()
        assert len(refused) == 1  # it read before the holder wrote: refused, not lost
        assert one.revision() == two.revision() == 1
        assert [r["id"] for r in rows(two, "persons")] == [SAMPLES["persons"][0]["id"]]
    finally:
        one.close()
        two.close()


def test_an_end_is_written_once_among_stores(backend: Backend) -> None:
    """Two stores ending the same boundary (same id and end): one deletes it and records
    the event, the other records nothing and leaves the revision alone."""
    if not backend.durable:
        pytest.skip(f"{backend.name} is one connection: there is no other writer")
    one, two = backend.open(), backend.open()
    try:
        commit_puts(one, "boundaries", boundary("b1"))
        ends = float(str(boundary("b1")["ends"]))
        owner = str(boundary("b1")["owner"])
        due = [("b1", owner, ends, event("boundary_expired", id="b1"))]
        assert one.end_boundaries("expire_due", due) == (2, ["b1"])
        two.mark_read()  # a writer catches up first
        assert two.end_boundaries("expire_due", due) == (2, [])
        assert [e.type for e in two.events()] == ["test", "boundary_expired"]
    finally:
        one.close()
        two.close()


def test_listen_says_whether_the_store_wakes_its_user(backend: Backend) -> None:
    """PostgreSQL listens (and closes its listener with the store); SQLite says it cannot,
    and its users keep asking ``written_elsewhere``."""
    store = backend.open()
    try:
        assert store.listen(lambda: None) is (backend.name == "postgresql")
    finally:
        store.close()


# --- Plain SQL for the edge modules' tables (Store.sql) -----------------------------

FOLLOW = "INSERT INTO web_follows (follower, followee, at) VALUES (?, ?, ?)"


def add_post(store: Store, author: str, body: str = "hello") -> int:
    with store.sql("add_post", write=True) as sql:
        row = sql.one(
            "INSERT INTO web_posts (author, body, at) VALUES (?, ?, ?) RETURNING id",
            (author, body, 1.5),
        )
    assert row is not None
    return int(row["id"])


def test_the_edge_tables_are_made_by_the_migrations(store: Store) -> None:
    """The web app's content and the call attempts have their tables in every store."""
    with store.sql("count") as sql:
        for table in ("web_accounts", "web_messages", "web_posts", "telephony_attempts"):
            assert sql.one(f"SELECT COUNT(*) AS n FROM {table}") == {"n": 0}


def test_plain_sql_writes_are_read_back_with_their_types(store: Store) -> None:
    """An insert returns its new id (ids grow); a read gives each column by name, typed;
    a literal ``%`` and a ``?`` parameter side by side keep their meaning."""
    first, second = add_post(store, "p1"), add_post(store, "p2", "100% sure")
    assert second > first
    with store.sql("read") as sql:
        found = sql.all(
            "SELECT id, author, body, at, hidden_from_parent FROM web_posts ORDER BY id"
        )
        assert found == [
            {"id": first, "author": "p1", "body": "hello", "at": 1.5, "hidden_from_parent": 0},
            {"id": second, "author": "p2", "body": "100% sure", "at": 1.5, "hidden_from_parent": 0},
        ]
        like = "SELECT author FROM web_posts WHERE body LIKE '100%' AND author = ?"
        assert sql.one(like, ("p2",)) == {"author": "p2"}
        assert sql.one("SELECT COUNT(*) AS n FROM web_posts WHERE body LIKE '%sure'") == {"n": 1}
        assert sql.one("SELECT id FROM web_posts WHERE author = ?", ("nobody",)) is None


def test_plain_sql_counts_changes_and_ignores_conflicts(store: Store) -> None:
    """run() says how many rows changed; ON CONFLICT DO NOTHING keeps the first row; a bool
    parameter is stored as 0 or 1."""
    settings = "INSERT INTO web_settings (person, private_account) VALUES (?, ?)"
    with store.sql("follow", write=True) as sql:
        assert sql.run(FOLLOW + " ON CONFLICT DO NOTHING", ("a", "b", 1.0)) == 1
        assert sql.run(FOLLOW + " ON CONFLICT DO NOTHING", ("a", "b", 2.0)) == 0
        assert sql.run(settings, ("a", True)) == 1
    with store.sql("read") as sql:
        assert sql.all("SELECT at FROM web_follows") == [{"at": 1.0}]
        assert sql.one("SELECT private_account FROM web_settings") == {"private_account": 1}
    with store.sql("unfollow", write=True) as sql:
        assert sql.run("DELETE FROM web_follows WHERE follower = ?", ("a",)) == 1


def test_a_failed_plain_sql_transaction_leaves_nothing_behind(store: Store) -> None:
    """A block that raises rolls back every statement it ran (a SQL error becomes
    StoreError naming the transaction), and the store stays usable."""

    def fail_after_a_write() -> None:
        with store.sql("half", write=True) as sql:
            sql.run(FOLLOW, ("a", "b", 1.0))
            raise RuntimeError("the caller failed")

    def write_twice() -> None:
        with store.sql("twice", write=True) as sql:
            sql.run(FOLLOW, ("a", "c", 1.0))
            sql.run(FOLLOW, ("a", "c", 1.0))

    with pytest.raises(RuntimeError):
        fail_after_a_write()
    with pytest.raises(StoreError, match="twice"):
        write_twice()
    with store.sql("read") as sql:
        assert sql.all("SELECT * FROM web_follows") == []
    assert add_post(store, "p1") >= 1


def test_plain_sql_is_not_the_engines_write(backend: Backend) -> None:
    """A plain SQL write appends no event, takes no revision, and never makes a writer of
    the engine's tables (this store or another on the same data) think it missed one."""
    one = backend.open()
    two = backend.open() if backend.durable else one
    try:
        one.mark_read()
        two.mark_read()
        add_post(one, "p1")
        add_post(two, "p2")
        assert one.revision() == 0 and one.events() == []
        assert not one.written_elsewhere()
        assert commit_puts(one, "persons", SAMPLES["persons"][0]) == 1
    finally:
        one.close()
        if two is not one:
            two.close()


def test_plain_sql_writes_are_durable(backend: Backend) -> None:
    """Once the block has ended, the rows are there for the next store opened on the data."""
    if not backend.durable:
        pytest.skip(f"{backend.name} keeps nothing after close")
    first = backend.open()
    post = add_post(first, "p1")
    first.close()
    second = backend.open()
    try:
        with second.sql("read") as sql:
            assert sql.one("SELECT author FROM web_posts WHERE id = ?", (post,)) == {"author": "p1"}
        assert add_post(second, "p2") > post
    finally:
        second.close()


def test_a_read_sees_another_threads_write_only_once_committed(backend: Backend) -> None:
    """While a write transaction is open on another thread, a read neither waits for it
    nor sees its rows; after the commit it sees them."""
    if not backend.durable:
        pytest.skip(f"{backend.name} is one connection: reads wait for the writer")
    store = backend.open()
    inside, release = threading.Event(), threading.Event()

    def write() -> None:
        with store.sql("slow", write=True) as sql:
            sql.run(FOLLOW, ("a", "b", 1.0))
            inside.set()
            release.wait(10)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert inside.wait(10)
        with store.sql("read") as sql:
            assert sql.all("SELECT follower FROM web_follows") == []
        release.set()
        writer.join(10)
        with store.sql("read") as sql:
            assert sql.all("SELECT follower FROM web_follows") == [{"follower": "a"}]
    finally:
        release.set()
        writer.join(10)
        store.close()


def test_postgres_support_is_imported_only_when_used(tmp_path: Path) -> None:
    """Importing nocontact and opening a SQLite engine never imports psycopg."""
    import subprocess
    import sys

    code = (
        "import sys; from nocontact.engine import Engine; "
        f"Engine.open({str(tmp_path / 'x.db')!r}).close(); "
        "assert 'psycopg' not in sys.modules and 'psycopg_pool' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --- Bulk inserts ---------------------------------------------------------------


def _indexes(store: Store) -> list[str]:
    """The names of the indexes on ``boundaries`` (by the store's own catalogue)."""
    sql_of = {
        "SQLiteStore": "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?",
        "PostgresStore": "SELECT indexname AS name FROM pg_indexes WHERE tablename = ? "
        "AND schemaname = current_schema()",
    }
    with store.sql("indexes") as sql:
        found = sql.all(sql_of[type(store).__name__], ["boundaries"])
    return sorted(str(r["name"]) for r in found)


def _plain_bulk(ids: list[str], chunks: int = 2) -> Bulk:
    rows = [(i, "p1", "block", "t" + i, 5.5) for i in ids]
    step = max(1, len(rows) // chunks)
    parts = [rows[lo : lo + step] for lo in range(0, len(rows), step)]
    same = {"scope": "everywhere", "disclosure": "it's silent", "keep_evidence": 0}
    same |= {"on_end": "deliver", "revision": REVISION, "plain": 1, "note": None}
    return Bulk("boundaries", ("id", "owner", "kind", "target", "starts"), parts, same)


def test_a_bulk_insert_writes_every_row_and_its_events_at_one_revision(store: Store) -> None:
    """Rows give some columns, ``same`` the others (the revision filled in); the table's
    indexes are there afterwards as before, and the events share the revision."""
    before = _indexes(store)
    persons = Bulk("persons", ("id", "created"), [[("p1", 1.0)], [("p2", 2.0)]], {"name": None})
    revision = store.bulk_insert(
        "import", [persons, _plain_bulk(["b1", "b2", "b3"])], [event("a"), event("b")]
    )
    assert revision == 1 == store.revision()
    assert [(e.type, e.revision) for e in store.events()] == [("a", 1), ("b", 1)]
    assert [r["id"] for r in rows(store, "persons")] == ["p1", "p2"]
    found = {r["id"]: r for r in store.load().rows("boundaries")}
    assert sorted(found) == ["b1", "b2", "b3"]
    assert found["b2"] == {
        "id": "b2", "owner": "p1", "kind": "block", "target": "tb2", "scope": "everywhere",
        "channels": None, "starts": 5.5, "ends": None, "disclosure": "it's silent", "note": None,
        "keep_evidence": 0, "on_end": "deliver", "target_person": None, "revision": 1, "plain": 1,
    }  # fmt: skip
    assert store.select("boundaries", {"id": "b3"})[0]["target"] == "tb3"
    assert _indexes(store) == before
    # Into a table that has rows already: its indexes stay as they are.
    assert store.bulk_insert("more", [_plain_bulk(["b4"])], [event("c")]) == 2
    assert len(store.load().rows("boundaries")) == 4 and _indexes(store) == before


def _failing(rows: Iterable[Sequence[object]]) -> Iterator[Iterable[Sequence[object]]]:
    yield rows
    raise RuntimeError("the import stopped")


@pytest.mark.parametrize("how", ["duplicate", "stopped"])
def test_a_bulk_insert_that_fails_midway_leaves_nothing_behind(store: Store, how: str) -> None:
    """A failure after some rows are written (a repeated key, the rows' source raising)
    leaves no row, no event, no revision, and every index as it was."""
    before = _indexes(store)
    if how == "duplicate":
        bulk = _plain_bulk(["b1", "b2", "b1"], chunks=3)
        with pytest.raises(StoreError):
            store.bulk_insert("import", [bulk], [event()])
    else:
        good = _plain_bulk(["b1", "b2"], chunks=1)
        bulk = Bulk(good.table, good.columns, _failing(*good.chunks), good.same)
        with pytest.raises(RuntimeError):
            store.bulk_insert("import", [bulk], [event()])
    assert store.load().rows("boundaries") == [] and store.revision() == 0
    assert store.events() == [] and _indexes(store) == before
    assert store.bulk_insert("again", [_plain_bulk(["b1", "b2"])], [event()]) == 1


def test_a_bulk_item_may_hold_several_rows(store: Store) -> None:
    """An item of a chunk holding several rows' values one after another (of any
    count, mixed in one chunk) writes each row; a count that is not a whole number
    of rows is refused and writes nothing."""
    rows_of = [(i, "p1", "block", "t" + i, 5.5) for i in ("b1", "b2", "b3", "b4", "b5", "b6")]
    flat = [v for row in rows_of for v in row]
    chunks = [[tuple(flat[:15]), tuple(flat[15:20])], [tuple(flat[20:])]]  # 3 rows, 1, 2
    plain = _plain_bulk([])
    bad = Bulk(plain.table, plain.columns, [[tuple(flat[:15]), tuple(flat[15:22])]], plain.same)
    with pytest.raises(StoreError, match="7 values for 5 columns"):
        store.bulk_insert("bad", [bad], [event()])
    assert store.revision() == 0 and store.load().rows("boundaries") == []
    assert store.bulk_insert("import", [Bulk(plain.table, plain.columns, chunks, plain.same)],
                             [event()]) == 1  # fmt: skip
    found = {r["id"]: r["target"] for r in store.load().rows("boundaries")}
    assert found == {i: "t" + i for i, *_ in rows_of}


def test_a_bulk_insert_refuses_columns_that_do_not_fit(store: Store) -> None:
    for bulk in (
        Bulk("persons", ("id", "colour"), [[("p1", "red")]]),
        Bulk("persons", ("name",), [[("Ada",)]], {"created": 1}),  # no key
        Bulk("persons", ("id",), [[("p1",)]], {"created": object()}),
        Bulk("nowhere", ("id",), [[("p1",)]]),
    ):
        with pytest.raises(StoreError):
            store.bulk_insert("bad", [bulk], [event()])
    with pytest.raises(StoreError, match="no event"):
        store.bulk_insert("unrecorded", [_plain_bulk(["b1"])], [])
    assert store.revision() == 0 and store.load().rows("boundaries") == []
