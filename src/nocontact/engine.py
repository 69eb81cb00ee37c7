"""The library face: an ``Engine`` opened on a store.

A write is validated against the in-memory index, committed to the store in
one named transaction together with the events that describe it, and only then
applied to the index: a rejected or failed write leaves both untouched. Reads
(``decide``, ``visible``, ``audience``) never touch the store.

Temporary boundaries need no background job: every decision compares the
boundary's end with the evaluation time, and the ``boundary_expired`` events
are written by the next write (or ``expire_due``), exactly once among writers.
"""

from __future__ import annotations

import functools
import math
import operator
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Concatenate, ParamSpec, Self, TypeVar

import numpy as np
import numpy.typing as npt

from .core.addresses import Address, AddressKind, looks_like_address
from .core.batch import audience_numbers, decide_numbers, shown_numbers
from .core.decide import (
    LIFT_PERSON_BLOCKS,
    Policy,
    audience,
    decide_parties,
    visible,
)
from .core.edges import (
    Checkpoint,
    edge_code,
    first_per_pair,
    is_plain,
    kind_of,
    plain_code,
    plain_id,
)
from .core.errors import (
    AddressTaken,
    EmergencyNumber,
    InvalidAddress,
    InvalidBoundary,
    InvalidInput,
    PersonExists,
    SelfBoundary,
    StoreChanged,
    UnknownBoundary,
    UnknownPerson,
)
from .core.index import PATTERN_PREFIX, Index, check_pattern, is_wildcard
from .core.model import (
    Action,
    Boundary,
    Channel,
    Clock,
    Decision,
    Disclosure,
    Event,
    Instant,
    Interaction,
    Item,
    Kind,
    OnEnd,
    Visibility,
    check_person_id,
    is_person_id,
    parse_enum,
)
from .core.semantics import DEFAULT
from .engine_interop import InteropReads
from .engine_lists import ListCommands
from .store.base import REVISION, Change, Delete, NewEvent, Put, Snapshot, Store

I64Array = npt.NDArray[np.int64]
P = ParamSpec("P")
R = TypeVar("R")

NOTE_LIMIT = 280
#: The checkpoint of the index's edges, kept in the store for a fast cold start.
CHECKPOINT = "edges"
#: The store's secret that keys plain boundaries' ids.
ID_SECRET = "boundary_ids"
#: Decisions with no boundary at all (the revision is filled in per engine).
DEFAULT_DECISION: dict[str, Decision] = {
    a: Decision(e.outcome, e.actor_sees, e.notify, 0) for a, e in DEFAULT.items()
}
#: The overlay folds its plain boundaries into edges past this many boundaries.
MERGE_AT = 50_000
When = datetime | float | int | None


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """How an engine behaves; every field has the default DESIGN names."""

    #: Region for phone numbers written without a country code.
    region: str = "US"
    #: How long ending a pledge early takes, in seconds.
    pledge_cooldown: float = 600.0
    #: How long after an emergency call call-back-blocking boundaries pause, in seconds.
    emergency_window: float = 2 * 3600.0


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str | None
    addresses: tuple[str, ...]
    revision: int


@dataclass(frozen=True, slots=True)
class Lifted:
    """The result of a lift. A pledge is not ended at once: its cool-down starts."""

    boundary: Boundary
    revision: int
    ended: bool


def to_instant(value: When, field: str = "at") -> Instant | None:
    """Accept an aware ``datetime`` or seconds since the epoch."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidInput(f"{field} needs a time zone (for example +00:00)", field=field)
        return value.timestamp()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidInput(f"{field} must be a time, got {value!r}", field=field)
    return float(value)


def boundary_row(b: Boundary, revision: object, key: bytes = b"") -> dict[str, object]:
    return {
        "id": b.id,
        "owner": b.owner,
        "kind": b.kind.value,
        "target": b.target,
        "scope": b.scope,
        "channels": ",".join(sorted(b.channels)) if b.channels is not None else None,
        "starts": b.starts,
        "ends": b.ends,
        "disclosure": b.disclosure.value,
        "note": b.note,
        "keep_evidence": int(b.keep_evidence),
        "on_end": b.on_end.value,
        "target_person": b.target_person,
        "revision": revision,
        "plain": int(edge_code(b, key) is not None),
    }


def boundary_from_row(row: dict[str, object]) -> Boundary:
    channels = row["channels"]
    ends = row["ends"]
    note = row["note"]
    target_person = row["target_person"]
    return Boundary(
        id=str(row["id"]),
        owner=str(row["owner"]),
        kind=Kind(str(row["kind"])),
        target=str(row["target"]),
        scope=str(row["scope"]),
        channels=frozenset(Channel(c) for c in str(channels).split(",")) if channels else None,
        starts=float(str(row["starts"])),
        ends=float(str(ends)) if ends is not None else None,
        disclosure=Disclosure(str(row["disclosure"])),
        note=str(note) if note is not None else None,
        keep_evidence=bool(row["keep_evidence"]),
        on_end=OnEnd(str(row["on_end"])),
        target_person=str(target_person) if target_person is not None else None,
        revision=int(str(row["revision"])),
    )


def _check_scope(scope: str | None) -> str:
    if scope is None or scope in ("everywhere", "address"):
        return scope or "everywhere"
    if isinstance(scope, str) and scope.startswith("platform:"):
        name = scope.removeprefix("platform:").strip().lower()
        if name and len(name) <= 32 and all(c.isalnum() or c == "-" for c in name):
            return "platform:" + name
    raise InvalidBoundary(
        f"scope must be everywhere, address or platform:NAME; got {scope!r}", field="scope"
    )


#: How many times a write is tried while other processes keep writing first.
WRITE_ATTEMPTS = 5


def _writes(method: Callable[Concatenate[Engine, P], R]) -> Callable[Concatenate[Engine, P], R]:
    """A write: catch up with other writers first, and again if one wrote meanwhile.

    The store refuses a commit made on a state another process has changed
    (``StoreChanged``, nothing written), so no write is validated against an
    old state: it runs again on the fresh one.
    """

    def write(self: Engine, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._lock:
            if self._pending is not None:  # inside ``transaction``: it catches up, once
                return method(self, *args, **kwargs)
            for _ in range(WRITE_ATTEMPTS - 1):
                self.refresh()
                try:
                    return method(self, *args, **kwargs)
                except StoreChanged:
                    continue
            self.refresh()
            return method(self, *args, **kwargs)

    functools.update_wrapper(write, method)  # the method's name and docstring
    return write


class Engine(ListCommands, InteropReads):
    """Boundaries between people, decided on every interaction."""

    def __init__(
        self,
        store: Store,
        *,
        config: EngineConfig | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.config = config or EngineConfig()
        self._store = store
        self._clock = clock
        self._policy = Policy(emergency_window=self.config.emergency_window)
        self._lock = threading.RLock()
        #: Keys plain boundaries' ids (see ``plain_id``); made with the database.
        self._id_key = store.secret(ID_SECRET)
        self._index = Index(region=self.config.region, id_key=self._id_key)
        self._revision = 0
        self._checkpointed = -1
        self._closed = False
        #: Inside ``transaction``: the changes and events waiting for its one commit.
        self._pending: tuple[list[Change], list[NewEvent], int] | None = None
        self._load()

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        config: EngineConfig | None = None,
        clock: Clock = time.time,
    ) -> Self:
        """Open an engine on a SQLite file (by default in the user's data folder)."""
        from .store.sqlite import SQLiteStore, default_path

        return cls(SQLiteStore.open(path or default_path()), config=config, clock=clock)

    def written_elsewhere(self) -> bool:
        """Whether another process wrote to the store since this engine read it (cheap)."""
        return self._store.written_elsewhere()

    def refresh(self) -> bool:
        """Catch up with writes another process made to the store; say if there were any.

        One cheap check when nothing changed (a server asks once per request);
        otherwise the index is rebuilt from the store (from its checkpoint and
        the rows written since). Writes catch up by themselves.
        """
        with self._lock:
            if not self._store.written_elsewhere():
                return False
            self._checkpointed = -1
            self._load()
            return True

    def _load(self) -> None:
        """Rebuild the index from the store, the plain boundaries from a checkpoint if current."""
        self._store.mark_read()
        saved = self._store.checkpoint(CHECKPOINT)
        snapshot = self._store.load(skip_plain=saved is not None)
        if saved is not None and saved[0] != snapshot.revision:
            saved, snapshot = None, self._store.load()
        checkpoint = Checkpoint.from_bytes(saved[1]) if saved is not None else None
        # Built aside and swapped in whole: readers never see a half-built index.
        index = Index(region=self.config.region, id_key=self._id_key)
        if checkpoint is not None:
            for key in checkpoint.keys:  # number every key as the edges do
                index.intern(key, index.parse(key) if looks_like_address(key) else None)
        self._load_rows(index, snapshot, plain=checkpoint is None)
        if checkpoint is not None:
            index.set_edges(checkpoint.edges)
            index.load_plain_extras(*checkpoint.extras)
            self._checkpointed = snapshot.revision
        self._index = index
        self._at_revision(snapshot.revision)

    def _load_rows(self, index: Index, snapshot: Snapshot, *, plain: bool) -> None:
        """Load every row; with ``plain``, the plain boundaries become edges here."""
        for row in snapshot.rows("persons"):
            index.add_person(str(row["id"]), _opt_str(row["name"]))
        for row in snapshot.rows("addresses"):
            parsed = index.parse(str(row["uri"]))
            index.intern(parsed.uri, parsed)
            if row["person"] is not None:
                index.link(parsed, str(row["person"]))
        owners: list[int] = []
        targets: list[int] = []
        codes: list[int] = []
        for row in snapshot.rows("boundaries"):
            b = boundary_from_row(row)
            code = edge_code(b, self._id_key) if plain else None
            if code is None:
                index.add_boundary(b)
            else:
                owners.append(index.intern(b.owner))
                targets.append(index.intern(b.target))
                codes.append(code)
        if plain:
            index.load_plain(
                np.array(owners, np.int64), np.array(targets, np.int64), np.array(codes, np.uint8)
            )
        for row in snapshot.rows("contacts"):
            contact = str(row["contact"])
            known = index.parse(contact) if looks_like_address(contact) else None
            index.add_contact(str(row["owner"]), contact, known)
        for row in snapshot.rows("settings"):
            index.settings[(str(row["owner"]), str(row["key"]))] = str(row["value"])
        for row in snapshot.rows("emergencies"):
            index.emergencies[str(row["owner"])] = float(str(row["at"]))
        self._load_lists(index, snapshot)

    def checkpoint(self) -> None:
        """Fold the overlay into edges and save them, so the next open is fast."""
        with self._lock:
            if self._checkpointed == self._revision:
                return
            self._index.merge()
            saved = Checkpoint(self._index.keys(), self._index.edges, self._index.plain_extras())
            self._store.save_checkpoint(CHECKPOINT, self._revision, saved.to_bytes())
            self._checkpointed = self._revision

    def close(self, *, checkpoint: bool = True) -> None:
        """Save a checkpoint (unless told not to) and release the store. Idempotent."""
        with self._lock:
            if not self._closed:
                self._closed = True
                try:
                    if checkpoint:
                        self.checkpoint()
                finally:
                    self._store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def revision(self) -> int:
        return self._revision

    def now(self) -> Instant:
        return self._clock()

    # -- the write path -----------------------------------------------------

    def _commit(
        self,
        name: str,
        changes: Sequence[Change],
        events: Sequence[NewEvent],
        apply: Callable[[int], object],
    ) -> int:
        """Commit to the store first; only a committed write reaches the index."""
        if self._pending is not None:  # inside ``transaction``: its one commit stores this
            self._pending[0].extend(changes)
            self._pending[1].extend(events)
            apply(self._pending[2])
            return self._pending[2]
        revision = self._store.commit(name, changes, events)
        apply(revision)
        self._at_revision(revision)
        return revision

    @contextmanager
    def transaction(self, name: str) -> Iterator[None]:
        """Every write inside is stored by one commit: all of them, or none.

        Writes inside see each other at once. If anything inside raises, or the
        commit fails, nothing is stored and the index is rebuilt from the store.
        """
        with self._lock:
            if self._pending is not None:
                raise InvalidInput("transactions do not nest")
            self.refresh()
            self._pending = ([], [], self._store.revision() + 1)
            try:
                yield
                changes, events, expected = self._pending
                self._pending = None
                revision = self._store.commit(name, changes, events) if events else expected
            except BaseException:
                self._pending = None
                self._reload()
                raise
            if events and revision != expected:  # another writer came first: rebuild
                self._reload()
            elif events:
                self._at_revision(revision)

    def _reload(self) -> None:
        """Rebuild the index from the store, dropping whatever was applied but not stored."""
        self._checkpointed = -1
        self._load()

    def _at_revision(self, revision: int) -> None:
        """The index reflects ``revision`` now; so do the cached default decisions."""
        self._revision = revision
        self._defaults = {a: replace(d, revision=revision) for a, d in DEFAULT_DECISION.items()}

    @_writes
    def expire_due(self) -> int:
        """Write the end of every boundary whose time has come; return the revision.

        A write, never done by a read: decisions need no such events (they
        compare each end with the time). Every write does this first; a server
        calls it before serving the event log.
        """
        with self._lock:
            self._expire_due(self._clock())
            return self._revision

    def _expire_due(self, now: Instant) -> None:
        """Write the ends that have come, each exactly once among all writers.

        The store deletes a row only if it still has the end we know, and
        records an event only for a row it deleted: another engine on the same
        database that got there first leaves nothing to write.
        """
        filed = self._index.boundaries
        ended = [filed[i] for i in dict.fromkeys(self._index.due(now)) if i in filed]
        if not ended:
            return
        due = [
            (b.id, b.ends or now, NewEvent("boundary_expired", b.ends or now, _ended_data(b)))
            for b in ended
        ]
        try:
            revision, written = self._store.end_boundaries("expire_due", due)
        except BaseException:
            for b in ended:  # keep the ones still filed due, for the next attempt
                if b.id in filed:
                    self._index.replace_boundary(b)
            raise
        # Ended by time either way: here, or by another writer first.
        for b in ended:
            self._index.remove_boundary(b.id)
        if written:
            self._at_revision(revision)

    def _person(self, person: object, field: str = "person") -> str:
        if not isinstance(person, str):
            raise InvalidInput(f"{field} must be a person id", field=field)
        check_person_id(person)
        if not self._index.has_person(person):
            raise UnknownPerson(f"no person {person!r}", field=field)
        return person

    def _address(self, text: object, field: str = "address") -> Address:
        if not isinstance(text, str):
            raise InvalidAddress(f"{field} must be a string", field=field)
        parsed = self._index.parse(text)
        if parsed.emergency or parsed.kind is AddressKind.PRIVATE:
            raise InvalidAddress(
                f"{parsed.uri} cannot belong to a person or be a target", field=field
            )
        return parsed

    @_writes
    def add_person(
        self,
        person: str | None = None,
        *,
        name: str | None = None,
        addresses: Iterable[str] = (),
    ) -> Person:
        """Create a person, with the addresses they can be reached at."""
        with self._lock:
            self._expire_due(self._clock())
            person = person if person is not None else "p_" + secrets.token_hex(6)
            check_person_id(person)
            if self._index.has_person(person):
                raise PersonExists(f"person {person!r} already exists", field="person")
            name = _check_name(name)
            parsed = _unique(self._address(a, "addresses") for a in addresses)
            for address in parsed:
                _check_free(self._index, address, person)
            now = self._clock()
            changes: list[Change] = [Put("persons", {"id": person, "name": name, "created": now})]
            events = [
                NewEvent(
                    "person_added",
                    now,
                    {"person": person, "name": name, "addresses": [a.uri for a in parsed]},
                )
            ]
            applies: list[Callable[[], None]] = []
            for address in parsed:
                c, e, a = self._link_plan(person, address, now)
                changes += c
                events += e
                applies.append(a)

            def apply(_: int) -> None:
                self._index.add_person(person, name)
                for step in applies:
                    step()

            revision = self._commit("add_person", changes, events, apply)
            return self._person_view(person, revision)

    @_writes
    def rename_person(self, person: str, name: str | None) -> Person:
        """Change a display name: boundaries hold on ids, never on names."""
        with self._lock:
            self._person(person)
            name = _check_name(name)
            now = self._clock()
            revision = self._commit(
                "rename_person",
                [Put("persons", {"id": person, "name": name, "created": now})],
                [NewEvent("person_renamed", now, {"person": person, "name": name})],
                lambda _: self._index.names.__setitem__(person, name),
            )
            return self._person_view(person, revision)

    def person(self, person: str) -> Person:
        with self._lock:
            return self._person_view(self._person(person), self._revision)

    def person_of(self, address: str) -> str | None:
        """The person ``address`` (a canonical URI) is linked to, if any."""
        return self._index.person_of(address)

    def _person_view(self, person: str, revision: int) -> Person:
        index = self._index
        return Person(person, index.names[person], tuple(index.addresses_of(person)), revision)

    def _link_plan(
        self, person: str, address: Address, now: Instant
    ) -> tuple[list[Change], list[NewEvent], Callable[[], None]]:
        """Link an address; boundaries on it until now cover the whole person from now on."""
        repoint = [
            replace(b, target_person=person)
            for b in self._index.unresolved_toward(address.uri)
            if b.owner != person
        ]
        changes: list[Change] = [Put("addresses", {"uri": address.uri, "person": person})]
        changes += [Put("boundaries", boundary_row(b, b.revision, self._id_key)) for b in repoint]
        data = {"person": person, "address": address.uri, "boundaries": [b.id for b in repoint]}

        def apply() -> None:
            self._index.link(address, person)
            for b in repoint:
                self._index.replace_boundary(b)

        return changes, [NewEvent("address_linked", now, data)], apply

    @_writes
    def link_address(self, person: str, address: str) -> Person:
        """Give a person one more address. Every ``everywhere`` boundary toward them covers it."""
        with self._lock:
            self._expire_due(self._clock())
            self._person(person)
            parsed = self._address(address)
            if self._index.person_of(parsed.uri) == person:
                return self._person_view(person, self._revision)
            _check_free(self._index, parsed, person)
            changes, events, step = self._link_plan(person, parsed, self._clock())
            revision = self._commit("link_address", changes, events, lambda _: step())
            return self._person_view(person, revision)

    @_writes
    def unlink_address(self, person: str, address: str) -> Person:
        """Take an address away from a person. Boundaries toward the person stay on them."""
        with self._lock:
            self._expire_due(self._clock())
            self._person(person)
            parsed = self._address(address)
            if self._index.person_of(parsed.uri) != person:
                raise InvalidInput(f"{parsed.uri} is not linked to {person}", field="address")
            now = self._clock()
            revision = self._commit(
                "unlink_address",
                [Put("addresses", {"uri": parsed.uri, "person": None})],
                [NewEvent("address_unlinked", now, {"person": person, "address": parsed.uri})],
                lambda _: self._index.unlink(parsed.uri),
            )
            return self._person_view(person, revision)

    @_writes
    def change_address(self, person: str, old: str, new: str) -> Person:
        """A new number or handle for the same person; boundaries on the old one move along."""
        with self._lock:
            self._expire_due(self._clock())
            self._person(person)
            before, after = self._address(old, "old"), self._address(new, "new")
            if self._index.person_of(before.uri) != person:
                raise InvalidInput(f"{before.uri} is not linked to {person}", field="old")
            _check_free(self._index, after, person)
            moved = [
                replace(b, target=after.uri) for b in self._index.boundaries_toward(before.uri)
            ]
            now = self._clock()
            # Linking the new address re-points what was set on it while nobody had it.
            link_changes, link_events, link = self._link_plan(person, after, now)
            changes: list[Change] = [Put("addresses", {"uri": before.uri, "person": None})]
            changes += link_changes
            changes += [Put("boundaries", boundary_row(b, b.revision, self._id_key)) for b in moved]
            data = {
                "person": person,
                "old": before.uri,
                "new": after.uri,
                "boundaries": [b.id for b in moved],
                "repointed": link_events[0].data["boundaries"],
            }

            def apply(_: int) -> None:
                self._index.unlink(before.uri)
                link()
                for b in moved:
                    self._index.replace_boundary(b)

            revision = self._commit(
                "change_address", changes, [NewEvent("address_changed", now, data)], apply
            )
            return self._person_view(person, revision)

    def set_boundary(
        self,
        owner: str,
        target: str,
        kind: Kind | str,
        *,
        scope: str | None = None,
        channels: Iterable[Channel | str] | None = None,
        starts: When = None,
        ends: When = None,
        duration: timedelta | float | None = None,
        disclosure: Disclosure | str = Disclosure.SILENT,
        note: str | None = None,
        keep_evidence: bool = False,
        on_end: OnEnd | str = OnEnd.DELIVER,
    ) -> Boundary:
        """Set a boundary from ``owner`` toward ``target`` (see ``put_boundary``)."""
        return self.put_boundary(
            owner, target, kind, scope=scope, channels=channels, starts=starts, ends=ends,
            duration=duration, disclosure=disclosure, note=note, keep_evidence=keep_evidence,
            on_end=on_end,
        )[0]  # fmt: skip

    @_writes
    def put_boundary(
        self,
        owner: str,
        target: str,
        kind: Kind | str,
        *,
        scope: str | None = None,
        channels: Iterable[Channel | str] | None = None,
        starts: When = None,
        ends: When = None,
        duration: timedelta | float | None = None,
        disclosure: Disclosure | str = Disclosure.SILENT,
        note: str | None = None,
        keep_evidence: bool = False,
        on_end: OnEnd | str = OnEnd.DELIVER,
    ) -> tuple[Boundary, bool]:
        """Set a boundary, and say whether it was created.

        An owner holds one boundary of a kind toward one person (or address,
        or pattern) in one scope: setting it again updates that boundary (its
        note, end, disclosure, channels...) and keeps its id, and setting it
        again unchanged changes nothing. So lifting it always lifts it.
        """
        with self._lock:
            now = self._clock()
            self._expire_due(now)
            spec = self._boundary_spec(
                owner, target, kind, scope, channels, starts, ends, duration,
                disclosure, note, keep_evidence, on_end, now,
            )  # fmt: skip
            existing = self._same_aim(spec, now)
            if existing is not None:
                return self._update_boundary(existing, spec, now), False
            if is_plain(spec) and spec.starts <= now:
                # A plain boundary's id follows from what it is: the edges need no ids.
                code = plain_code(spec.kind, spec.disclosure, spec.keep_evidence)
                boundary = replace(spec, id=plain_id(spec.owner, spec.target, code, self._id_key))
                found = self._stored(boundary.id)
                if found is not None:  # kept under its id since a lift re-set it
                    return found, False
            else:
                boundary = replace(spec, id="b_" + secrets.token_hex(8))
            revision = self._commit(
                "set_boundary",
                [Put("boundaries", boundary_row(boundary, REVISION, self._id_key))],
                [NewEvent("boundary_set", now, _set_data(boundary))],
                lambda r: self._index.add_boundary(replace(boundary, revision=r)),
            )
            if len(self._index.boundaries) > MERGE_AT + self._index.edges.size // 8:
                self._index.merge()
            return replace(boundary, revision=revision), True

    def _same_aim(self, spec: Boundary, now: Instant) -> Boundary | None:
        """The owner's boundary, not ended, of ``spec``'s kind and scope toward the same one."""
        index = self._index
        candidates = list(index.boundaries_of(spec.owner))
        aim = _aim(spec)
        if is_person_id(aim):  # a plain boundary lives as an edge, not in the overlay
            candidates += index.between(index.resolve(spec.owner), index.resolve(aim))
        for b in candidates:
            if (
                b.kind is spec.kind
                and b.scope == spec.scope
                and _aim(b) == aim
                and (b.ends is None or now < b.ends)
            ):
                return self._stored(b.id) or b
        return None

    def _update_boundary(self, existing: Boundary, spec: Boundary, now: Instant) -> Boundary:
        """Set again: the existing boundary takes the new terms, under its id."""
        ends = spec.ends
        if existing.kind is Kind.PLEDGE and existing.ends is not None:
            # A pledge is ended early only through its cool-down (``lift``).
            ends = None if ends is None else max(ends, existing.ends)
        elif existing.kind is Kind.PLEDGE:
            ends = None
        # One not yet started may be brought forward; one in force keeps its start.
        starts = existing.starts if existing.starts <= now else min(existing.starts, spec.starts)
        updated = replace(
            spec, id=existing.id, starts=starts, ends=ends, revision=existing.revision
        )
        if _same(existing, updated) and existing.starts == updated.starts:
            return existing
        if updated.ends is not None and not updated.ends > updated.starts:
            raise InvalidBoundary("a boundary must end after it starts", field="ends")
        revision = self._commit(
            "update_boundary",
            [Put("boundaries", boundary_row(updated, REVISION, self._id_key))],
            [NewEvent("boundary_updated", now, _set_data(updated))],
            lambda r: self._index.replace_boundary(replace(updated, revision=r)),
        )
        return replace(updated, revision=revision)

    def _boundary_spec(
        self,
        owner: str,
        target: str,
        kind: Kind | str,
        scope: str | None,
        channels: Iterable[Channel | str] | None,
        starts: When,
        ends: When,
        duration: timedelta | float | None,
        disclosure: Disclosure | str,
        note: str | None,
        keep_evidence: bool,
        on_end: OnEnd | str,
        now: Instant,
    ) -> Boundary:
        """Validate every part of a new boundary; raise before anything is written."""
        owner = self._person(owner, "owner")
        kind = parse_enum(Kind, kind, "kind")
        scope = _check_scope(scope)
        if not isinstance(target, str):
            raise InvalidBoundary("target must be a person id, an address or a pattern")
        target_person: str | None = None
        if target.startswith(PATTERN_PREFIX) or is_wildcard(target):
            target = check_pattern(target)
            if scope == "address":
                raise InvalidBoundary("a pattern has no single address", field="scope")
            if kind is Kind.PLEDGE:
                raise InvalidBoundary("a pledge is toward one person", field="target")
        elif not is_person_id(target):
            parsed = self._index.parse(target)
            if parsed.emergency:
                raise EmergencyNumber(f"{parsed.uri} is an emergency number", field="target")
            if parsed.kind is AddressKind.PRIVATE:
                raise InvalidBoundary("for callers without caller id, target pattern:private")
            target = parsed.uri
            linked = self._index.person_of(target)
            if linked == owner:
                raise SelfBoundary(f"{target} is {owner}'s own address", field="target")
            target_person = linked if scope != "address" else None
        else:
            target = self._person(target, "target")
            if target == owner:
                raise SelfBoundary("a boundary needs someone else as its target", field="target")
            if scope == "address":
                raise InvalidBoundary("scope address needs an address as target", field="scope")

        start = to_instant(starts, "starts")
        start = now if start is None else start
        end = to_instant(ends, "ends")
        if duration is not None:
            if end is not None:
                raise InvalidBoundary("give ends or duration, not both", field="duration")
            seconds = duration.total_seconds() if isinstance(duration, timedelta) else duration
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
                raise InvalidBoundary("duration must be a number of seconds", field="duration")
            end = start + float(seconds)
        if end is not None and not end > start:
            raise InvalidBoundary("a boundary must end after it starts", field="ends")
        if kind is Kind.SPACE and end is None:
            raise InvalidBoundary("space is asked for a set time: give ends", field="ends")

        chosen = None
        if channels is not None:
            if isinstance(channels, str):
                channels = [channels]
            chosen = frozenset(parse_enum(Channel, c, "channels") for c in channels)
            if not chosen:
                raise InvalidBoundary("channels, when given, must name at least one")
        disclosed = parse_enum(Disclosure, disclosure, "disclosure")
        if disclosed is Disclosure.UNAVAILABLE and kind is not Kind.BLOCK:
            raise InvalidBoundary("only a block has a disclosure choice", field="disclosure")
        if not isinstance(keep_evidence, bool):
            raise InvalidBoundary("keep_evidence must be true or false", field="keep_evidence")
        if keep_evidence and kind is not Kind.BLOCK:
            raise InvalidBoundary("only a block keeps evidence", field="keep_evidence")
        return Boundary(
            id="",
            owner=owner,
            kind=kind,
            target=target,
            scope=scope,
            channels=chosen,
            starts=start,
            ends=end,
            disclosure=disclosed,
            note=_check_note(note),
            keep_evidence=keep_evidence,
            on_end=parse_enum(OnEnd, on_end, "on_end"),
            target_person=target_person,
        )

    @_writes
    def lift(self, boundary_id: str, *, restore: bool = False) -> Lifted:
        """Lift quietly: the target is never told. A pledge ends after its cool-down."""
        with self._lock:
            now = self._clock()
            self._expire_due(now)
            boundary = self._stored(boundary_id)
            if boundary is None:
                raise UnknownBoundary(f"no boundary {boundary_id!r}", field="id")
            if restore and boundary.kind is not Kind.BLOCK:
                raise InvalidInput("restore brings back follows: only for a block", field="restore")
            if boundary.kind is Kind.PLEDGE:
                return self._cool_down(boundary, now)
            data = _ended_data(boundary)
            if restore:
                data["restore_follows"] = _follows(boundary)
            revision = self._commit(
                "lift",
                [Delete("boundaries", {"id": boundary.id})],
                [NewEvent("boundary_lifted", now, data)],
                lambda _: self._index.remove(boundary),
            )
            return Lifted(boundary, revision, ended=True)

    def _cool_down(self, pledge: Boundary, now: Instant) -> Lifted:
        end = max(now, pledge.starts) + self.config.pledge_cooldown
        if pledge.ends is not None and pledge.ends <= end:
            return Lifted(pledge, self._revision, ended=False)
        ending = replace(pledge, ends=end)
        revision = self._commit(
            "lift",
            [Put("boundaries", boundary_row(ending, ending.revision, self._id_key))],
            [
                NewEvent(
                    "boundary_ending", now, {"id": pledge.id, "owner": pledge.owner, "ends": end}
                )
            ],
            lambda _: self._index.replace_boundary(ending),
        )
        return Lifted(ending, revision, ended=False)

    @_writes
    def add_contact(self, owner: str, contact: str) -> int:
        """Remember that ``owner`` knows ``contact`` (the ``unknown`` pattern spares them)."""
        with self._lock:
            owner = self._person(owner, "owner")
            parsed = None
            if isinstance(contact, str) and not is_person_id(contact):
                parsed = self._address(contact, "contact")
                contact = parsed.uri
            else:
                contact = self._person(contact, "contact")
            if contact in self._index.contacts_of(owner):
                return self._revision
            now = self._clock()
            return self._commit(
                "add_contact",
                [Put("contacts", {"owner": owner, "contact": contact})],
                [NewEvent("contact_added", now, {"owner": owner, "contact": contact})],
                lambda _: self._index.add_contact(owner, contact, parsed),
            )

    @_writes
    def remove_contact(self, owner: str, contact: str) -> int:
        with self._lock:
            owner = self._person(owner, "owner")
            if isinstance(contact, str) and not is_person_id(contact):
                contact = self._address(contact, "contact").uri
            if contact not in self._index.contacts_of(owner):
                return self._revision
            now = self._clock()
            return self._commit(
                "remove_contact",
                [Delete("contacts", {"owner": owner, "contact": contact})],
                [NewEvent("contact_removed", now, {"owner": owner, "contact": contact})],
                lambda _: self._index.remove_contact(owner, contact),
            )

    @_writes
    def record_emergency(self, owner: str, at: When = None) -> int:
        """The owner contacted emergency services: pause what could stop a call-back."""
        with self._lock:
            owner = self._person(owner, "owner")
            now = self._clock()
            when = to_instant(at) or now
            until = when + self.config.emergency_window
            return self._commit(
                "record_emergency",
                [Put("emergencies", {"owner": owner, "at": when})],
                [
                    NewEvent(
                        "emergency_contacted", now, {"owner": owner, "at": when, "until": until}
                    )
                ],
                lambda _: self._index.emergencies.__setitem__(owner, when),
            )

    @_writes
    def set_emergency_lifts_person_blocks(self, owner: str, lifts: bool) -> int:
        """Opt in (or out) to pausing person blocks too during the call-back window."""
        with self._lock:
            owner = self._person(owner, "owner")
            if not isinstance(lifts, bool):
                raise InvalidInput("lifts must be true or false", field="lifts")
            value = "true" if lifts else "false"
            now = self._clock()
            return self._commit(
                "set_setting",
                [Put("settings", {"owner": owner, "key": LIFT_PERSON_BLOCKS, "value": value})],
                [NewEvent("setting_changed", now, {"owner": owner, LIFT_PERSON_BLOCKS: lifts})],
                lambda _: self._index.settings.__setitem__((owner, LIFT_PERSON_BLOCKS), value),
            )

    # -- reads ----------------------------------------------------------------

    def _at(self, at: When) -> Instant:
        when = to_instant(at)
        return self._clock() if when is None else when

    # -- the bulk path ---------------------------------------------------------

    def bulk_import(
        self,
        persons: Sequence[str],
        owners: npt.ArrayLike,
        targets: npt.ArrayLike,
        kinds: npt.ArrayLike,
        *,
        progress: Callable[[int], None] | None = None,
        chunk: int = 200_000,
    ) -> int:
        """Import new persons and plain boundaries among them, in bulk.

        ``owners[i]`` holds a boundary of kind ``list(Kind)[kinds[i]]`` (silent,
        everywhere, no end) toward ``targets[i]``; both index ``persons``. Each
        chunk is one transaction; ``progress(n)`` hears how many boundaries are
        stored so far. Returns the revision of the last transaction.
        """
        o = np.asarray(owners, np.int64)
        t = np.asarray(targets, np.int64)
        k = np.asarray(kinds, np.int64)
        ids = list(persons)
        with self._lock:
            self.refresh()
            self._check_import(ids, o, t, k)
            now = self._clock()
            silent = [plain_code(kind, Disclosure.SILENT, False) for kind in Kind]
            key = self._id_key
            codes = np.array(silent, np.uint8)[k]
            revision = self._store.bulk_insert(
                "import_persons",
                "persons",
                lambda _: ((p, None, now) for p in ids),
                NewEvent("persons_imported", now, {"count": len(ids)}),
            )
            for p in ids:
                self._index.add_person(p, None)
            for lo in range(0, o.size, chunk):
                rows = zip(o[lo : lo + chunk].tolist(), t[lo : lo + chunk].tolist(),
                           codes[lo : lo + chunk].tolist(), strict=True)  # fmt: skip
                revision = self._store.bulk_insert(
                    "import_boundaries",
                    "boundaries",
                    lambda r, rows=rows: _plain_rows(ids, rows, now, r, key),  # type: ignore[misc]
                    NewEvent("boundaries_imported", now, {"count": min(chunk, o.size - lo)}),
                )
                if progress is not None:
                    progress(min(lo + chunk, o.size))
            number = np.array([self._index.person_number(p) for p in ids], np.int64)
            self._index.add_edges(number[o], number[t], codes)
            self._at_revision(revision)
            self.checkpoint()
            return self._revision

    def _check_import(self, ids: list[str], o: I64Array, t: I64Array, k: I64Array) -> None:
        for p in ids:
            check_person_id(p)
            if self._index.has_person(p):
                raise PersonExists(f"person {p!r} exists already", field="persons")
        if len(set(ids)) != len(ids):
            raise InvalidInput("persons must not repeat", field="persons")
        if not (o.size == t.size == k.size):
            raise InvalidInput("owners, targets and kinds must be as long", field="owners")
        if o.size and (min(o.min(), t.min()) < 0 or max(o.max(), t.max()) >= len(ids)):
            raise InvalidInput("owners and targets must index persons", field="owners")
        if np.any(o == t):
            raise SelfBoundary("a boundary needs two people", field="targets")
        if np.any((k < 0) | (k >= len(Kind)) | (k == list(Kind).index(Kind.SPACE))):
            raise InvalidBoundary("kinds index list(Kind); a space needs an end", field="kinds")
        if not first_per_pair(o, t).all():
            raise InvalidInput("at most one boundary per (owner, target)", field="owners")

    def decide(self, interaction: Interaction, *, viewer: str | None = None) -> Decision:
        """May this reach that person, and what does each side see?

        The answer is the actor's view: its explanation, if any, is of the
        actor's own boundary. Pass ``viewer`` (the target, say) for that
        person's view instead, or ``""`` for nobody's (no explanation).
        """
        index = self._index
        # The common case, two persons with no boundary either way, is answered
        # by a few dict lookups and two signature words.
        if index.quiet_ids(interaction.actor, interaction.target):
            try:
                return self._defaults[interaction.action]  # a StrEnum: "message" works too
            except (KeyError, TypeError):
                pass  # not an action: parse_enum below says so
        action = interaction.action
        if action.__class__ is not Action:
            action = parse_enum(Action, action, "action")
        return decide_parties(
            index,
            index.resolve(interaction.actor),
            action,
            index.resolve(interaction.target),
            platform=interaction.platform,
            at=self._at(interaction.at),
            revision=self._revision,
            policy=self._policy,
            viewer=viewer,
        )

    def decide_number(
        self,
        actor: int,
        action: Action | str,
        target: int,
        *,
        platform: str | None = None,
        at: When = None,
        viewer: str | None = None,
    ) -> Decision:
        """``decide`` for two persons given by number (see ``person_number``)."""
        index = self._index
        try:
            a, b = operator.index(actor), operator.index(target)  # numpy integers too
        except TypeError:
            raise InvalidInput("actor and target must be person numbers", field="actor") from None
        if 0 <= a < index.size and 0 <= b < index.size and index.quiet_numbers(a, b):
            try:
                return self._defaults[action]
            except (KeyError, TypeError):
                pass  # not an action: parse_enum below says so
        return decide_parties(
            index,
            index.party_of(a),
            parse_enum(Action, action, "action"),
            index.party_of(b),
            platform=platform,
            at=self._at(at),
            revision=self._revision,
            policy=self._policy,
            viewer=viewer,
        )

    def check(
        self,
        actor: str,
        action: Action | str,
        target: str,
        *,
        platform: str | None = None,
        at: When = None,
        viewer: str | None = None,
    ) -> Decision:
        """``decide`` with the interaction spelled out (the actor's view unless ``viewer``)."""
        act = parse_enum(Action, action, "action")
        return self.decide(Interaction(actor, act, target, platform, self._at(at)), viewer=viewer)

    def decide_many(
        self, interactions: Iterable[Interaction], *, viewer: str | None = None
    ) -> list[Decision]:
        """``decide`` for many interactions: the quiet pairs are found all at once.

        Each decision is its actor's view, unless ``viewer`` names one person for all.
        """
        items = list(interactions)
        quiet = self._index.quiet_many([i.actor for i in items], [i.target for i in items])
        defaults, decide = self._defaults, self.decide
        return [
            defaults[i.action]
            if q and isinstance(i.action, str) and i.action in defaults
            else decide(i, viewer=viewer)
            for i, q in zip(items, quiet.tolist(), strict=True)
        ]

    # -- batch reads on person numbers ----------------------------------------

    def person_number(self, person: str) -> int:
        """The small integer that stands for ``person`` in the batch reads."""
        number = self._index.person_number(self._person(person))
        assert number is not None  # a known person id always has one
        return number

    def person_numbers(self, persons: Iterable[str]) -> npt.NDArray[np.int64]:
        return np.array([self.person_number(p) for p in persons], np.int64)

    def decide_ids(
        self,
        actors: npt.ArrayLike,
        action: Action | str,
        targets: npt.ArrayLike,
        *,
        at: When = None,
    ) -> npt.NDArray[np.uint8]:
        """``decide`` for arrays of person numbers: each entry indexes ``list(Outcome)``."""
        return decide_numbers(
            self._index,
            actors,
            parse_enum(Action, action, "action"),
            targets,
            at=self._at(at),
            revision=self._revision,
            policy=self._policy,
        )

    def visible_ids(
        self, viewer: int, authors: npt.ArrayLike, *, at: When = None
    ) -> npt.NDArray[np.bool_]:
        """For each author number, whether ``viewer`` may see their posts."""
        return shown_numbers(
            self._index,
            int(viewer),
            authors,
            at=self._at(at),
            revision=self._revision,
            policy=self._policy,
        )

    def audience_ids(
        self, author: int, candidates: npt.ArrayLike, *, at: When = None
    ) -> npt.NDArray[np.bool_]:
        """For each candidate number, whether ``author``'s new post may reach them."""
        return audience_numbers(
            self._index,
            int(author),
            candidates,
            at=self._at(at),
            revision=self._revision,
            policy=self._policy,
        )

    def index_nbytes(self) -> dict[str, int]:
        """Memory of the index by part; ``interning`` is the person and address ids."""
        return self._index.nbytes()

    def visible(self, viewer: str, items: Sequence[Item], *, at: When = None) -> list[Visibility]:
        """For each item, whether ``viewer`` may see it, through everyone it carries."""
        return visible(
            self._index,
            viewer,
            items,
            at=self._at(at),
            revision=self._revision,
            policy=self._policy,
        )

    def audience(self, author: str, candidates: Iterable[str], *, at: When = None) -> list[str]:
        """Which of ``candidates`` may receive ``author``'s new post."""
        return audience(
            self._index,
            author,
            candidates,
            at=self._at(at),
            revision=self._revision,
            policy=self._policy,
        )

    def _stored(self, boundary_id: object) -> Boundary | None:
        """A boundary by id: from the overlay, or from the store for an edge.

        A plain boundary the index rebuilt from a checkpoint has no revision of
        its own (0): the store's row has the real one.
        """
        if not isinstance(boundary_id, str):
            return None
        found = self._index.boundaries.get(boundary_id)
        if found is not None and found.revision:
            return found
        with self._lock:
            rows = self._store.select("boundaries", {"id": boundary_id})
        return boundary_from_row(rows[0]) if rows else found

    def boundary(self, boundary_id: str) -> Boundary:
        found = self._stored(boundary_id)
        if found is None:
            raise UnknownBoundary(f"no boundary {boundary_id!r}", field="id")
        return found

    def boundaries(self, owner: str, *, at: When = None) -> list[Boundary]:
        """The owner's boundaries that have not ended (including ones yet to start)."""
        owner = self._person(owner, "owner")
        when = self._at(at)
        with self._lock:
            rows = self._store.select("boundaries", {"owner": owner})
        found = sorted((boundary_from_row(r) for r in rows), key=lambda b: (b.revision, b.id))
        return [b for b in found if b.ends is None or when < b.ends]

    def contacts(self, owner: str) -> list[str]:
        return self._index.contacts_of(self._person(owner, "owner"))

    def events(self, after: int = 0, limit: int = 1000) -> list[Event]:
        """The change feed, oldest first. A read: it writes nothing (see ``expire_due``)."""
        return self._store.events(after, limit)


#: The shared-list writes catch up with other writers first too (see ``_writes``).
for _write_name in ListCommands.WRITES:
    setattr(Engine, _write_name, _writes(getattr(ListCommands, _write_name)))


def _plain_rows(
    ids: list[str], rows: Iterable[tuple[int, int, int]], now: Instant, revision: int, key: bytes
) -> Iterator[tuple[object, ...]]:
    """Boundary rows, in ``TABLES`` order, for plain (owner, target, code) triples."""
    for o, t, code in rows:
        owner, target = ids[o], ids[t]
        kind = kind_of(code)
        yield (
            plain_id(owner, target, code, key), owner, kind, target, "everywhere", None, now, None,
            "silent", None, 0, "deliver", None, revision, 1,
        )  # fmt: skip


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _check_name(name: object) -> str | None:
    if name is None:
        return None
    if not isinstance(name, str) or len(name) > 200:
        raise InvalidInput("name must be text of at most 200 characters", field="name")
    return name.strip() or None


def _check_note(note: object) -> str | None:
    if note is None:
        return None
    if not isinstance(note, str):
        raise InvalidBoundary("note must be text", field="note")
    note = note.strip()
    if len(note) > NOTE_LIMIT:
        raise InvalidBoundary(
            f"note has {len(note)} characters; at most {NOTE_LIMIT}", field="note"
        )
    return note or None


def _unique(addresses: Iterable[Address]) -> list[Address]:
    seen: dict[str, Address] = {}
    for a in addresses:
        seen.setdefault(a.uri, a)
    return list(seen.values())


def _check_free(index: Index, address: Address, person: str) -> None:
    holder = index.person_of(address.uri)
    if holder is not None and holder != person:
        raise AddressTaken(f"{address.uri} belongs to another person", field="address")


def _aim(b: Boundary) -> str:
    """Whom a boundary is toward: the person an address stands for, unless scoped to it."""
    if b.scope == "address":
        return b.target
    return b.target_person or b.target


def _same(a: Boundary, b: Boundary) -> bool:
    """Two boundaries that would decide alike (their start aside)."""
    return (
        a.kind, a.target, a.target_person, a.scope, a.channels, a.ends, a.disclosure,
        a.note, a.keep_evidence, a.on_end,
    ) == (
        b.kind, b.target, b.target_person, b.scope, b.channels, b.ends, b.disclosure,
        b.note, b.keep_evidence, b.on_end,
    )  # fmt: skip


def _follows(b: Boundary) -> list[dict[str, object]]:
    """The follow edges a block removes (and a lift with restore brings back)."""
    other = b.target_person or b.target
    platform = b.platform
    return [
        {"follower": b.owner, "followee": other, "platform": platform},
        {"follower": other, "followee": b.owner, "platform": platform},
    ]


def _set_data(b: Boundary) -> dict[str, object]:
    data: dict[str, object] = {"boundary": boundary_row(b, None)}
    for column in ("revision", "plain"):  # the store's bookkeeping, not the boundary's
        del data["boundary"][column]  # type: ignore[attr-defined]
    if b.kind is Kind.BLOCK:
        data["remove_follows"] = _follows(b)
    if b.kind is Kind.SPACE:
        # The target is told once, with the owner's note and the end.
        data["tell_target"] = {
            "target": b.target_person or b.target,
            "note": b.note,
            "until": b.ends,
        }
    return data


def _ended_data(b: Boundary) -> dict[str, object]:
    data: dict[str, object] = {
        "id": b.id,
        "owner": b.owner,
        "kind": b.kind.value,
        "target": b.target,
    }
    if b.kind is Kind.SPACE:
        data["held"] = b.on_end.value  # deliver or discard what the space held
    return data
