"""The interner, compiled and pure, numbers keys alike; persons and the checkpoint built on it."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nocontact.core.compiled import kernel
from nocontact.core.interning import Interner, PureInterner, new_interner
from nocontact.core.model import Outcome
from nocontact.core.persons import Persons
from nocontact.engine import Engine
from nocontact.store.sqlite import SQLiteStore

from .conftest import EngineFactory

COMPILED = kernel("_interner")
TWINS = [PureInterner] + ([COMPILED.Interner] if COMPILED is not None else [])
twins = pytest.mark.parametrize("make", TWINS, ids=[t.__module__ for t in TWINS])

#: Any text a str can hold as UTF-8: every code point but the lone surrogates.
KEYS = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)


def both() -> list[Interner]:
    return [make() for make in TWINS]


def _ends(keys: list[str]) -> tuple[bytes, bytes]:
    encoded = [k.encode() for k in keys]
    return b"".join(encoded), np.cumsum([len(e) for e in encoded], dtype=np.int64).tobytes()


@given(st.lists(KEYS, max_size=60), st.lists(KEYS, max_size=20))
def test_the_twins_number_and_find_keys_alike(keys: list[str], others: list[str]) -> None:
    """Repeats keep their first number; numbers run 0..n-1; unknown keys are not found."""
    interners = both()
    model: dict[str, int] = {}
    for key in keys:
        model.setdefault(key, len(model))
        assert {i.intern(key) for i in interners} == {model[key]}
    for i in interners:
        assert len(i) == len(model)
        assert [i.key(n) for n in range(len(i))] == list(model)
        for key in keys + others:
            assert i.get(key) == model.get(key)
            assert i.get(key, -1) == model.get(key, -1)
            assert (key in i) == (key in model)


@given(st.lists(KEYS, unique=True, max_size=60), st.lists(KEYS, unique=True, max_size=30))
def test_a_blob_round_trip_keeps_every_number(first: list[str], more: list[str]) -> None:
    """``export`` then ``extend`` numbers alike, across the twins, and extends an interner."""
    for source in both():
        for key in first:
            source.intern(key)
        blob, ends = source.export()
        assert (blob, ends) == _ends(first)
        for target in both():
            target.extend(blob, np.frombuffer(ends, np.int64))
            assert [target.key(n) for n in range(len(target))] == first
            assert all(target.get(k) == n for n, k in enumerate(first))
            fresh = [k for k in more if k not in first]
            target.extend(*_ends(fresh))
            assert [target.key(n) for n in range(len(target))] == first + fresh


@twins
def test_a_failed_extend_changes_nothing(make: type[Interner]) -> None:
    interner = make()
    for key in ("ana", "bo", "é✓"):
        interner.intern(key)
    bad = [
        _ends(["cy", "dee", "bo"]),  # repeats a key it has
        _ends(["cy", "dee", "cy"]),  # repeats a key of its own
        (b"cy\xff", np.array([2, 3], np.int64).tobytes()),  # not UTF-8
        (b"cydee", np.array([3, 2], np.int64).tobytes()),  # ends fall
        (b"cydee", np.array([2, 9], np.int64).tobytes()),  # past the blob
        (b"cydee", np.array([2, 4], np.int64).tobytes()),  # short of the blob
        (b"cydee", b"\x02\x00\x00"),  # not 64-bit ends
    ]
    for blob, ends in bad:
        with pytest.raises(ValueError, match=r"repeats|ends|blob|utf-8"):
            interner.extend(blob, ends)
        assert len(interner) == 3 and interner.export() == _ends(["ana", "bo", "é✓"])
        assert interner.get("cy") is None and interner.intern("zed") == 3
        interner = make()
        for key in ("ana", "bo", "é✓"):
            interner.intern(key)


@twins
def test_odd_keys_and_numbers(make: type[Interner]) -> None:
    interner = make()
    assert interner.intern("") == 0 and interner.get("") == 0
    assert interner.intern("a\nb") == 1 and interner.key(1) == "a\nb"  # newlines are fine
    assert interner.get("\ud800") is None and "\ud800" not in interner
    with pytest.raises(UnicodeEncodeError):
        interner.intern("\ud800")
    with pytest.raises(TypeError):
        interner.intern(7)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        interner.get([1])  # type: ignore[call-overload]
    for outside in (-1, 2, 10**6):
        with pytest.raises(IndexError):
            interner.key(outside)
    assert len(interner) == 2


@pytest.mark.skipif(COMPILED is None, reason="the compiled interner is not built")
def test_the_compiled_interner_is_compact() -> None:
    """About the UTF-8, 4 bytes of offset and 8 to 16 of table a key, after a bulk load."""
    keys = [f"p{n:07d}" for n in range(200_000)]
    interner = COMPILED.Interner()
    interner.extend(*_ends(keys))
    assert interner.nbytes() <= 200_000 * (8 + 4 + 16) + 1024
    assert interner.get("p0199999") == 199_999 and interner.get("p0200000") is None
    for n in range(200_000, 250_000):  # growing one at a time rehashes as it goes
        assert interner.intern(f"p{n:07d}") == n
    assert all(interner.get(f"p{n:07d}") == n for n in range(0, 250_000, 997))


def test_persons_are_flags_and_only_the_named_take_a_name() -> None:
    ids = new_interner()
    persons = Persons(ids)
    ids.intern("tel:+14155550101")  # an address: numbered, not a person
    persons.add("ana", "Ana")
    persons.add("bo", None)
    persons["bo"] = "Bo"  # renamed
    persons.add("ana", None)  # the name cleared
    assert "ana" in persons and "tel:+14155550101" not in persons and "cy" not in persons
    assert 7 not in persons  # not a str: never a person
    assert persons["ana"] is None and persons.get("bo") == "Bo" and persons.get("cy") is None
    with pytest.raises(KeyError):
        persons["tel:+14155550101"]
    assert list(persons) == ["ana", "bo"] and len(persons) == 2
    again = Persons(ids)
    arrays = persons.arrays(len(ids) + 2)
    flags, numbers = arrays["person_flags"], arrays["named_numbers"]
    again.load(flags, numbers, arrays["names"], arrays["name_ends"])
    assert dict(again) == dict(persons) == {"ana": None, "bo": "Bo"}
    assert again.is_person(1) and not again.is_person(0) and not again.is_person(99)


def test_persons_added_at_once_are_as_if_added_one_by_one() -> None:
    """``add_unnamed`` (a bulk import's persons): new and known ids, an address made a
    person, a name cleared, a repeat counted once, past the flags' length."""
    one_by_one, at_once = Persons(new_interner()), Persons(new_interner())
    for persons in (one_by_one, at_once):
        persons.add("ana", "Ana")
        persons.add("bo", None)
    batch = ["cy", "ana", "tel:+1", "cy", *(f"p{i}" for i in range(40))]
    for p in batch:
        one_by_one.add(p, None)
    at_once.add_unnamed(batch)
    at_once.add_unnamed([])
    assert dict(at_once) == dict(one_by_one) and len(at_once) == len(one_by_one) == 44
    at_once.add("late", "Late")  # the flags still grow after (no view pins them)
    assert at_once["late"] == "Late" and at_once["ana"] is None


def test_persons_and_names_survive_a_reopen_from_the_checkpoint(
    make_engine: EngineFactory,
) -> None:
    """The checkpoint says who is a person and their names: an open reads no person row."""
    engine = make_engine("persons.db")
    engine.add_person("ana", name="Ana Ö")
    engine.add_person("bo", addresses=["+1 415 555 0101"])
    engine.set_boundary("ana", "bo", "block")
    engine.close()
    again = make_engine("persons.db")
    assert again.person("ana").name == "Ana Ö" and again.person("bo").name is None
    assert again.person_of("tel:+14155550101") == "bo"
    assert again.person_ids() == ["ana", "bo"]
    again.add_person("cy", name="Cy")  # after the checkpoint: a stale one is not used
    again.close(checkpoint=False)
    third = make_engine("persons.db")
    assert third.person_ids() == ["ana", "bo", "cy"] and third.person("cy").name == "Cy"


def test_a_checkpoint_written_before_still_opens(
    make_engine: EngineFactory, tmp_path: Path
) -> None:
    """Keys joined by newlines and no persons: the persons come from their rows."""
    engine = make_engine("old.db")
    engine.add_person("ana", name="Ana")
    engine.add_person("bo", addresses=["+1 415 555 0101"])
    engine.set_boundary("ana", "bo", "block")
    engine.close()
    store = SQLiteStore.open(tmp_path / "old.db")
    revision, data = store.checkpoint("edges") or (0, b"")
    with np.load(io.BytesIO(data)) as saved:
        arrays = {name: saved[name] for name in saved.files}
    keys = [arrays["key_blob"][a:b].tobytes().decode() for a, b in _spans(arrays["key_ends"])]
    old = {n: a for n, a in arrays.items() if n not in NUMBERING}
    old["keys"] = np.frombuffer("\n".join(keys).encode(), np.uint8)
    out = io.BytesIO()
    np.savez(out, **old)
    store.save_checkpoint("edges", revision, out.getvalue())
    store.close()
    again = make_engine("old.db")
    assert again.person("ana").name == "Ana" and again.person_of("tel:+14155550101") == "bo"
    assert again.check("ana", "message", "bo").outcome is not Outcome.DELIVER


NUMBERING = {"key_blob", "key_ends", "address_numbers", "person_flags", "named_numbers", "names",
             "name_ends"}  # fmt: skip


def _spans(ends: np.ndarray) -> list[tuple[int, int]]:
    stops = ends.tolist()
    return list(zip([0, *stops], stops, strict=False))


def test_index_nbytes_counts_the_interning(make_engine: EngineFactory) -> None:
    engine: Engine = make_engine()
    before = engine.index_nbytes()["interning"]
    engine.bulk_import([f"p{n}" for n in range(1000)], [0], [1], [0])
    assert engine.index_nbytes()["interning"] > before + 1000 * 8
