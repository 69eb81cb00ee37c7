"""The compiled batch reads answer exactly as the numpy ones, on any graph and any input.

Each property builds an index (edges from a merge, some of them removed since,
boundaries in the overlay, people numbered after the merge, a heavy person with
a long row, an emergency) and asks the public batch functions, which take the
compiled kernel when it is built, and the pure numpy functions, for the same
numbers as lists and as arrays.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nocontact.core import batch
from nocontact.core.batch import (
    audience_numbers,
    decide_numbers,
    decide_numbers_pure,
    shown_numbers,
    view_pure,
)
from nocontact.core.compiled import PURE, kernel
from nocontact.core.decide import Policy
from nocontact.core.edges import ABSENT, CODES, Edges, plain_boundary
from nocontact.core.errors import InvalidInput
from nocontact.core.index import Index
from nocontact.core.model import Action, Kind

KEY = b"k"
POLICY = Policy()
AT = 1000.0
#: Plain codes of every kind but ``space`` (which needs an end).
PLAIN_CODES = [c for c in range(CODES) if c // 4 != list(Kind).index(Kind.SPACE)]
ACTIONS = (Action.MESSAGE, Action.CALL, Action.VIEW_POST)
COMPILED = kernel("_kernel") is not None

Edge = tuple[int, int, int]


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(2, 40))
    person = st.integers(0, n - 1)
    code = st.sampled_from(PLAIN_CODES)
    edges: list[Edge] = draw(st.lists(st.tuples(person, person, code), max_size=80))
    if draw(st.booleans()):  # a heavy person: a row much longer than the others'
        heavy = draw(person)
        edges += [(heavy, t, draw(code)) for t in range(n) if draw(st.booleans())]
        edges += [(o, heavy, draw(code)) for o in range(n) if draw(st.integers(0, 3)) == 0]
    return {
        "n": n,
        "edges": [(o, t, c) for o, t, c in edges if o != t],
        "removed": draw(st.lists(st.integers(0, 10**6), max_size=6)),
        "later": draw(st.lists(st.tuples(person, person, code, st.booleans()), max_size=4)),
        "newcomers": draw(st.integers(0, 3)),
        "emergency": draw(st.one_of(st.none(), person)),
    }


def _build(world: dict[str, Any]) -> tuple[Index, list[int]]:
    """The index, and the numbers of the edges' boundaries removed after the merge."""
    n = world["n"]
    index = Index(id_key=KEY)
    for i in range(n):
        index.add_person(f"p{i}", None)
    added: dict[tuple[int, int], int] = {}
    for o, t, c in world["edges"]:
        if (o, t) not in added:
            added[(o, t)] = c
            index.add_boundary(plain_boundary(f"p{o}", f"p{t}", c, KEY))
    index.merge()
    pairs = sorted(added)
    for pick in world["removed"]:  # removed since the merge: dead pairs
        if pairs:
            o, t = pairs.pop(pick % len(pairs))
            boundary = plain_boundary(f"p{o}", f"p{t}", added[(o, t)], KEY)
            index.remove_ids(boundary.id, boundary.owner, boundary.target)
    for serial, (o, t, c, noted) in enumerate(world["later"]):  # the overlay
        if o != t:
            spec = plain_boundary(f"p{o}", f"p{t}", c, KEY)
            if noted:
                spec = replace(spec, id=f"b_n{serial}", note="n")
            if spec.id not in index.boundaries:
                index.add_boundary(spec)
    for i in range(world["newcomers"]):  # numbered past the edges
        index.add_person(f"new{i}", None)
    if world["emergency"] is not None:
        index.emergencies[f"p{world['emergency']}"] = AT + 60
    return index, pairs


def _numbers(size: int) -> st.SearchStrategy[list[int]]:
    """Numbers in range and out of it (past every person; never negative for pairs)."""
    return st.lists(st.integers(0, size + 3), max_size=30)


def _decide_both(index: Index, a: list[int], action: Action, b: list[int]) -> None:
    kw: dict[str, Any] = {"at": AT, "revision": 0, "policy": POLICY}
    pure = decide_numbers_pure(index, np.array(a, np.int64), action, np.array(b, np.int64), **kw)
    listed = decide_numbers(index, a, action, b, **kw)
    assert isinstance(listed, list)
    assert listed == pure.tolist()
    arrays = decide_numbers(index, np.array(a, np.int64), action, np.array(b, np.int64), **kw)
    assert isinstance(arrays, np.ndarray) and arrays.dtype == np.uint8
    assert arrays.tolist() == pure.tolist()
    assert decide_numbers(index, tuple(a), action, tuple(b), **kw) == pure.tolist()


def _view_both(index: Index, one: int, many: list[int]) -> None:
    kw: dict[str, Any] = {"at": AT, "revision": 0, "policy": POLICY}
    for public, viewer_acts in ((shown_numbers, True), (audience_numbers, False)):
        pure = view_pure(index, one, np.array(many, np.int64), viewer_acts=viewer_acts, **kw)
        listed = public(index, one, many, **kw)
        assert isinstance(listed, list)
        assert listed == pure.tolist()
        arrays = public(index, one, np.array(many, np.int64), **kw)
        assert isinstance(arrays, np.ndarray) and arrays.dtype == np.bool_
        assert arrays.tolist() == pure.tolist()


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(world=worlds(), data=st.data())
def test_pairs_agree(world: dict[str, Any], data: st.DataObject) -> None:
    index, _ = _build(world)
    size = index.size
    a = data.draw(_numbers(size))
    b = data.draw(st.lists(st.integers(0, size + 3), min_size=len(a), max_size=len(a)))
    for action in ACTIONS:
        _decide_both(index, a, action, b)
    every = [(x, y) for x in range(size) for y in range(size)]
    _decide_both(index, [x for x, _ in every], Action.MESSAGE, [y for _, y in every])


@SETTINGS
@given(world=worlds(), data=st.data())
def test_feeds_agree(world: dict[str, Any], data: st.DataObject) -> None:
    index, _ = _build(world)
    size = index.size
    many = data.draw(_numbers(size))
    for one in data.draw(st.lists(st.integers(0, size + 2), max_size=6)):
        _view_both(index, one, many)
        _view_both(index, one, list(range(size)))


@SETTINGS
@given(world=worlds())
def test_removals_after_a_read_are_seen(world: dict[str, Any]) -> None:
    """The removed pairs the kernel is handed are made again when the set grows."""
    index, left = _build(world)
    everyone = list(range(index.size))
    for one in everyone[:5]:
        _view_both(index, one, everyone)
    for o, t in left[:2]:
        owner, target = f"p{o}", f"p{t}"
        for code in PLAIN_CODES:  # whichever code the edge has: remove_ids finds it
            boundary = plain_boundary(owner, target, code, KEY)
            index.remove_ids(boundary.id, owner, target)
        _view_both(index, o, everyone)
        _view_both(index, t, everyone)
        _decide_both(index, everyone, Action.MESSAGE, everyone[::-1])


def test_rows_longer_than_a_feed_searches_itself_agree() -> None:
    """A feed searches its person's own rows up to a length, a candidate's past it; a
    pair searches the shorter row, halving long ones: rows from 0 to past that length,
    with removed pairs among them, all agree with numpy."""
    rng = np.random.default_rng(11)
    n = 6_000
    index = Index(id_key=KEY)
    for i in range(n):
        index.add_person(f"p{i}", None)
    heavy = {0: 4_500, 1: 300, 2: 17}  # past the own-row length, between, just past 16
    edges = {(o, int(t)) for o, k in heavy.items() for t in rng.choice(n, k, replace=False)}
    edges |= {(int(o), 2) for o in rng.choice(n, 5_000, replace=False)}  # a long column
    edges = {(o, t) for o, t in edges if o != t}
    code = {pair: int(rng.choice(PLAIN_CODES)) for pair in sorted(edges)}
    for (o, t), c in code.items():
        index.add_boundary(plain_boundary(f"p{o}", f"p{t}", c, KEY))
    index.merge()
    for o, t in sorted(edges)[::97]:  # removed since the merge
        boundary = plain_boundary(f"p{o}", f"p{t}", code[(o, t)], KEY)
        index.remove_ids(boundary.id, boundary.owner, boundary.target)
    everyone = list(range(n))
    for one in (0, 1, 2, 3):
        _view_both(index, one, everyone)
    a = rng.integers(0, 3, 20_000).tolist()
    _decide_both(index, a, Action.MESSAGE, rng.integers(0, n, 20_000).tolist())
    _decide_both(index, rng.integers(0, n, 20_000).tolist(), Action.MESSAGE, a)


def test_empty_and_odd_inputs_behave_alike() -> None:
    index, _ = _build(
        {"n": 3, "edges": [(0, 1, 0)], "removed": [], "later": [], "newcomers": 0,
         "emergency": None}
    )  # fmt: skip
    kw: dict[str, Any] = {"at": AT, "revision": 0, "policy": POLICY}
    assert shown_numbers(index, 0, [], **kw) == []
    assert shown_numbers(index, 0, np.array([], np.int64), **kw).tolist() == []
    assert decide_numbers(index, [], Action.MESSAGE, [], **kw) == []
    row = view_pure(index, 1, np.arange(3), viewer_acts=True, **kw).tolist()
    assert row[0] is False  # 0 blocks 1
    assert shown_numbers(index, 1, range(3), **kw) == row
    assert shown_numbers(index, 1, (0, 2), **kw) == [row[0], row[2]]
    # Not ints: the numpy path judges them, as without the kernel.
    assert shown_numbers(index, 1, [0.0, 2.7], **kw) == [row[0], row[2]]
    assert decide_numbers(index, [np.int64(0)], Action.MESSAGE, [1], **kw) == [
        decide_numbers_pure(index, [0], Action.MESSAGE, [1], **kw)[0]
    ]
    for bad in (["a"], [2**70]):
        with pytest.raises((ValueError, OverflowError)):
            shown_numbers(index, 0, bad, **kw)
        with pytest.raises((ValueError, OverflowError)):
            decide_numbers(index, bad, Action.MESSAGE, [0], **kw)
    # Negative numbers: refused on both paths (numpy would count them from the end).
    for negative in ([-1, 1], np.array([1, -2])):
        with pytest.raises(InvalidInput, match="never negative"):
            shown_numbers(index, 0, negative, **kw)
        with pytest.raises(InvalidInput, match="never negative"):
            decide_numbers(index, negative, Action.MESSAGE, [0, 1], **kw)
    with pytest.raises(InvalidInput, match="never negative"):
        shown_numbers(index, -1, [0], **kw)
    # A negative number in a pair, or lengths that differ: the numpy path's answer or error.
    with pytest.raises(ValueError, match="broadcast"):
        decide_numbers(index, [0, 1], Action.MESSAGE, [1, 0, 2], **kw)


@pytest.mark.skipif(PURE or not COMPILED, reason="the compiled kernel is not in use")
def test_the_kernel_is_in_use_and_checks_its_arrays() -> None:
    index, _ = _build(
        {"n": 3, "edges": [(0, 1, 0)], "removed": [], "later": [], "newcomers": 0,
         "emergency": None}
    )  # fmt: skip
    edges = index.plain.edges
    assert edges.view is not None
    module = kernel("_kernel")
    assert module is not None
    arrays = [edges.fwd_off, edges.fwd_tgt, edges.fwd_code, edges.rev_off, edges.rev_src,
              edges.rev_code, edges.sig]  # fmt: skip
    bad_offsets = edges.fwd_off.copy()
    bad_offsets[1] = 10**9
    with pytest.raises(ValueError, match="offsets"):
        module.EdgesView(bad_offsets, *arrays[1:], ABSENT)
    with pytest.raises(TypeError):
        module.EdgesView(edges.fwd_off.astype(np.int32), *arrays[1:], ABSENT)
    # Arrays it cannot read leave the numpy path in charge, with the same answers.
    odd = Edges(edges.n, edges.fwd_off, edges.fwd_tgt.astype(np.int64), *arrays[2:])
    assert odd.view is None
    assert batch.show_table().dtype == np.bool_


@pytest.mark.skipif(PURE or not COMPILED, reason="the compiled kernel is not in use")
def test_the_kernel_keeps_no_reference_it_should_not() -> None:
    """Answers, bails and errors alike leave every reference count as they found it."""
    rng = np.random.default_rng(0)
    n = 500
    pairs = np.unique(rng.integers(0, n, 4000) << 32 | rng.integers(0, n, 4000))
    owners, targets = pairs >> 32, pairs & 0xFFFFFFFF
    fine = owners != targets
    owners, targets = owners[fine], targets[fine]
    codes = rng.integers(0, ABSENT, owners.size).astype(np.uint8)
    view = Edges.build(n, owners, targets, codes).view
    broken = Edges.build(n, owners, targets, np.full(owners.size, 255, np.uint8)).view
    show, table = batch._show_bytes(), batch._table_bytes(Action.MESSAGE)
    many = rng.integers(0, n + 5, 300).tolist()
    array = np.array(many, np.int64)
    dead = np.sort(pairs[:20]).tobytes()
    flags = np.zeros(n, np.bool_)
    flags[::7] = True

    def calls() -> None:
        view.view(5, many, True, show, dead, flags, None)
        view.view(5, array, False, show, dead, flags, np.empty(array.size, np.bool_))
        view.view(5, [*many, "x"], True, show, None, None, None)  # bails
        view.pairs(many, many[::-1], table, dead, flags, flags, b"\3\0\0\0\0\0\0\0", None)
        view.pairs(array, array[::-1].copy(), table, dead, None, None, None,
                   np.empty(array.size, np.uint8))  # fmt: skip
        view.pairs([*many, -1], [*many, 1], table, None, None, None, None, None)  # bails
        for bad in (
            (5, many, True, b"x", None, None, None),
            (5, 3.0, True, show, None, None, None),
        ):
            with pytest.raises(TypeError):
                view.view(*bad)
        with pytest.raises(ValueError, match="past the table"):
            broken.view(int(owners[0]), many + [int(targets[0])], True, show, None, None, None)

    # Items too, unless they are small ints, which Python shares (their counts move with anything).
    watched = (many, array, flags, dead, *(x for x in (many[0], many[-1]) if not -5 <= x <= 256))
    calls()
    before = [sys.getrefcount(x) for x in watched]
    bools = sys.getrefcount(True), sys.getrefcount(False)
    gc.disable()  # nothing else runs between the counts
    try:
        calls()
        assert (sys.getrefcount(True), sys.getrefcount(False)) == bools
    finally:
        gc.enable()
    tracemalloc.start()
    try:
        calls()
        gc.collect()
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(200):
            calls()
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    assert [sys.getrefcount(x) for x in watched] == before
    assert grown < 10_000
