"""Two engines on one store agree, kept current by the event log alone.

Hypothesis interleaves writes through two engines (two workers) on one SQLite
file, and on one PostgreSQL schema; after each step the other engine catches up
by applying the events after its revision (``project``), never by a rebuild. At every step each
engine, and a third engine opened fresh from the store, give the same answers:
every decision between every pair, contacts, lists, subscriptions, settings.
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import ExitStack
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from nocontact.core.edges import edge_code
from nocontact.core.errors import NocontactError
from nocontact.core.model import Action, Kind
from nocontact.engine import Engine

from .conftest import SCRATCH, FakeClock
from .pg import fresh_schema

PEOPLE = ["ana", "ben", "cy", "dee"]
WHO = st.sampled_from(PEOPLE)
ADDRESSES = ["tel:+12025550101", "tel:+12025550102", "mailto:x@example.org"]
TARGETS = PEOPLE + ADDRESSES + ["pattern:unknown"]
LISTS = ["l1", "l2"]


class CountingEngine(Engine):
    """An engine that counts how often it rebuilds its index from the whole store."""

    loads = 0

    def _load(self) -> None:
        self.loads += 1
        super()._load()


def fingerprint(engine: Engine) -> object:
    """Everything the index answers, as plain values."""
    people = engine.person_ids()
    decisions = [
        (a, act.value, b, engine.check(a, act, b))
        for a in people
        for b in [*people, *ADDRESSES]
        if a != b
        for act in (Action.MESSAGE, Action.CALL, Action.VIEW_PROFILE)
    ]
    views = [engine.person(p) for p in people]
    contacts = [(p, engine.contacts(p)) for p in people]
    subs = [(p, [(s.list_id, s.kind, s.applies) for s in engine.subscriptions(p)]) for p in people]
    lists = [
        (i.id, i.name, i.curator, i.members, i.deleted, i.applies)
        for i, _ in engine.export_state().lists
    ]
    members = [(i, engine.list_members(i)) for i, *_ in lists]
    index = engine._index
    return (
        views,
        decisions,
        contacts,
        subs,
        lists,
        members,
        sorted(index.settings.items()),
        sorted(index.emergencies.items()),
        # The overlay holds every boundary that is not a plain edge, in both.
        sorted(
            (b.id, b.revision, b.ends, b.target_person)
            for b in index.boundaries.values()
            if edge_code(b, engine._id_key) is None
        ),
    )


class TwoWorkers(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(dir=SCRATCH))
        self.stack = ExitStack()
        self.path: str | Path = self.where()
        self.clock = FakeClock()
        self.engines: list[CountingEngine] = []
        self.ids: list[str] = []

    def where(self) -> str | Path:
        """Where both engines keep their store."""
        return self.folder / "shared.db"

    @initialize()
    def start(self) -> None:
        first = CountingEngine.open(self.path, clock=self.clock)
        for p in PEOPLE:
            first.add_person(p)
        self.engines = [first, CountingEngine.open(self.path, clock=self.clock)]

    def _do(self, which: int, write: object) -> None:
        engine = self.engines[which]
        try:
            result = write(engine)  # type: ignore[operator]
        except NocontactError:
            return
        boundary = getattr(result, "id", None)
        if isinstance(boundary, str) and boundary.startswith(("b_", "p_", "e_")):
            self.ids.append(boundary)

    @rule(
        which=st.integers(0, 1),
        owner=st.sampled_from(PEOPLE),
        aim=st.sampled_from(TARGETS),
        kind=st.sampled_from([k for k in Kind if k is not Kind.SPACE]),
        ends=st.sampled_from([None, 30.0, 300.0]),
        disclosure=st.sampled_from(["silent", "unavailable"]),
    )
    def set_boundary(
        self, which: int, owner: str, aim: str, kind: Kind, ends: float | None, disclosure: str
    ) -> None:
        def write(e: Engine) -> object:
            b = e.set_boundary(
                owner,
                aim,
                kind,
                ends=None if ends is None else self.clock.now + ends,
                disclosure=disclosure if kind is Kind.BLOCK else "silent",
            )
            self.ids.append(b.id)
            return b

        self._do(which, write)

    @precondition(lambda self: bool(self.ids))
    @rule(which=st.integers(0, 1), data=st.data())
    def lift(self, which: int, data: st.DataObject) -> None:
        boundary_id = data.draw(st.sampled_from(self.ids))
        self._do(which, lambda e: e.lift(boundary_id, restore=False))

    @rule(which=st.integers(0, 1), person=WHO, address=st.sampled_from(ADDRESSES))
    def link(self, which: int, person: str, address: str) -> None:
        self._do(which, lambda e: e.link_address(person, address))

    @rule(which=st.integers(0, 1), person=WHO, address=st.sampled_from(ADDRESSES))
    def unlink(self, which: int, person: str, address: str) -> None:
        self._do(which, lambda e: e.unlink_address(person, address))

    @rule(
        which=st.integers(0, 1),
        person=st.sampled_from(PEOPLE),
        old=st.sampled_from(ADDRESSES),
        new=st.sampled_from(ADDRESSES),
    )
    def change(self, which: int, person: str, old: str, new: str) -> None:
        self._do(which, lambda e: e.change_address(person, old, new))

    @rule(which=st.integers(0, 1), person=WHO, name=st.sampled_from(["A", None]))
    def rename(self, which: int, person: str, name: str | None) -> None:
        self._do(which, lambda e: e.rename_person(person, name))

    @rule(which=st.integers(0, 1), owner=st.sampled_from(PEOPLE), contact=st.sampled_from(TARGETS))
    def contact(self, which: int, owner: str, contact: str) -> None:
        self._do(which, lambda e: e.add_contact(owner, contact))

    @rule(which=st.integers(0, 1), owner=st.sampled_from(PEOPLE), contact=st.sampled_from(TARGETS))
    def uncontact(self, which: int, owner: str, contact: str) -> None:
        self._do(which, lambda e: e.remove_contact(owner, contact))

    @rule(which=st.integers(0, 1), owner=st.sampled_from(PEOPLE), lifts=st.booleans())
    def emergency(self, which: int, owner: str, lifts: bool) -> None:
        self._do(which, lambda e: e.set_emergency_lifts_person_blocks(owner, lifts))
        self._do(which, lambda e: e.record_emergency(owner))

    @rule(
        which=st.integers(0, 1),
        list_id=st.sampled_from(LISTS),
        curator=st.sampled_from(PEOPLE),
        members=st.lists(st.sampled_from(TARGETS[:-1]), max_size=3),
    )
    def create_list(self, which: int, list_id: str, curator: str, members: list[str]) -> None:
        name = list_id.upper()
        self._do(which, lambda e: e.create_list(curator, name, list_id=list_id, members=members))

    @rule(
        which=st.integers(0, 1),
        list_id=st.sampled_from(LISTS),
        members=st.lists(st.sampled_from(TARGETS[:-1]), min_size=1, max_size=2),
        add=st.booleans(),
    )
    def members(self, which: int, list_id: str, members: list[str], add: bool) -> None:
        if add:
            self._do(which, lambda e: e.add_list_members(list_id, members))
        else:
            self._do(which, lambda e: e.remove_list_members(list_id, members))

    @rule(
        which=st.integers(0, 1),
        owner=st.sampled_from(PEOPLE),
        list_id=st.sampled_from(LISTS),
        kind=st.sampled_from([Kind.BLOCK, Kind.MUTE, None]),
    )
    def subscribe(self, which: int, owner: str, list_id: str, kind: Kind | None) -> None:
        if kind is None:
            self._do(which, lambda e: e.unsubscribe(owner, list_id))
        else:
            self._do(which, lambda e: e.subscribe(owner, list_id, kind))

    @rule(which=st.integers(0, 1), list_id=st.sampled_from(LISTS))
    def delete_list(self, which: int, list_id: str) -> None:
        self._do(which, lambda e: e.delete_list(list_id))

    @rule(which=st.integers(0, 1), curator=st.sampled_from(PEOPLE), suspended=st.booleans())
    def suspend(self, which: int, curator: str, suspended: bool) -> None:
        self._do(which, lambda e: e.suspend_curator(curator, suspended))

    @rule(which=st.integers(0, 1), seconds=st.sampled_from([10.0, 100.0, 1000.0]))
    def time_passes(self, which: int, seconds: float) -> None:
        self.clock.advance(seconds)
        self._do(which, lambda e: e.expire_due())

    @invariant()
    def workers_agree_with_the_store(self) -> None:
        if not self.engines:
            return
        for engine in self.engines:
            engine.refresh()
        one, two = self.engines
        assert one.revision == two.revision
        with Engine.open(self.path, clock=self.clock) as fresh:
            assert fresh.revision == one.revision
            expected = fingerprint(fresh)
            fresh.close(checkpoint=False)
        assert fingerprint(one) == expected
        assert fingerprint(two) == expected
        # Opened once each, then kept current by events alone.
        assert [e.loads for e in self.engines] == [1, 1]

    def teardown(self) -> None:
        for engine in self.engines:
            engine.close(checkpoint=False)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.stack.close()


TwoWorkers.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=25,
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
)
test_two_workers_agree_with_a_fresh_engine = TwoWorkers.TestCase


class TwoWorkersOnPostgres(TwoWorkers):
    def where(self) -> str | Path:
        return self.stack.enter_context(fresh_schema())


TwoWorkersOnPostgres.TestCase.settings = settings(
    max_examples=12,
    stateful_step_count=20,
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
)
test_two_workers_on_postgresql_agree = TwoWorkersOnPostgres.TestCase


def test_a_bulk_import_elsewhere_reloads(tmp_path: Path) -> None:
    """A bulk import carries counts, not rows: a worker that sees one reloads, and agrees."""
    one = CountingEngine.open(tmp_path / "s.db")
    two = CountingEngine.open(tmp_path / "s.db")
    one.bulk_import(["p1", "p2", "p3"], [0, 1], [1, 2], [0, 0])
    assert two.refresh() and two.loads == 2
    assert two.check("p1", "message", "p2") == one.check("p1", "message", "p2")
    one.close()
    two.close()


@pytest.mark.parametrize("writes", [1, 5])
def test_catch_up_reads_every_event_after_the_revision(tmp_path: Path, writes: int) -> None:
    """``catch_up`` applies what another writer stored, by revision, and says where it is."""
    one = Engine.open(tmp_path / "s.db")
    two = Engine.open(tmp_path / "s.db")
    one.add_person("ana")
    one.add_person("ben")
    for i in range(writes):
        one.set_boundary("ana", "ben", Kind.MUTE, note=f"n{i}")
    assert two.catch_up() == one.revision
    assert two.check("ana", "message", "ben") == one.check("ana", "message", "ben")
    one.close()
    two.close()
