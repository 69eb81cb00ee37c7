"""A merge folds the overlay into the edges without changing a single answer, even half-done.

The merge runs in steps (start, build, install, tidy: see ``nocontact.core.merge``):
writes between them, readers at any point, and the result always decides as an
index that never merges.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from nocontact.core import edges as edges_module
from nocontact.core.batch import decide_numbers
from nocontact.core.decide import Policy, decide_parties
from nocontact.core.edges import CODES, Edges, first_per_pair, plain_boundary
from nocontact.core.index import Index
from nocontact.core.merge import Built, MergeJob, build
from nocontact.core.model import Action, Boundary, Interaction, Kind, Outcome
from nocontact.engine import Engine
from nocontact.engine import merging as merging_module

from .conftest import EngineFactory

KEY = b"k"
PEOPLE = [f"p{i}" for i in range(5)]
ACTIONS = (Action.MESSAGE, Action.VIEW_POST)
POLICY = Policy()
OUTCOMES = list(Outcome)
#: Plain codes of every kind but ``space`` (which needs an end).
PLAIN_CODES = [c for c in range(CODES) if c // 4 != list(Kind).index(Kind.SPACE)]


def _index() -> Index:
    index = Index(id_key=KEY)
    for p in PEOPLE:
        index.add_person(p, None)
    return index


def _outcomes(index: Index) -> list[str]:
    """Every ordered pair's decision, by the scalar path and by the batch path."""
    numbers = [index.number_of(p) for p in PEOPLE]
    out: list[str] = []
    for action in ACTIONS:
        for a in PEOPLE:
            for b in PEOPLE:
                if a == b:
                    continue
                found = decide_parties(index, index.resolve(a), action, index.resolve(b),
                                       platform=None, at=1.0, revision=0,
                                       policy=POLICY)  # fmt: skip
                out.append(f"{a} {action} {b}: {found.outcome}")
        actors = np.array([x for x in numbers for y in numbers if x != y], np.int64)
        targets = np.array([y for x in numbers for y in numbers if x != y], np.int64)
        batch = decide_numbers(index, actors, action, targets, at=1.0, revision=0, policy=POLICY)
        out += [str(OUTCOMES[i]) for i in batch.tolist()]
    return out


def _between(index: Index) -> dict[tuple[str, str], set[str]]:
    return {
        (a, b): {x.id for x in index.between(index.resolve(a), index.resolve(b))}
        for a in PEOPLE
        for b in PEOPLE
        if a != b
    }


class MergeSteps(RuleBasedStateMachine):
    """Writes and merge steps in any order; the index decides as one that never merges."""

    def __init__(self) -> None:
        super().__init__()
        self.subject = _index()
        self.reference = _index()
        self.job: MergeJob | None = None
        self.built: Built | None = None
        self.serial = 0

    def _add(self, boundary: Boundary) -> None:
        if boundary.id not in self.reference.boundaries:
            self.subject.add_boundary(boundary)
            self.reference.add_boundary(boundary)

    @rule(o=st.sampled_from(PEOPLE), t=st.sampled_from(PEOPLE), code=st.sampled_from(PLAIN_CODES))
    def add_plain(self, o: str, t: str, code: int) -> None:
        if o != t:
            self._add(plain_boundary(o, t, code, KEY))

    @rule(o=st.sampled_from(PEOPLE), t=st.sampled_from(PEOPLE), code=st.sampled_from(PLAIN_CODES))
    def add_not_plain(self, o: str, t: str, code: int) -> None:
        """A boundary with a note: never an edge."""
        if o != t:
            self.serial += 1
            spec = plain_boundary(o, t, code, KEY)
            self._add(replace(spec, id=f"b_n{self.serial}", note="n"))

    @precondition(lambda self: self.reference.boundaries)
    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        """A lift, as its event names it: by id, owner and target."""
        ids = sorted(self.reference.boundaries)
        gone = self.reference.remove_boundary(data.draw(st.sampled_from(ids)))
        self.subject.remove_ids(gone.id, gone.owner, gone.target)

    @rule()
    def start(self) -> None:
        if self.job is None:
            self.job = self.subject.merge_start()

    @precondition(lambda self: self.job is not None and self.built is None)
    @rule()
    def build(self) -> None:
        assert self.job is not None
        self.built = build(self.job)

    @precondition(lambda self: self.built is not None)
    @rule()
    def install(self) -> None:
        assert self.built is not None
        self.subject.merge_install(self.built)
        self.job = self.built = None

    @rule(limit=st.integers(1, 3))
    def tidy(self, limit: int) -> None:
        self.subject.merge_tidy(limit)

    @rule()
    def merge_now(self) -> None:
        """A synchronous merge voids one in flight (its install then changes nothing)."""
        self.subject.merge()

    @invariant()
    def decides_as_the_reference(self) -> None:
        assert _outcomes(self.subject) == _outcomes(self.reference)
        between = _between(self.reference)
        assert _between(self.subject) == between
        for (a, b), found in between.items():
            if self.subject.quiet_ids(a, b):  # proves no boundary either way
                assert not found and not between[(b, a)]

    @invariant()
    def extras_are_what_a_merge_leaves(self) -> None:
        """After a whole merge, only plain boundaries sharing a pair with an edge stay aside."""
        if self.job is None:
            copy = self.subject
            if not copy._untidy and not copy.merge_due(-1):
                o, t, _ = copy.plain_extras()
                edges = copy.edges
                assert all(
                    edges.code(a, b) >= 0 for a, b in zip(o.tolist(), t.tolist(), strict=True)
                )


TestMergeSteps = MergeSteps.TestCase
TestMergeSteps.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip


# -- the engine's background merge ----------------------------------------------------


@pytest.fixture
def small_merges(monkeypatch: pytest.MonkeyPatch) -> None:
    """Merges due after a few writes, so a test crosses the threshold many times."""
    monkeypatch.setattr(merging_module, "MERGE_AT", 8)


def _people(engine: Engine, n: int) -> list[str]:
    people = [f"u{i}" for i in range(n)]
    for p in people:
        engine.add_person(p)
    return people


def _decisions(engine: Engine, people: list[str]) -> list[str]:
    return [
        str(engine.decide(Interaction(a, Action.MESSAGE, b)).outcome)
        for a in people
        for b in people
        if a != b
    ]


def test_a_write_crossing_the_threshold_does_not_wait_for_the_merge(
    make_engine: EngineFactory, small_merges: None
) -> None:
    """The write that makes a merge due returns while the merge is still building."""
    engine = make_engine()
    people = _people(engine, 12)
    release, building = threading.Event(), threading.Event()

    def held(job: MergeJob) -> Built:
        building.set()
        assert release.wait(60)
        return build(job)

    engine._merger.build = held
    before = engine._index.edges
    writes = 0
    while not building.is_set():
        engine.set_boundary(people[0], people[1 + writes], "block")
        writes += 1
        assert writes < 11, "the threshold was never crossed"
    # The write that started the merge has returned; the merge has not installed.
    assert engine._merger.running()
    assert engine._index.edges is before
    engine.set_boundary(people[2], people[3], "mute")  # writes go on meanwhile
    assert str(engine.decide(Interaction(people[0], Action.MESSAGE, people[1])).outcome) == "deny"
    release.set()
    engine._merger.wait(60)
    assert engine._index.edges is not before
    assert engine._index.edges.size >= writes
    reopened = make_engine()
    assert _decisions(engine, people) == _decisions(reopened, people)


def test_writes_and_reads_during_background_merges_agree_with_the_store(
    make_engine: EngineFactory, small_merges: None
) -> None:
    """A writer sets and lifts while merges run and readers decide: no read ever misses
    a boundary that stands throughout, and the end state decides as the store does."""
    engine = make_engine()
    people = _people(engine, 16)
    standing = [(people[i], people[i + 1]) for i in range(0, 6, 2)]
    for a, b in standing:
        engine.set_boundary(a, b, "block")
    churn = people[6:]
    stop = threading.Event()
    problems: list[str] = []

    def read() -> None:
        while not stop.is_set():
            for a, b in standing:
                outcome = engine.decide(Interaction(a, Action.MESSAGE, b)).outcome
                if str(outcome) != "deny":
                    problems.append(f"{a} -> {b}: {outcome}")
            outcome = engine.decide(Interaction(people[0], Action.MESSAGE, people[2])).outcome
            if str(outcome) != "deliver":
                problems.append(f"a pair with no boundary: {outcome}")
            time.sleep(0)  # let the writer have the interpreter between rounds

    readers = [threading.Thread(target=read) for _ in range(2)]
    for r in readers:
        r.start()
    rng = random.Random(5)
    held: dict[tuple[str, str], str] = {}
    merges = 0
    try:
        for _ in range(300):
            a, b = rng.sample(churn, 2)
            if (a, b) in held and rng.random() < 0.4:
                engine.lift(held.pop((a, b)))
            elif (a, b) not in held:
                held[(a, b)] = engine.set_boundary(a, b, rng.choice(["block", "mute"])).id
            merges += engine._merger.running()
    finally:
        stop.set()
        for r in readers:
            r.join(60)
    engine._merger.wait(60)
    assert not problems, problems[:5]
    assert merges, "no merge ran during the writes"
    reopened = make_engine()
    assert _decisions(engine, people) == _decisions(reopened, people)


@pytest.mark.parametrize("seed", range(6))
def test_splicing_changes_into_edges_builds_what_a_full_build_does(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Edges.merged`` (only the changes sorted) equals ``Edges.build`` from scratch."""
    monkeypatch.setattr(edges_module, "SPLICE_CHUNK", 1 + seed * 13)  # many chunks, or one
    rng = np.random.default_rng(seed)
    people = int(rng.integers(2, 60))
    owners, targets = rng.integers(0, people, 400), rng.integers(0, people, 400)
    keep = first_per_pair(owners, targets) & (owners != targets)
    owners, targets = owners[keep], targets[keep]
    codes = rng.integers(0, CODES, owners.size).astype(np.uint8)
    edges = Edges.build(people, owners, targets, codes)
    pairs = (owners << 32) | targets
    dead = np.unique(np.concatenate((rng.choice(pairs, rng.integers(0, 40)), [5 << 32 | 7])))
    more = people + int(rng.integers(0, 5))
    add_o, add_t = rng.integers(0, more, 200), rng.integers(0, more, 200)
    add_c = rng.integers(0, CODES, 200).astype(np.uint8)
    got, taken = edges.merged(more, add_o, add_t, add_c, dead)
    alive = ~np.isin(pairs, dead)
    all_o = np.concatenate((owners[alive], add_o))
    all_t = np.concatenate((targets[alive], add_t))
    all_c = np.concatenate((codes[alive], add_c))
    first = first_per_pair(all_o, all_t)
    want = Edges.build(more, all_o[first], all_t[first], all_c[first])
    assert taken.tolist() == first[alive.sum() :].tolist()
    for name, array in want.arrays().items():
        assert getattr(got, name).tolist() == array.tolist(), name
