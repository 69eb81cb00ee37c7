"""A bulk import: one transaction, rows in key order, read back like any boundary."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nocontact.core import plain_ids as plain_ids_module
from nocontact.core.edges import plain_code, plain_id
from nocontact.core.model import Disclosure, Kind, Outcome
from nocontact.core.plain_ids import Digester, plain_digests, plain_ids
from nocontact.engine import Engine
from nocontact.engine.hashing import digests_ahead
from nocontact.engine.importing import _by_owner_then_id, import_bulks
from nocontact.store.base import Bulk, bulk_rows
from nocontact.store.sqlite import SQLiteStore

from .conftest import EngineFactory
from .service_helpers import make_api

PEOPLE = ["zoe", "ana", "ben", "cy", "dee"]
#: ana blocks ben and cy, zoe mutes ana, dee blocks zoe, cy blocks dee.
OWNERS, TARGETS, KINDS = [1, 1, 0, 4, 3], [2, 3, 1, 0, 4], [0, 0, 1, 0, 0]


def _indexes(path: Path) -> list[tuple[str, str]]:
    store = SQLiteStore.open(path)
    try:
        with store.sql("indexes") as sql:
            found = sql.all("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
        return sorted((str(r["name"]), str(r["sql"])) for r in found)
    finally:
        store.close()


def test_imported_boundaries_are_read_lifted_and_kept(tmp_path: Path) -> None:
    """By id, by owner, lifted, after a reopen: an imported boundary is a boundary."""
    path = tmp_path / "s.db"
    engine = Engine.open(path)
    revision = engine.bulk_import(PEOPLE, OWNERS, TARGETS, KINDS)
    assert revision == 1
    assert [e.type for e in engine.events()] == ["persons_imported", "boundaries_imported"]
    assert [e.data["count"] for e in engine.events()] == [5, 5]
    held = engine.boundaries("ana")
    assert sorted(b.target for b in held) == ["ben", "cy"]
    toward_ben = next(b for b in held if b.target == "ben")
    assert toward_ben.kind is Kind.BLOCK and toward_ben.revision == 1
    assert toward_ben.disclosure is Disclosure.SILENT and toward_ben.channels is None
    assert engine.boundary(toward_ben.id) == toward_ben
    assert engine.check("ben", "message", "ana").outcome is Outcome.DROP
    engine.lift(toward_ben.id)
    assert engine.check("ben", "message", "ana").outcome is not Outcome.DROP
    engine.close()

    again = Engine.open(path)
    assert [b.target for b in again.boundaries("ana")] == ["cy"]
    assert again.check("zoe", "view_post", "ana").outcome is Outcome.HIDE  # zoe muted ana
    muted = again.boundaries("zoe")[0]
    assert again.boundary(muted.id).kind is Kind.MUTE
    exported = again.export_state().boundaries
    assert sorted((b.owner, b.target) for b in exported) == [
        ("ana", "cy"), ("cy", "dee"), ("dee", "zoe"), ("zoe", "ana"),
    ]  # fmt: skip
    again.close()


def test_the_api_reads_and_lifts_an_imported_boundary(tmp_path: Path) -> None:
    for api in make_api(tmp_path):
        api.engine.bulk_import(PEOPLE, OWNERS, TARGETS, KINDS)
        listed = api.get("/v1/boundaries", params={"owner": "ana"}).json()
        ids = [b["id"] for b in listed["items"]]
        assert len(ids) == 2
        got = api.get(f"/v1/boundaries/{ids[0]}")
        assert got.status_code == 200 and got.json()["owner"] == "ana"
        assert api.delete(f"/v1/boundaries/{ids[0]}").status_code == 200
        assert api.get(f"/v1/boundaries/{ids[0]}").status_code == 404
        assert [e["type"] for e in api.get("/v1/events").json()["events"]][:2] == [
            "persons_imported",
            "boundaries_imported",
        ]


def test_the_ids_are_the_plain_ids_of_the_database(make_engine: EngineFactory) -> None:
    """Each imported id is ``plain_id`` under the database's secret: an edge and its
    stored row name the same boundary, and setting it again finds it."""
    engine = make_engine()
    engine.bulk_import(PEOPLE, OWNERS, TARGETS, KINDS)
    [stored] = engine.boundaries("dee")
    assert stored.id != plain_id("dee", "zoe", plain_code(Kind.BLOCK, Disclosure.SILENT, False))
    assert engine.set_boundary("dee", "zoe", "block").id == stored.id


def test_progress_counts_the_rows_written(make_engine: EngineFactory) -> None:
    heard: list[int] = []
    make_engine().bulk_import(PEOPLE, OWNERS, TARGETS, KINDS, progress=heard.append, chunk=2)
    assert heard == [2, 4, 5]


def test_an_import_that_fails_midway_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    """One transaction: a failure after some rows are written keeps no person, no
    boundary, no event, and every index of the file."""
    path = tmp_path / "s.db"
    before = _indexes(path)
    engine = Engine.open(path)

    def stop(written: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        engine.bulk_import(PEOPLE, OWNERS, TARGETS, KINDS, progress=stop, chunk=2)
    assert engine.revision == 0 and engine.events() == []
    assert not engine.has_person("ana")
    assert engine.bulk_import(PEOPLE, OWNERS, TARGETS, KINDS) == 1
    engine.close()
    assert _indexes(path) == before
    again = Engine.open(path)
    assert len(again.boundaries("ana")) == 2
    again.close()


@pytest.mark.parametrize("key", [b"", b"k" * 32, bytes(range(64))])
def test_bulk_digests_are_the_plain_ids(key: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled kernel (when built) and the pure twin agree with ``plain_id``, also for
    the longest person ids (a message longer than one BLAKE2b block)."""
    people = ["a", "u7", "x" * 64, "Y" * 63, "p.q-r_s"]
    rng = np.random.default_rng(7)
    owners = rng.integers(0, len(people), 200)
    targets = rng.integers(0, len(people), 200)
    codes = rng.integers(0, 28, 200).astype(np.uint8)
    digests = plain_digests(people, owners, targets, codes, key)
    with monkeypatch.context() as patch:
        patch.setattr(plain_ids_module, "_KERNEL", None)
        assert (plain_digests(people, owners, targets, codes, key) == digests).all()
    expected = [
        plain_id(people[o], people[t], int(c), key)
        for o, t, c in zip(owners.tolist(), targets.tolist(), codes.tolist(), strict=True)
    ]
    assert plain_ids(digests) == expected
    # The numbers sort as the ids do (the order rows are written in).
    assert [expected[i] for i in np.argsort(digests, kind="stable")] == sorted(expected)


@pytest.mark.parametrize("ahead", [False, True], ids=["hashed here", "hashed ahead"])
def test_rows_come_in_the_order_of_each_tables_key(ahead: bool) -> None:
    """Persons by id, boundaries by (owner, id), in the store's order of text: the
    order a table and its key are appended to, whichever process hashed them."""
    people = ["b", "a10", "a9", "A", "a"]
    rng = np.random.default_rng(3)
    pairs = {(int(o), int(t)) for o, t in rng.integers(0, 5, (40, 2)) if o != t}
    owners = np.array([o for o, _ in sorted(pairs)], np.int64)
    targets = np.array([t for _, t in sorted(pairs)], np.int64)
    codes = np.zeros(owners.size, np.uint8)
    persons, boundaries = import_bulks(
        people, owners, targets, codes, now=1.0, key=b"k", chunk=3, progress=None, ahead=ahead
    )
    assert [row[0] for row in _rows(persons)] == sorted(people)
    written = [(row[1], row[0]) for row in _rows(boundaries)]
    assert written == sorted(written) and len(written) == len(pairs)
    assert {i for _, i in written} == {plain_id(people[o], people[t], 0, b"k") for o, t in pairs}
    # Chunks are made anew each time they are asked for (a store may retry).
    assert [(row[1], row[0]) for row in _rows(boundaries)] == written


def _rows(bulk: Bulk) -> list[Sequence[object]]:
    width = len(bulk.columns)
    return [row for chunk in bulk.chunks for item in chunk for row in bulk_rows(item, width)]


@pytest.mark.parametrize("group", [1, 2, 3, 64])
def test_the_rows_of_plain_boundaries_are_alike_compiled_and_pure(
    group: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Digester.rows``: the kernel (when built) and the pure twin give the same tuples,
    ``group`` rows to a tuple, the rest in the last; both refuse what does not index."""
    people = ["a", "u7", "x" * 64, "p.q-r_s"]
    digester = Digester.of(people, b"k")
    rng = np.random.default_rng(group)
    owners, targets = rng.integers(0, 4, 10), rng.integers(0, 4, 10)
    codes = rng.integers(0, 3, 10).astype(np.uint8)
    digests = digester(owners, targets, codes)
    kinds = ("block", "mute", "restrict")
    made = digester.rows(digests, owners, targets, codes, kinds=kinds, now=2.5, group=group)
    expected = [
        (i, people[o], kinds[c], people[t], 2.5)
        for i, o, t, c in zip(plain_ids(digests), owners, targets, codes, strict=True)
    ]
    assert [len(item) for item in made] == [5 * len(expected[i : i + group])
                                            for i in range(0, 10, group)]  # fmt: skip
    assert [tuple(row) for item in made for row in bulk_rows(item, 5)] == expected
    with monkeypatch.context() as patch:
        patch.setattr(plain_ids_module, "_KERNEL", None)
        pure = digester.rows(digests, owners, targets, codes, kinds=kinds, now=2.5, group=group)
        assert pure == made
    for name, value in (("owners", -1), ("targets", 4), ("codes", 3)):
        args = {"owners": owners.copy(), "targets": targets.copy(), "codes": codes.copy()}
        args[name][-1] = value
        with pytest.raises(ValueError, match="must index"):
            digester.rows(digests, **args, kinds=kinds, now=2.5, group=group)
    empty = np.empty(0, np.int64)
    assert digester.rows(digests[:0], empty, empty, codes[:0], kinds=kinds, now=1, group=2) == []


def test_a_piece_keeps_its_key_order_when_digests_share_their_top_bits() -> None:
    """Rows are ordered by owner, then digest, on one key made of both: should two keys
    tie (digests alike in their top bits under one owner), by both in full."""
    owners = np.array([0, 0, 0, 1, 1, 2], np.int64)
    tied = np.array([0xAB00, 0xAB01, 0x1, 0xFF, 0x3, 0x7], np.uint64) | np.uint64(5 << 60)
    for digests in (tied, np.array([9, 8, 7, 2, 1, 0], np.uint64) << np.uint64(40)):
        order = _by_owner_then_id(owners, digests)
        assert order.tolist() == np.lexsort((digests, owners)).tolist()


@pytest.mark.parametrize("planned", ["as planned", "otherwise"])
def test_the_edges_built_while_writing_number_people_as_the_index_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, planned: str
) -> None:
    """Edges are built aside on planned numbers; numbered otherwise, they are built again."""
    engine = Engine.open(tmp_path / "s.db")
    engine.add_person("old")
    engine.add_person("pat")
    engine.set_boundary("old", "pat", "block")  # the edges to keep
    engine.checkpoint()
    if planned == "otherwise":
        monkeypatch.setattr(
            "nocontact.core.index.Index.planned_numbers",
            lambda self, keys: np.arange(len(keys), dtype=np.int64)[::-1] + 100,
        )
    engine.bulk_import(PEOPLE, OWNERS, TARGETS, KINDS)
    for fresh in (engine, Engine.open(tmp_path / "s.db")):
        assert fresh.check("ben", "message", "ana").outcome is Outcome.DROP
        assert fresh.check("ana", "message", "ben").outcome is not Outcome.DELIVER
        assert fresh.check("zoe", "view_post", "ana").outcome is Outcome.HIDE
        assert fresh.check("ana", "message", "zoe").outcome is Outcome.DELIVER_QUIETLY
        assert fresh.check("pat", "message", "old").outcome is Outcome.DROP
        number = fresh.person_number
        shown = fresh.visible_ids(number("zoe"), [number(p) for p in PEOPLE])
        assert shown == [True, False, True, True, False]


def _pieces(n: int, people: int, seed: int) -> list[tuple[Any, Any, Any]]:
    rng = np.random.default_rng(seed)
    return [
        (rng.integers(0, people, 50), rng.integers(0, people, 50), rng.integers(0, 28, 50))
        for _ in range(n)
    ]


def test_the_child_hashes_all_but_the_first_piece(monkeypatch: pytest.MonkeyPatch) -> None:
    digester = Digester.of([f"u{i}" for i in range(30)], b"key")
    pieces = _pieces(6, 30, 1)
    expected = [digester(*piece) for piece in pieces]
    here: list[int] = []
    counted = Digester.__call__
    monkeypatch.setattr(Digester, "__call__", lambda d, *a: here.append(1) or counted(d, *a))
    got = list(digests_ahead(digester, pieces, ahead=True))
    assert all((g == e).all() for g, e in zip(got, expected, strict=True))
    assert len(here) == 1, "the child did not hash the pieces after the first"


def test_without_a_child_the_pieces_are_hashed_here(monkeypatch: pytest.MonkeyPatch) -> None:
    digester = Digester.of([f"u{i}" for i in range(30)], b"key")
    pieces = _pieces(4, 30, 2)
    monkeypatch.setattr("sys.executable", "/nonexistent/python")
    got = list(digests_ahead(digester, pieces, ahead=True))
    assert all((g == digester(*p)).all() for g, p in zip(got, pieces, strict=True))


def test_a_piece_the_child_cannot_hash_fails_here_too() -> None:
    """The child dies on it; hashed here, it raises what hashing here raises."""
    digester = Digester.of([f"u{i}" for i in range(30)], b"key")
    pieces = _pieces(4, 30, 3)
    pieces[2] = (np.array([0, 99]), np.array([1, 2]), np.array([0, 0], np.uint8))  # 99: nobody
    hashed = digests_ahead(digester, pieces, ahead=True)
    assert (next(hashed) == digester(*pieces[0])).all()
    assert (next(hashed) == digester(*pieces[1])).all()
    with pytest.raises((ValueError, IndexError)):
        next(hashed)
