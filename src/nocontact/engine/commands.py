"""The commands: every write, as validate, plan, commit with its events, apply.

A command validates against the index, plans the row changes and the events
that describe them, and hands both to ``_commit``: the store commits them in
one named transaction, and only then does the index change.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

import numpy as np
import numpy.typing as npt

from nocontact.core.addresses import Address, AddressKind
from nocontact.core.decide import (
    LIFT_PERSON_BLOCKS,
)
from nocontact.core.edges import (
    is_plain,
    plain_code,
    plain_id,
)
from nocontact.core.errors import (
    EmergencyNumber,
    InvalidBoundary,
    InvalidInput,
    PersonExists,
    SelfBoundary,
    StoreChanged,
    StoreError,
    UnknownBoundary,
)
from nocontact.core.index import PATTERN_PREFIX, Index, check_pattern, is_wildcard
from nocontact.core.model import (
    Boundary,
    Channel,
    Disclosure,
    Instant,
    Kind,
    OnEnd,
    check_person_id,
    check_person_ids,
    is_person_id,
    parse_enum,
)
from nocontact.engine.importing import import_bulks
from nocontact.engine.values import (
    Lifted,
    Person,
    When,
    _aim,
    _check_free,
    _check_name,
    _check_note,
    _check_scope,
    _ended_data,
    _follows,
    _same,
    _set_data,
    _unique,
    boundary_row,
    to_instant,
)
from nocontact.store.base import REVISION, Change, Delete, NewEvent, Put

from .reads import Reads

I64Array = npt.NDArray[np.int64]
P = ParamSpec("P")
R = TypeVar("R")

S = TypeVar("S", bound="Commands")

#: How many times a write is tried without holding the store's write lock (see ``_writes``).
OPTIMISTIC_ATTEMPTS = 2


def _writes(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """A write: catch up with other writers first, and again if one wrote meanwhile.

    The store refuses a commit made on a state another process has changed
    (``StoreChanged``, nothing written), so no write is validated against an
    old state: it runs again on the fresh one. A writer that keeps losing to
    busier ones then holds the store's write lock while it catches up,
    validates and commits, so it cannot lose again.
    """

    def write(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._lock:
            if self._pending is not None:  # inside ``transaction``: it catches up, once
                return method(self, *args, **kwargs)
            for _ in range(OPTIMISTIC_ATTEMPTS):
                self.refresh()
                try:
                    return method(self, *args, **kwargs)
                except StoreChanged:
                    continue
            try:
                with self._store.exclusive():
                    self.refresh()
                    return method(self, *args, **kwargs)
            except StoreError:
                self._reload()  # what the index applied may not have been kept
                raise

    functools.update_wrapper(write, method)  # the method's name and docstring
    return write


class Commands(Reads):
    """Mixed into ``Engine``: every write (see the module docstring)."""

    _pending: tuple[list[Change], list[NewEvent], int] | None

    if TYPE_CHECKING:

        def refresh(self) -> bool: ...

        def checkpoint(self) -> None: ...

        def _reload(self) -> None: ...

        def _at_revision(self, revision: int) -> None: ...

        def _commit(
            self,
            name: str,
            changes: Sequence[Change],
            events: Sequence[NewEvent],
        ) -> int: ...

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
            (
                b.id,
                b.owner,
                b.ends or now,
                NewEvent("boundary_expired", b.ends or now, _ended_data(b)),
            )
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
            for address in parsed:
                c, e = self._link_plan(person, address, now)
                changes += c
                events += e
            revision = self._commit("add_person", changes, events)
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
            )
            return self._person_view(person, revision)

    def _link_plan(
        self, person: str, address: Address, now: Instant
    ) -> tuple[list[Change], list[NewEvent]]:
        """Link an address; boundaries on it until now cover the whole person from now on."""
        repoint = [
            replace(b, target_person=person)
            for b in self._index.unresolved_toward(address.uri)
            if b.owner != person
        ]
        changes: list[Change] = [Put("addresses", {"uri": address.uri, "person": person})]
        changes += [Put("boundaries", boundary_row(b, b.revision, self._id_key)) for b in repoint]
        data = {"person": person, "address": address.uri, "boundaries": [b.id for b in repoint]}
        return changes, [NewEvent("address_linked", now, data)]

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
            changes, events = self._link_plan(person, parsed, self._clock())
            revision = self._commit("link_address", changes, events)
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
            link_changes, link_events = self._link_plan(person, after, now)
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

            revision = self._commit(
                "change_address", changes, [NewEvent("address_changed", now, data)]
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
            )
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
                [Delete("boundaries", {"id": boundary.id, "owner": boundary.owner})],
                [NewEvent("boundary_lifted", now, data)],
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
            )

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
        everywhere, no end) toward ``targets[i]``; both index ``persons``. The
        whole import is one transaction (all of it is stored, or none), with a
        ``persons_imported`` and a ``boundaries_imported`` event; ``progress(n)``
        hears how many boundaries are written so far, ``chunk`` at a time.
        Returns the revision of the import.
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
            codes = np.array(silent, np.uint8)[k]
            bulks = import_bulks(
                ids, o, t, codes, now=now, key=self._id_key, chunk=chunk, progress=progress
            )
            index = self._index
            number = index.planned_numbers(ids)
            size = max(index.size, int(number.max(initial=-1)) + 1)
            # The new edges are built on another thread while the store writes the rows
            # (numpy's sorts and SQLite both let go of the GIL), and installed once committed.
            with ThreadPoolExecutor(1, thread_name_prefix="nocontact-import") as pool:
                building = pool.submit(index.plain_added, size, number[o], number[t], codes)
                revision = self._store.bulk_insert(
                    "import",
                    bulks,
                    [
                        NewEvent("persons_imported", now, {"count": len(ids)}),
                        NewEvent("boundaries_imported", now, {"count": int(o.size)}),
                    ],
                )
                built = building.result()
            index.add_persons(ids)
            if _as_planned(index, ids, number, size):
                index.install_plain(*built)
            else:  # numbered otherwise than planned (never with the lock held): build again
                number = np.array([index.person_number(p) for p in ids], np.int64)
                index.add_edges(number[o], number[t], codes)
            self._at_revision(revision)
            self.checkpoint()
            return self._revision

    def _check_import(self, ids: list[str], o: I64Array, t: I64Array, k: I64Array) -> None:
        check_person_ids(ids)
        if len(self._index.names):  # into an index with nobody yet (a first load), nobody exists
            for p in ids:
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
        pairs = np.sort((o << 32) | t)  # owners and targets are below 2**31 (persons)
        if np.any(pairs[1:] == pairs[:-1]):
            raise InvalidInput("at most one boundary per (owner, target)", field="owners")


def _as_planned(index: Index, ids: list[str], number: I64Array, size: int) -> bool:
    """Whether ``ids`` were numbered as ``Index.planned_numbers`` said (the first, the
    last and the count tell: numbers are handed out one after the other)."""
    return index.size == size and all(
        index.number_of(ids[i]) == number[i] for i in ((0, -1) if ids else ())
    )
