"""The engine never diverges from a deliberately simple reference model.

A ``RuleBasedStateMachine`` drives the real ``Engine`` (on a fresh SQLite file
per example) and ``tests/reference.py`` side by side, with one fake clock both
read. After every step it compares decisions (``check``, ``decide_many``),
``visible``, ``audience`` and the owners' boundary lists on a sample of
interactions biased toward the boundaries that exist, and checks the promises of
DESIGN section 8 directly on every engine decision it sees.

Engine bugs this test found are kept at the end of this file, each reduced to
its smallest history, as regression tests.
"""

from __future__ import annotations

import random
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from nocontact.core.addresses import parse_address
from nocontact.core.errors import NocontactError
from nocontact.core.model import (
    Action,
    Channel,
    Decision,
    Direction,
    Disclosure,
    Interaction,
    Item,
    Kind,
    OnEnd,
    Outcome,
)
from nocontact.engine import Engine, EngineConfig
from nocontact.store.sqlite import SQLiteStore

from .conftest import SCRATCH, FakeClock
from .reference import (
    DISCLOSING_TO_BLOCKED,
    EMERGENCY_WINDOW,
    PLEDGE_COOLDOWN,
    Invalid,
    RBoundary,
    RDecision,
    Reference,
    looks_like_address,
)

T = TypeVar("T")
T0 = 1_800_000_000.0

#: Everyone the initial state has; LATE may join later; UNKNOWN_PERSON never does.
PERSONS = ("ana", "ben", "cy", "dee")
LATE = "eve"
UNKNOWN_PERSON = "zed"

#: Canonical URI -> spellings with a scheme (usable as targets and parties).
SPELLINGS: dict[str, tuple[str, ...]] = {
    "tel:+14155550101": ("tel:+14155550101", "tel:(415) 555-0101", "tel:+1-415-555-0101"),
    "tel:+14155550102": ("tel:4155550102", "tel:+1 415 555 0102"),
    "tel:+442079460958": ("tel:+44 20 7946 0958",),
    "mailto:sam@example.org": ("mailto:sam@Example.ORG", "mailto:sam@example.org"),
    "mailto:kim@other.net": ("mailto:kim@other.net",),
    "acct:chirp:sam": ("acct:chirp:sam", "acct:Chirp:@Sam"),
    "acct:mastodon:kim@social.example": (
        "acct:mastodon:kim@social.example",
        "acct:Mastodon:@Kim@Social.Example",
    ),
    "sender:MYBANK": ("sender:MyBank",),
    "tel:72345;phone-context=+1": ("tel:72345;phone-context=+1",),
}
#: Spellings for linking, bare ones included, and a few that can never be linked.
LINK_SPELLINGS = (
    *(s for group in SPELLINGS.values() for s in group),
    "(415) 555-0101",
    "+14155550101",
    "415.555.0101",
    "+1 415 555 0102",
    "sam@example.org",
    "72345",
)
UNLINKABLE = ("911", "tel:anonymous", "anonymous", "no address here")
#: Addresses nobody ever links.
STRANGERS = ("tel:+14155550199", "mailto:nobody@example.org", "acct:chirp:ghost")
PRIVATE = "tel:anonymous"
EMERGENCY = parse_address("911").uri
SPECIALS = (PRIVATE, EMERGENCY, "tel:911", "sender:Other Co")
PARTIES = (
    *PERSONS,
    LATE,
    UNKNOWN_PERSON,
    *(group[-1] for group in SPELLINGS.values()),
    *STRANGERS,
    *SPECIALS,
)
PATTERNS = (
    "pattern:unknown",
    "pattern:private",
    "pattern:shortcode",
    "pattern:sender",
    "pattern:domain:Example.ORG",
    "pattern:domain:social.example",
)
BAD_TARGETS = ("+14155550101", "tel:911", PRIVATE, "pattern:bogus", "pattern:domain:nodot")
TARGETS = (
    *PERSONS,
    LATE,
    UNKNOWN_PERSON,
    *(s for group in SPELLINGS.values() for s in group),
    *STRANGERS,
    *PATTERNS,
)
SCOPES = (None, "everywhere", "address", "platform:phone", "platform:Chirp", "platform:mastodon")
PLATFORMS = (None, "phone", "chirp", "mastodon", "mail", "sms")
NOTES = (None, "I need some time", "  see you in spring  ", "   ", "x" * 281)
END_OFFSETS = (60.0, 600.0, 3600.0, 7200.0, 86400.0)
ACTIONS = tuple(Action)
DELIVERED_ETC = frozenset({Outcome.DELIVER, Outcome.DELIVER_QUIETLY, Outcome.ALLOW, Outcome.SHOW})
NEVER_FOR_EMERGENCY = frozenset({Outcome.DROP, Outcome.DENY, Outcome.HOLD})

#: Shared lists: a few ids, some never created; members as people, addresses, or bad.
LIST_IDS = ("l1", "l2", "l3")
MEMBERS = (*PERSONS, LATE, *(g[0] for g in SPELLINGS.values()), *STRANGERS)
BAD_MEMBERS = (UNKNOWN_PERSON, "911", PRIVATE, "no address here")

#: How many sampled interactions each step compares.
FOCUSED_CHECKS = 24
RANDOM_CHECKS = 8


def mostly(usual: Sequence[T], rare: Sequence[T]) -> st.SearchStrategy[T]:
    """One of ``usual`` four times in five (when there are any), else one of ``rare``."""
    if not usual:
        return st.sampled_from(tuple(rare))
    return st.sampled_from(tuple(usual) * 4 + tuple(rare))


OWNERS = mostly(PERSONS, (LATE, UNKNOWN_PERSON))

#: channels, starts_in, ends_in, disclose, note, evidence, on_end, wild
Details = tuple[
    frozenset[Channel] | None, float | None, float | None, bool, str | None, bool, OnEnd, int
]
BOUNDARY_DETAILS: st.SearchStrategy[Details] = st.tuples(
    st.none() | st.frozensets(st.sampled_from(tuple(Channel)), min_size=1, max_size=3),
    st.sampled_from((None, None, None, 1.0, 30.0, 600.0)),
    mostly((None, *END_OFFSETS), (-5.0, 0.0)),
    st.booleans(),
    st.sampled_from(NOTES),
    st.booleans(),
    st.sampled_from(tuple(OnEnd)),
    st.integers(0, 9),
)


def spellings_of(uri: str) -> tuple[str, ...]:
    return SPELLINGS.get(uri, (uri,))


class EngineVsModel(RuleBasedStateMachine):
    """The real engine and the reference model, fed the same inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.folder = tempfile.mkdtemp(prefix="nocontact-mbt-", dir=SCRATCH)
        self.engine = self._open()
        self.model = Reference()
        self.steps = 0
        self.seen_ids: list[str] = []
        self.decided_by_boundary = 0
        self.decided_by_list = 0
        self.refused = 0

    def _open(self) -> Engine:
        store = SQLiteStore.open(Path(self.folder) / "engine.db", synchronous="OFF")
        config = EngineConfig(emergency_window=EMERGENCY_WINDOW, pledge_cooldown=PLEDGE_COOLDOWN)
        return Engine(store, config=config, clock=lambda: self.now)

    @staticmethod
    def _bucket(n: int) -> str:
        return "0" if n == 0 else "1-9" if n < 10 else "10-99" if n < 100 else "100+"

    def teardown(self) -> None:
        event("decisions made by a boundary: " + self._bucket(self.decided_by_boundary))
        event("boundaries set: " + self._bucket(len(self.seen_ids)))
        event("decisions made by a list: " + self._bucket(self.decided_by_list))
        event("writes refused: " + self._bucket(self.refused))
        self.engine.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- the write path, side by side ------------------------------------------------

    def _flush_expiries(self) -> None:
        """Let the engine write the ends that have come, so a write's own effect on
        the revision can be told apart from that housekeeping."""
        self.engine.expire_due()

    def _write(self, model_call: Callable[[], object], engine_call: Callable[[], object]) -> object:
        """Run both; they must agree on whether the input is valid. Returns the
        engine's result (None when both refused)."""
        self._flush_expiries()
        before = self.engine.revision
        expected: object = None
        try:
            expected = model_call()
        except Invalid as why:
            refusal: object = why
        else:
            refusal = None
        try:
            got = engine_call()
        except NocontactError as exc:
            if refusal is None:
                raise AssertionError(f"engine refused a valid write: {exc!r}") from exc
            assert self.engine.revision == before, "a refused write changed the revision"
            self.refused += 1
            return None
        assert refusal is None, f"engine accepted what the model refuses ({refusal}): {got!r}"
        changed = expected is not False and expected != "unchanged"
        if changed:
            assert self.engine.revision > before, "an accepted write kept the revision"
        else:
            assert self.engine.revision == before, "a write that changes nothing bumped it"
        return got

    @initialize(data=st.data())
    def start(self, data: st.DataObject) -> None:
        for person in PERSONS:
            addresses = data.draw(st.lists(st.sampled_from(LINK_SPELLINGS), max_size=2), person)
            if self._write(
                lambda: self.model.add_person(person, addresses),  # noqa: B023
                lambda: self.engine.add_person(person, addresses=addresses),  # noqa: B023
            ) is None:  # fmt: skip
                self.add_person(person, [])
        if data.draw(st.booleans(), "start with a shared list"):
            members = data.draw(st.lists(st.sampled_from(MEMBERS), min_size=1, max_size=3))
            self.create_list(PERSONS[-1], LIST_IDS[0], members)
            kind = data.draw(st.sampled_from((Kind.BLOCK, Kind.MUTE)), "kind")
            self.subscribe(PERSONS[0], LIST_IDS[0], kind)

    @rule(
        person=mostly((LATE,), (PERSONS[0], "not a person id")),
        addresses=st.lists(mostly(LINK_SPELLINGS, UNLINKABLE), max_size=2),
    )
    def add_person(self, person: str, addresses: list[str]) -> None:
        self._write(
            lambda: self.model.add_person(person, addresses),
            lambda: self.engine.add_person(person, addresses=addresses),
        )

    @rule(data=st.data(), person=OWNERS)
    def link_address(self, data: st.DataObject, person: str) -> None:
        # Mostly an address some boundary is about, so that linking re-points it.
        aimed = self._aimed_addresses()
        address = data.draw(
            mostly(aimed, LINK_SPELLINGS) | mostly(LINK_SPELLINGS, UNLINKABLE), "address"
        )
        self._write(
            lambda: self.model.link_address(person, address),
            lambda: self.engine.link_address(person, address),
        )

    def _aimed_addresses(self) -> list[str]:
        """Spellings of the addresses boundaries are about, unlinked ones first."""
        model = self.model
        found = [
            b.target
            for b in model.boundaries
            if b.alive(self.now) and not b.target.startswith("pattern:")
            and looks_like_address(b.target)
        ]  # fmt: skip
        free = [uri for uri in found if uri not in model.linked]
        return [s for uri in free * 3 + found for s in spellings_of(uri)]

    def _one_of_theirs(self, data: st.DataObject, person: str, label: str) -> str:
        """Mostly an address the person has (in any spelling), sometimes any other."""
        theirs = [s for uri in self.model.addresses_of(person) for s in spellings_of(uri)]
        return data.draw(mostly(theirs, (*LINK_SPELLINGS, *UNLINKABLE)), label)

    @rule(data=st.data(), person=OWNERS)
    def unlink_address(self, data: st.DataObject, person: str) -> None:
        address = self._one_of_theirs(data, person, "address")
        self._write(
            lambda: self.model.unlink_address(person, address),
            lambda: self.engine.unlink_address(person, address),
        )

    @rule(data=st.data(), person=OWNERS)
    def change_address(self, data: st.DataObject, person: str) -> None:
        old = self._one_of_theirs(data, person, "old")
        aimed = self._aimed_addresses()
        new = data.draw(mostly(aimed, LINK_SPELLINGS) | mostly(LINK_SPELLINGS, UNLINKABLE), "new")
        self._write(
            lambda: self.model.change_address(person, old, new),
            lambda: self.engine.change_address(person, old, new),
        )

    @rule(
        owner=OWNERS,
        aim=mostly(TARGETS, BAD_TARGETS),
        kind=st.sampled_from(tuple(Kind)),
        scope=st.sampled_from(SCOPES),
        rest=BOUNDARY_DETAILS,
    )
    def set_any_boundary(
        self, owner: str, aim: str, kind: Kind, scope: str | None, rest: Details
    ) -> None:
        self.set_boundary(owner, kind, aim, scope, *rest)

    @rule(
        data=st.data(),
        owner=st.sampled_from(PERSONS),
        kind=st.sampled_from(tuple(Kind)),
        scope=st.sampled_from((None, None, "address", "platform:phone", "platform:chirp")),
        rest=BOUNDARY_DETAILS,
    )
    def set_boundary_toward_someone(
        self, data: st.DataObject, owner: str, kind: Kind, scope: str | None, rest: Details
    ) -> None:
        """Toward another person in the initial state, by id or by one of their addresses."""
        other = data.draw(st.sampled_from([p for p in PERSONS if p != owner]), "other")
        aim = data.draw(st.sampled_from(self._spellings_of_person(other)), "aim")
        self.set_boundary(owner, kind, aim, scope, *rest)

    @rule(
        owner=st.sampled_from(PERSONS),
        aim=st.sampled_from(PATTERNS),
        kind=st.sampled_from((Kind.BLOCK, Kind.MUTE, Kind.RESTRICT, Kind.SPACE)),
        scope=st.sampled_from((None, "platform:phone", "platform:sms", "platform:mastodon")),
        rest=BOUNDARY_DETAILS,
    )
    def set_pattern_boundary(
        self, owner: str, aim: str, kind: Kind, scope: str | None, rest: Details
    ) -> None:
        self.set_boundary(owner, kind, aim, scope, *rest)

    @rule(
        data=st.data(),
        owner=st.sampled_from(PERSONS),
        kind=st.sampled_from(tuple(Kind)),
        scope=st.sampled_from((None, None, "address", "platform:phone")),
        rest=BOUNDARY_DETAILS,
    )
    def set_boundary_toward_a_free_address(
        self, data: st.DataObject, owner: str, kind: Kind, scope: str | None, rest: Details
    ) -> None:
        """Toward an address nobody has linked (yet): it stands for a person of its own."""
        free = [
            s for uri, group in SPELLINGS.items() if uri not in self.model.linked for s in group
        ]
        aim = data.draw(mostly(free, STRANGERS), "aim")
        self.set_boundary(owner, kind, aim, scope, *rest)

    def _spellings_of_person(self, person: str) -> list[str]:
        return [person] + [s for uri in self.model.addresses_of(person) for s in spellings_of(uri)]

    def set_boundary(
        self,
        owner: str,
        kind: Kind,
        aim: str,
        scope: str | None,
        channels: frozenset[Channel] | None,
        starts_in: float | None,
        ends_in: float | None,
        disclose: bool,
        note: str | None,
        evidence: bool,
        on_end: OnEnd,
        wild: int,
    ) -> None:
        # Mostly valid combinations; ``wild == 0`` lets the odd invalid one through.
        if kind is Kind.SPACE and ends_in is None and wild:
            ends_in = 3600.0
        if note is not None and len(note) > 280 and wild:
            note = None
        if scope == "address" and not looks_like_address(aim) and wild:
            scope = None
        if wild == 0 and channels is not None and len(channels) == 1:
            channels = frozenset()
        disclosure = (
            Disclosure.UNAVAILABLE
            if disclose and (kind is Kind.BLOCK or not wild)
            else Disclosure.SILENT
        )
        keep = evidence and (kind is Kind.BLOCK or not wild)
        spec: dict[str, object] = {
            "scope": scope,
            "channels": channels,
            "starts": None if starts_in is None else self.now + starts_in,
            "ends": None if ends_in is None else self.now + ends_in,
            "disclosure": disclosure,
            "note": note,
            "keep_evidence": keep,
            "on_end": on_end,
        }
        self._set(owner, aim, kind, spec)

    @rule(data=st.data(), start=st.sampled_from(("none", "same", "earlier", "later")))
    def repeat_a_boundary(self, data: st.DataObject, start: str) -> None:
        """Set a boundary that exists again (deduplicated), or with another start."""
        alive = [b for b in self.model.boundaries if b.alive(self.now)]
        if not alive:
            return
        b = data.draw(st.sampled_from(alive), "boundary")
        aims = spellings_of(b.target) if looks_like_address(b.target) else (b.target,)
        aim = data.draw(st.sampled_from(aims), "aim")
        starts = {
            "none": None,
            "same": b.starts,
            "earlier": max(self.now, b.starts - 30.0),
            "later": b.starts + 1.0,
        }[start]
        spec: dict[str, object] = {
            "scope": b.scope,
            "channels": b.channels,
            "starts": starts,
            "ends": b.ends,
            "disclosure": b.disclosure,
            "note": b.note,
            "keep_evidence": b.keep_evidence,
            "on_end": b.on_end,
        }
        self._set(b.owner, aim, b.kind, spec)

    def _set(self, owner: str, aim: str, kind: Kind, spec: dict[str, object]) -> None:
        now = self.now
        self._flush_expiries()
        before = self.engine.revision
        try:
            wanted: RBoundary | None = self.model.spec(owner, aim, kind, now=now, **spec)  # type: ignore[arg-type]
            assert wanted is not None
            done, kept = self.model.put(wanted, now)
        except Invalid as why:
            wanted = None
            reason = str(why)
        try:
            got = self.engine.set_boundary(owner, aim, kind, **spec)  # type: ignore[arg-type]
        except NocontactError as exc:
            if wanted is not None:
                raise AssertionError(f"engine refused a valid boundary: {exc!r}") from exc
            assert self.engine.revision == before, "a refused boundary changed the revision"
            self.refused += 1
            return
        assert wanted is not None, f"engine accepted an invalid boundary ({reason}): {got!r}"
        if done != "created":
            assert got.id == kept.id, "a boundary set again was not the same boundary"
            self._same_boundary(got, kept)
            assert (self.engine.revision == before) == (done == "unchanged"), done
            return
        assert self.engine.revision > before
        assert self.model.find(got.id, now) is None, "a new boundary reused an id"
        made = replace(wanted, id=got.id)
        self._same_boundary(got, made)
        self.model.add_boundary(made)
        self.seen_ids.append(got.id)

    @rule(data=st.data(), restore=st.booleans())
    def lift(self, data: st.DataObject, restore: bool) -> None:
        alive = [b.id for b in self.model.boundaries if b.alive(self.now)]
        gone = (*self.seen_ids, "b_0000000000000000")
        boundary_id = data.draw(mostly(alive, gone), "boundary_id")
        now = self.now
        self._write(
            lambda: self.model.lift(boundary_id, restore=restore, now=now),
            lambda: self.engine.lift(boundary_id, restore=restore),
        )

    @rule(
        owner=OWNERS,
        contact=mostly(
            (*PERSONS, *LINK_SPELLINGS, *STRANGERS), (LATE, UNKNOWN_PERSON, *UNLINKABLE)
        ),
    )
    def add_contact(self, owner: str, contact: str) -> None:
        self._write(
            lambda: self.model.add_contact(owner, contact),
            lambda: self.engine.add_contact(owner, contact),
        )

    @rule(
        owner=OWNERS,
        ago=st.sampled_from((None, 0.0, 60.0, 3600.0, 7200.0)),
    )
    def record_emergency(self, owner: str, ago: float | None) -> None:
        at = None if ago is None else self.now - ago
        self._write(
            lambda: self.model.record_emergency(owner, self.now if at is None else at),
            lambda: self.engine.record_emergency(owner, at=at),
        )

    @rule(owner=OWNERS, lifts=st.booleans())
    def set_emergency_lifts_person_blocks(self, owner: str, lifts: bool) -> None:
        self._write(
            lambda: self.model.set_lifts_person_blocks(owner, lifts),
            lambda: self.engine.set_emergency_lifts_person_blocks(owner, lifts),
        )

    # -- shared lists --------------------------------------------------------------

    @rule(
        curator=OWNERS,
        list_id=st.sampled_from(LIST_IDS),
        members=st.lists(mostly(MEMBERS, BAD_MEMBERS), max_size=3),
    )
    def create_list(self, curator: str, list_id: str, members: list[str]) -> None:
        self._write(
            lambda: self.model.create_list(curator, list_id, members),
            lambda: self.engine.create_list(curator, f"List {list_id}", list_id=list_id,
                                            members=members),
        )  # fmt: skip

    @rule(
        list_id=st.sampled_from(LIST_IDS),
        members=st.lists(mostly(MEMBERS, BAD_MEMBERS), min_size=1, max_size=3),
        add=st.booleans(),
    )
    def change_list_members(self, list_id: str, members: list[str], add: bool) -> None:
        """Membership changes: every subscriber's next decision must see them."""
        self._write(
            lambda: self.model.change_members(list_id, members, add=add),
            lambda: (self.engine.add_list_members if add else self.engine.remove_list_members)(
                list_id, members
            ),
        )

    @rule(
        owner=OWNERS,
        list_id=st.sampled_from(LIST_IDS),
        kind=mostly((Kind.BLOCK, Kind.MUTE), (Kind.RESTRICT,)),
    )
    def subscribe(self, owner: str, list_id: str, kind: Kind) -> None:
        self._flush_expiries()
        before = self.engine.revision
        try:
            got = self.engine.subscribe(owner, list_id, kind)
        except NocontactError:
            with_error = True
        else:
            with_error = False
        try:
            changed = self.model.subscribe(
                owner, list_id, kind, "" if with_error else got.id, self.now
            )
        except Invalid:
            assert with_error, "engine accepted an invalid subscription"
            assert self.engine.revision == before
            self.refused += 1
            return
        assert not with_error, "engine refused a valid subscription"
        assert (self.engine.revision > before) == changed

    @rule(owner=OWNERS, list_id=st.sampled_from(LIST_IDS))
    def unsubscribe(self, owner: str, list_id: str) -> None:
        self._write(
            lambda: self.model.unsubscribe(owner, list_id),
            lambda: self.engine.unsubscribe(owner, list_id),
        )

    @rule(list_id=st.sampled_from(LIST_IDS))
    def delete_list(self, list_id: str) -> None:
        self._write(
            lambda: self.model.delete_list(list_id), lambda: self.engine.delete_list(list_id)
        )

    @rule(curator=OWNERS, suspended=st.booleans())
    def suspend_curator(self, curator: str, suspended: bool) -> None:
        self._write(
            lambda: self.model.suspend(curator, suspended),
            lambda: self.engine.suspend_curator(curator, suspended),
        )

    @rule()
    def fold_into_edges(self) -> None:
        """Plain boundaries move from the overlay into the packed edges (and a checkpoint)."""
        self.engine.checkpoint()

    @rule(crash=st.booleans())
    def reopen(self, crash: bool) -> None:
        """Close and open again: from the checkpoint, or (after a crash) from the rows."""
        self.engine.close(checkpoint=not crash)
        self.engine = self._open()

    @rule(seconds=st.sampled_from((0.001, 1.0, 59.0, 600.0, 3600.0, 7201.0, 86400.0, 1e6)))
    def advance(self, seconds: float) -> None:
        self.now += seconds

    @rule(pick=st.integers(0, 50), just_before=st.booleans())
    def advance_to_an_edge(self, pick: int, just_before: bool) -> None:
        """Land exactly on (or just before) the next end, start or window edge."""
        edges = sorted(t for t in self._edges() if t > self.now)
        if not edges:
            self.now += 1.0
            return
        edge = edges[pick % len(edges)]
        self.now = edge - 0.001 if just_before and edge - 0.001 > self.now else edge

    def _edges(self) -> list[float]:
        edges: list[float] = []
        for b in self.model.boundaries:
            edges.append(b.starts)
            if b.ends is not None:
                edges.append(b.ends)
        for at in self.model.emergencies.values():
            edges += [at, at + EMERGENCY_WINDOW]
        return edges

    # -- comparing reads -------------------------------------------------------------

    def _same_boundary(self, got: object, want: RBoundary) -> None:
        fields = (
            "id", "owner", "kind", "target", "scope", "channels", "starts", "ends",
            "disclosure", "note", "keep_evidence", "on_end", "target_person",
        )  # fmt: skip
        for name in fields:
            assert getattr(got, name) == getattr(want, name), (name, got, want)

    def _compare(
        self,
        got: Decision,
        actor: str,
        action: Action,
        target: str,
        platform: str | None,
        at: float,
    ) -> None:
        want = self.model.decide(actor, action, target, platform=platform, at=at)
        self.decided_by_boundary += want.boundary_id is not None
        self.decided_by_list += want.boundary_id is not None and want.boundary_id.startswith("s_")
        where = f"{actor} -{action.value}-> {target} on {platform} at T0+{at - T0:g}"
        explained = got.explanation.boundary_id if got.explanation is not None else None
        assert (
            got.outcome,
            got.actor_sees,
            got.notify,
            got.evidence,
            got.note,
            got.until,
            explained,
        ) == (
            want.outcome,
            want.actor_sees,
            want.notify,
            want.evidence,
            want.note,
            want.until,
            want.explained_to_actor,
        ), where
        assert got.revision == self.engine.revision
        self._design_promises(got, want, where)

    @staticmethod
    def _design_promises(got: Decision, want: RDecision, where: str) -> None:
        """DESIGN section 8, checked on the engine's answer directly."""
        blocks = [
            h
            for h in want.holding
            if h.direction is Direction.INBOUND and h.boundary.kind is Kind.BLOCK
        ]
        if blocks:
            # Nothing from a blocked person reaches the owner or sees the owner's things.
            assert got.outcome not in DELIVERED_ETC, where
            # A silent block is never disclosed (unless something else the actor
            # may know about answers: a disclosed block, a space, their own block).
            discloses = any(
                (h.direction is Direction.INBOUND and h.boundary.kind is Kind.SPACE)
                or (
                    h.direction is Direction.INBOUND
                    and h.boundary.kind is Kind.BLOCK
                    and h.boundary.disclosure is Disclosure.UNAVAILABLE
                )
                or (h.direction is Direction.OUTBOUND and h.boundary.kind is Kind.BLOCK)
                for h in want.holding
            )
            if not discloses:
                assert got.actor_sees not in DISCLOSING_TO_BLOCKED, where
        if want.emergency:
            assert got.outcome not in NEVER_FOR_EMERGENCY, where

    def _times(self, rng: random.Random, b: RBoundary | None) -> float:
        now = self.now
        choices = [now, now, now + rng.choice((1.0, 3600.0, 86400.0))]
        if b is not None:
            choices += [b.starts, b.starts - 0.001]
            if b.ends is not None:
                choices += [b.ends, b.ends - 0.001, b.ends - 0.001]
            at = self.model.emergencies.get(b.owner)
            if at is not None:
                choices += [at + EMERGENCY_WINDOW - 0.001, at + EMERGENCY_WINDOW]
        return rng.choice([t for t in choices if t >= now])

    def _near(self, rng: random.Random, b: RBoundary) -> str:
        """A party the boundary may be about."""
        model = self.model
        options: list[str] = []
        if b.target.startswith("list:"):
            members = sorted(model.lists[b.target.removeprefix("list:")][2])
            options += [b.owner, *PERSONS[:2], *STRANGERS[:1]]
            for m in members:
                options += spellings_of(m)
                holder = model.linked.get(m)
                options += [m] if holder is None else [holder, m]
            return rng.choice(options)
        if b.target.startswith("pattern:"):
            options += [PRIVATE, "tel:72345;phone-context=+1", "sender:Other Co", EMERGENCY]
            options += ["mailto:sam@example.org", "acct:mastodon:kim@social.example"]
            options += [*STRANGERS, UNKNOWN_PERSON, *PERSONS]
            options += [c for o, c in model.contacts if o == b.owner]
        elif looks_like_address(b.target):
            options += spellings_of(b.target)
        else:
            options.append(b.target)
        for person in (b.target_person, model.linked.get(b.target)):
            if person is not None:
                options.append(person)
                options += [s for uri in model.addresses_of(person) for s in spellings_of(uri)]
        if not looks_like_address(b.target) and not b.target.startswith("pattern:"):
            options += [s for uri in model.addresses_of(b.target) for s in spellings_of(uri)]
        return rng.choice(options)

    def _as_party(self, rng: random.Random, person: str) -> str:
        """The person, or one of their addresses."""
        mine = self.model.addresses_of(person)
        if mine and rng.random() < 0.4:
            return rng.choice(spellings_of(rng.choice(mine)))
        return person

    @invariant()
    def engine_agrees_with_model(self) -> None:
        self.steps += 1
        rng = random.Random(self.steps)
        alive = [b for b in self.model.boundaries if b.alive(self.now)]
        alive += self.model.subscriptions.values()
        # Interactions between a boundary's owner and someone it may be about.
        for _ in range(FOCUSED_CHECKS if alive else 0):
            b = rng.choice(alive)
            owner, other = self._as_party(rng, b.owner), self._near(rng, b)
            actor, target = (other, owner) if rng.random() < 0.6 else (owner, other)
            action = rng.choice(ACTIONS)
            platform = rng.choice((None, None, b.scope.partition(":")[2] or None, "chirp"))
            at = self._times(rng, b)
            got = self.engine.check(actor, action, target, platform=platform, at=at)
            self._compare(got, actor, action, target, platform, at)
        # Anyone toward anyone, in one batch.
        batch = [
            Interaction(
                rng.choice(PARTIES),
                rng.choice(ACTIONS),
                rng.choice(PARTIES),
                rng.choice(PLATFORMS),
                self._times(rng, rng.choice(alive) if alive else None),
            )
            for _ in range(RANDOM_CHECKS)
        ]
        for i, got in zip(batch, self.engine.decide_many(batch), strict=True):
            assert i.at is not None
            self._compare(got, i.actor, i.action, i.target, i.platform, i.at)
        self._check_feeds(rng, alive)
        self._check_batches(rng)
        self._check_listings()

    def _check_batches(self, rng: random.Random) -> None:
        """The vectorised reads on person numbers agree with the model, pair by pair."""
        people = sorted(self.model.persons)
        if len(people) < 2:
            return
        numbers = {p: self.engine.person_number(p) for p in people}
        at = self.now
        action = rng.choice(ACTIONS)
        pairs = [(a, b) for a in people for b in people if a != b]
        got = self.engine.decide_ids(
            [numbers[a] for a, _ in pairs], action, [numbers[b] for _, b in pairs], at=at
        )
        outcomes = list(Outcome)
        for (a, b), code in zip(pairs, got, strict=True):
            want = self.model.decide(a, action, b, platform=None, at=at).outcome
            assert outcomes[code] is want, (a, action, b, outcomes[code], want)
        # One pair at a time by number, as a product calls it: the whole decision
        # (the plain fast path when no other boundary is about, the full one else).
        for a, b in rng.sample(pairs, min(len(pairs), 6)):
            single = self.engine.decide_number(numbers[a], action, numbers[b])
            self._compare(single, a, action, b, None, at)
        one = rng.choice(people)
        many = [numbers[p] for p in people]
        seen = self.engine.visible_ids(numbers[one], many, at=at)
        reach = self.engine.audience_ids(numbers[one], many, at=at)
        for other, shown, reached in zip(people, seen, reach, strict=True):
            item = [Item("i", author=other)]
            assert shown == (self.model.visible(one, item, at) == [Outcome.SHOW]), (one, other)
            assert reached == (other in self.model.audience(one, [other], at)), (one, other)

    def _check_feeds(self, rng: random.Random, alive: list[RBoundary]) -> None:
        people = [*PERSONS, LATE, UNKNOWN_PERSON, *STRANGERS[:1]]
        if alive:
            b = rng.choice(alive)
            people += [b.owner, b.owner, self._near(rng, b), self._near(rng, b)]

        def someone() -> str:
            return self._as_party(rng, rng.choice(people)) if rng.random() < 0.9 else None  # type: ignore[return-value]

        items = []
        for n in range(4):
            author = self._as_party(rng, rng.choice(people))
            items.append(
                Item(
                    id=f"i{n}",
                    author=author,
                    reposted_by=someone() if rng.random() < 0.3 else None,
                    quoted=someone() if rng.random() < 0.3 else None,
                    reply_to=someone() if rng.random() < 0.5 else None,
                    root=someone() if rng.random() < 0.3 else None,
                    mentions=tuple(someone() or "ana" for _ in range(rng.randint(0, 2))),
                )
            )
        viewer = self._as_party(rng, rng.choice(people))
        at = self._times(rng, rng.choice(alive) if alive else None)
        got = [v.outcome for v in self.engine.visible(viewer, items, at=at)]
        assert got == self.model.visible(viewer, items, at), (viewer, items, at - T0)

        author = self._as_party(rng, rng.choice(people))
        candidates = [self._as_party(rng, p) for p in people]
        assert self.engine.audience(author, candidates, at=at) == self.model.audience(
            author, candidates, at
        ), (author, candidates, at - T0)

    def _check_listings(self) -> None:
        for person in self.model.persons:
            got = sorted(self.engine.boundaries(person), key=lambda b: b.id)
            want = sorted(self.model.alive_of(person, self.now), key=lambda b: b.id)
            assert [b.id for b in got] == [b.id for b in want], person
            for g, w in zip(got, want, strict=True):
                self._same_boundary(g, w)
            assert self.engine.person(person).addresses == tuple(self.model.addresses_of(person))


EngineVsModel.TestCase.settings = settings(
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestEngineVsModel = EngineVsModel.TestCase


# -- engine bugs this test found, each reduced to its smallest history ---------------


def test_a_repointed_temporary_boundary_ends_cleanly(engine: Engine, clock: FakeClock) -> None:
    """A boundary with an end that linking re-points ends once, at that end: the
    write after it succeeds and the feed has one ``boundary_expired`` for it.

    (It was filed twice in the expiry heap, so the first write after its end
    raised KeyError and ``engine.revision`` lagged the store.)
    """
    engine.add_person("ana")
    engine.add_person("ben")
    block = engine.set_boundary("ana", "tel:+14155550102", "block", ends=clock.now + 60)
    engine.link_address("ben", "tel:+14155550102")  # re-points the block to ben
    clock.advance(61)
    engine.add_person("cy")  # the first write after the end
    assert engine.boundaries("ana") == []
    assert [e.data["id"] for e in engine.events() if e.type == "boundary_expired"] == [block.id]
    assert engine.revision == engine.events()[-1].revision


def test_a_moved_temporary_boundary_ends_cleanly(engine: Engine, clock: FakeClock) -> None:
    """An ``address``-scoped boundary with an end that ``change_address`` moves
    ends once, at that end, like one never moved."""
    engine.add_person("ana")
    engine.add_person("ben", addresses=["tel:+14155550101"])
    mute = engine.set_boundary(
        "ana", "tel:+14155550101", "mute", scope="address", ends=clock.now + 60
    )
    engine.change_address("ben", "tel:+14155550101", "tel:+14155550102")
    clock.advance(61)
    engine.add_person("cy")
    assert engine.boundaries("ana") == []
    assert [e.data["id"] for e in engine.events() if e.type == "boundary_expired"] == [mute.id]


def test_change_address_repoints_like_link(engine: Engine) -> None:
    """Changing to an address nobody had re-points the boundaries set on it, as
    linking it does: a block on that number covers its new owner's other
    addresses and person id from then on."""
    engine.add_person("ana")
    engine.add_person("ben", addresses=["tel:+14155550101", "acct:chirp:ben"])
    block = engine.set_boundary("ana", "tel:+14155550102", "block")  # nobody's number yet
    engine.change_address("ben", "tel:+14155550101", "tel:+14155550102")
    assert engine.boundary(block.id).target_person == "ben"
    assert engine.check("acct:chirp:ben", "message", "ana").outcome is Outcome.DROP
    assert engine.check("ben", "message", "ana").outcome is Outcome.DROP
    changed = [e for e in engine.events() if e.type == "address_changed"]
    assert [e.data["repointed"] for e in changed] == [[block.id]]


def test_a_repeat_that_starts_earlier_brings_the_boundary_forward(
    engine: Engine, clock: FakeClock
) -> None:
    """Setting the same boundary twice changes nothing, but asking for one that
    would take effect earlier than the existing one brings that one forward (one
    boundary per owner, target, kind and scope): a block asked for now holds now."""
    engine.add_person("ana")
    engine.add_person("ben")
    later = engine.set_boundary("ana", "ben", "block", starts=clock.now + 600)
    now = engine.set_boundary("ana", "ben", "block")
    assert now.id == later.id and now.starts == clock.now
    assert engine.check("ben", "message", "ana").outcome is Outcome.DROP
    revision = engine.revision
    assert engine.set_boundary("ana", "ben", "block").id == now.id
    assert engine.set_boundary("ana", "ben", "block", starts=clock.now + 300).id == now.id
    assert engine.revision == revision
