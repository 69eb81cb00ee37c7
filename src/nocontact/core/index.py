"""The in-memory index: who holds which boundary toward whom, both directions.

Derived from the store and rebuildable from it at any time. Persons and
addresses are interned to small integers once, at the edge; a boundary is filed
under the pair (owner, target principal), so "is there any boundary between A
and B, either way?" is a set lookup per side, and the answer for the
overwhelmingly common case (no boundary at all) costs two of them.

The index only files and finds. What a boundary *does* lives in ``semantics``;
how a decision is reached lives in ``decide``.
"""

from __future__ import annotations

import heapq
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from .addresses import Address, AddressKind, looks_like_address, parse_address
from .edges import (
    ABSENT,
    I64,
    NONE,
    Edges,
    edge_code,
    first_per_pair,
    plain_boundary,
    plain_namer,
)
from .errors import InvalidAddress, InvalidInput
from .interning import Interner, new_interner
from .lists import Lists
from .merge import LOW, NO_CODES, Built, MergeJob, Plain, PlainLog, build
from .model import Boundary, is_person_id
from .persons import Persons

PATTERN_PREFIX = "pattern:"
PATTERNS = ("unknown", "private", "shortcode", "sender")


@dataclass(frozen=True, slots=True)
class Party:
    """One side of an interaction, resolved: its person, the address it used."""

    principal: int | None  # the person, or an unlinked address standing for one
    address: int | None  # the address used, when the party was given as one
    parsed: Address | None


NOBODY = Party(None, None, None)


def _pair(owner: int, target: int) -> int:
    return (owner << 32) | target


class Index:
    """Boundaries filed by (owner, target) with both directions one lookup away."""

    def __init__(self, *, region: str = "US", id_key: bytes = b"") -> None:
        self.region = region
        #: The database's secret that keys plain boundaries' ids.
        self.id_key = id_key
        #: ``plain_id`` under that key.
        self.plain_id = plain_namer(id_key)
        #: Person id or address uri <-> small int, a few bytes a key (see ``interning``).
        self._ids: Interner = new_interner()
        #: Person id -> display name (None: unnamed), over the same numbering.
        self.names = Persons(self._ids)
        self._parsed: dict[int, Address] = {}  # address -> its parse (persons have none)
        self._person_of: dict[int, int] = {}  # address -> person
        self._addresses_of: dict[int, set[int]] = {}  # person -> addresses
        self.boundaries: dict[str, Boundary] = {}
        self._filed: dict[str, int] = {}  # boundary id -> pair key, or -owner-1 for patterns
        self._edges: dict[int, list[Boundary]] = {}
        self._patterns: dict[int, list[Boundary]] = {}
        self._by_owner: dict[str, set[str]] = {}
        self._by_target: dict[str, set[str]] = {}
        self._touched: dict[int, int] = {}  # principal -> boundaries it takes part in
        self._expiries: list[tuple[float, str]] = []
        self._contacts: dict[int, set[int]] = {}
        #: Addresses, and persons the overlay holds boundaries for: no fast path for them.
        #: A set for the scalar path, and the same as flags by number for the batch paths.
        self._not_plain: set[int] = set()
        self._not_plain_flags = np.zeros(1024, np.bool_)
        self.emergencies: dict[str, float] = {}
        self.settings: dict[tuple[str, str], str] = {}
        #: Plain boundaries as integer edges, with the pairs removed since they were built;
        #: the dicts above hold all the others (and new plain ones until a merge).
        self.plain = Plain(Edges.empty(), set())
        #: The overlay's plain boundaries in the order written, for the next merge.
        self._log = PlainLog()
        #: Counts edge replacements: a merge started before the last one is void.
        self._generation = 0
        #: Log entries a merge made edges, still in the overlay too until tidied.
        self._untidy: list[tuple[PlainLog, I64]] = []
        #: Shared lists and their subscriptions (never expanded into edges); the
        #: owners with one, tested first on the hot path (empty: lists change nothing).
        self.lists = Lists()
        self._list_owners = self.lists.by_owner

    # -- interning --------------------------------------------------------

    def intern(self, key: str, parsed: Address | None = None) -> int:
        number = self._ids.intern(key)
        if parsed is not None and number not in self._parsed:
            self._parsed[number] = parsed
            self._mark(number, True)
        return number

    @property
    def size(self) -> int:
        """How many keys (persons and addresses) are numbered."""
        return len(self._ids)

    def key(self, number: int) -> str:
        return self._ids.key(number)

    def number_of(self, key: str) -> int | None:
        """The small integer of a person id or an address URI, if it has one."""
        return self._ids.get(key)

    def _known(self, key: str) -> int:
        """The number of a key numbered before (KeyError otherwise)."""
        number = self._ids.get(key)
        if number is None:
            raise KeyError(key)
        return number

    def parse(self, text: str) -> Address:
        """Parse an address, answering known canonical spellings without parsing."""
        number = self._ids.get(text)
        if number is not None and number in self._parsed:
            return self._parsed[number]
        return parse_address(text, region=self.region)

    def resolve(self, party: str) -> Party:
        """Who ``party`` (a person id or an address) is, as far as the index knows."""
        number = self._ids.get(party)
        if number is not None:
            parsed = self._parsed.get(number)
            if parsed is None:  # a person id
                return Party(number, None, None)
            return Party(self._person_of.get(number, number), number, parsed)
        if is_person_id(party):
            return NOBODY
        if not isinstance(party, str):
            raise InvalidInput(f"a party is a person id or an address, not {party!r}")
        parsed = parse_address(party, region=self.region)
        number = self._ids.get(parsed.uri)
        if number is None:
            return Party(None, None, parsed)
        return Party(self._person_of.get(number, number), number, parsed)

    # -- persons and addresses --------------------------------------------

    def has_person(self, person: str) -> bool:
        return person in self.names

    def add_person(self, person: str, name: str | None) -> None:
        self.names.add(person, name)

    def add_persons(self, persons: Sequence[str]) -> None:
        """``add_person(p, None)`` for each of ``persons``, in one step."""
        self.names.add_unnamed(persons)

    def person_of(self, address_uri: str) -> str | None:
        number = self._ids.get(address_uri)
        if number is None or number not in self._person_of:
            return None
        return self.key(self._person_of[number])

    def addresses_of(self, person: str) -> list[str]:
        number = self._ids.get(person)
        found = self._addresses_of.get(number, set()) if number is not None else set()
        return sorted(map(self._ids.key, found))

    def link(self, address: Address, person: str) -> None:
        a = self.intern(address.uri, address)
        p = self.intern(person)
        self._person_of[a] = p
        self._addresses_of.setdefault(p, set()).add(a)
        if self.lists.lists:
            self.lists.relink(a, p, linked=True)

    def unlink(self, address_uri: str) -> None:
        a = self._known(address_uri)
        p = self._person_of.pop(a)
        self._addresses_of[p].discard(a)
        if self.lists.lists:
            self.lists.relink(a, p, linked=False)

    def is_contact(self, owner: int, party: Party) -> bool:
        contacts = self._contacts.get(owner)
        if not contacts:
            return False
        if party.principal in contacts or party.address in contacts:
            return True
        own = self._addresses_of.get(party.principal, ()) if party.principal is not None else ()
        return any(a in contacts for a in own)

    def contacts_of(self, owner: str) -> list[str]:
        number = self._ids.get(owner)
        found = self._contacts.get(number, set()) if number is not None else set()
        return sorted(map(self._ids.key, found))

    def add_contact(self, owner: str, contact: str, parsed: Address | None) -> None:
        self._contacts.setdefault(self.intern(owner), set()).add(self.intern(contact, parsed))

    def remove_contact(self, owner: str, contact: str) -> None:
        o, c = self._ids.get(owner), self._ids.get(contact)
        if o is not None and c is not None:
            self._contacts.get(o, set()).discard(c)

    # -- boundaries ---------------------------------------------------------

    def target_principal(self, boundary: Boundary) -> int | None:
        """The integer a boundary is filed under on the target side (None: a pattern)."""
        target = boundary.target
        if target.startswith(PATTERN_PREFIX):
            return None
        if boundary.scope != "address" and boundary.target_person is not None:
            return self.intern(boundary.target_person)
        return self.intern(target, self.parse(target) if looks_like_address(target) else None)

    @property
    def edges(self) -> Edges:
        """The current edges (read ``plain`` once instead to pair them with their removals)."""
        return self.plain.edges

    def add_boundary(self, boundary: Boundary) -> None:
        owner = self.intern(boundary.owner)
        target = self.target_principal(boundary)
        if target is None:
            self._patterns.setdefault(owner, []).append(boundary)
            filed = -owner - 1
        else:
            filed = _pair(owner, target)
            self._edges.setdefault(filed, []).append(boundary)
            self._touch(target)
        self._touch(owner)
        self._filed[boundary.id] = filed
        self.boundaries[boundary.id] = boundary
        self._by_owner.setdefault(boundary.owner, set()).add(boundary.id)
        self._by_target.setdefault(boundary.target_person or boundary.target, set()).add(
            boundary.id
        )
        if boundary.ends is not None:
            heapq.heappush(self._expiries, (boundary.ends, boundary.id))
        code = edge_code(boundary, self.id_key)
        if code is not None:
            self._log.add(filed, code, boundary.id)

    def remove_boundary(self, boundary_id: str) -> Boundary:
        """Remove a boundary from the overlay (and its edge, if a merge made one of it)."""
        boundary, filed = self._unfile(boundary_id)
        code = edge_code(boundary, self.id_key)
        if code is not None:
            self._log.remove(filed, code)
            plain = self.plain
            if plain.code(filed >> 32, filed & LOW) == code:  # merged, not yet tidied
                plain.dead.add(filed)
        return boundary

    def _unfile(self, boundary_id: str) -> tuple[Boundary, int]:
        boundary = self.boundaries.pop(boundary_id)
        filed = self._filed.pop(boundary_id)
        owner = self._known(boundary.owner)
        if filed < 0:
            _discard(self._patterns, owner, boundary_id)
        else:
            _discard(self._edges, filed, boundary_id)
            self._untouch(filed & 0xFFFFFFFF)
        self._untouch(owner)
        self._by_owner[boundary.owner].discard(boundary_id)
        self._by_target[boundary.target_person or boundary.target].discard(boundary_id)
        return boundary, filed

    def remove(self, boundary: Boundary) -> None:
        """Remove a boundary, wherever it is filed (the overlay, or an edge)."""
        self.remove_ids(boundary.id, boundary.owner, boundary.target)

    def remove_ids(self, boundary_id: str, owner: str, target: str) -> None:
        """``remove`` by what a lift's event names: the id, the owner and the target."""
        if boundary_id in self.boundaries:
            self.remove_boundary(boundary_id)
            return
        o, t = self._ids.get(owner), self._ids.get(target)
        if o is not None and t is not None:
            plain = self.plain
            code = plain.code(o, t)
            if code != NONE:
                plain.dead.add(_pair(o, t))
                self._log.remove(_pair(o, t), code)

    def set_edges(self, edges: Edges) -> None:
        """Install freshly built edges: they already leave out every removed pair."""
        self.plain = Plain(edges, set())
        self._generation += 1

    def edge_code(self, owner: int, target: int) -> int:
        """The code of ``owner``'s plain edge toward ``target``, or ``NONE``."""
        return self.plain.code(owner, target)

    # -- merging the overlay into the edges (see ``merge``) -----------------

    def merge(self) -> None:
        """Fold the overlay's plain boundaries into new edges, all steps at once.

        A plain boundary that shares its pair with an edge stays in the overlay
        (edges hold one boundary a pair).
        """
        job = self.merge_start()
        if job is not None:
            self.merge_install(build(job))
        self.merge_tidy()

    def merge_due(self, threshold: int) -> bool:
        """Whether more than ``threshold`` plain writes wait for a merge (and none is tidying)."""
        waiting = len(self._log) - self._log.extras + len(self.plain.dead)
        return waiting > threshold and not self._untidy

    def merge_start(self) -> MergeJob | None:
        """What a merge builds from, or None if there is nothing to fold (constant time)."""
        log = self._log
        if len(log) == log.extras and not self.plain.dead:
            return None
        return MergeJob(self.plain, log, len(log), self._generation, len(self._ids))

    def merge_install(self, built: Built) -> bool:
        """Swap in a job's edges, as a merge done now would build them; False if void.

        Removals written since the start become removed pairs of the new edges
        when those hold them; additions stay in the overlay, and their entries
        in the log. The folded boundaries stay in the overlay too until
        ``merge_tidy``: a reader sees them twice for a while, never not at all.
        """
        job = built.job
        if job.generation != self._generation:  # edges replaced meanwhile
            return False
        log, edges = job.log, built.edges
        tail = range(job.upto, len(log))
        dead: set[int] = set()
        for i in tail:
            code, pair = log.codes[i], log.pairs[i]
            if code < 0 and edges.code(pair >> 32, pair & LOW) == -1 - code:
                dead.add(pair)
        fresh = log.copy([*built.extras.tolist(), *tail])
        fresh.extras = built.extras.size
        # One assignment: a reader holds either the old edges with their removals
        # (and the overlay still has every folded boundary) or the new ones.
        self.plain = Plain(edges, dead)
        self._log = fresh
        self._generation += 1
        if built.folded.size:
            self._untidy.append((log, built.folded))
        return True

    def merge_tidy(self, limit: int | None = None) -> bool:
        """Drop up to ``limit`` (default: all) merged boundaries from the overlay; True: more left.

        One is dropped only while its edge is live: one lifted or changed since
        was taken out of the edges instead, and stays as the overlay has it.
        """
        plain = self.plain
        while self._untidy and (limit is None or limit > 0):
            log, at = self._untidy.pop()
            if limit is not None and at.size > limit:
                self._untidy.append((log, at[:-limit]))
                at = at[-limit:]
            for i in at.tolist():
                pair, code, boundary_id = log.pairs[i], log.codes[i], log.ids[i]
                if boundary_id in self.boundaries and plain.code(pair >> 32, pair & LOW) == code:
                    self._unfile(boundary_id)
            if limit is not None:
                limit -= at.size
        return bool(self._untidy)

    def add_edges(self, owners: I64, targets: I64, codes: npt.NDArray[np.uint8]) -> None:
        """Add plain boundaries in bulk to the edges (those sharing a pair go to the overlay)."""
        self.install_plain(*self.plain_added(self.size, owners, targets, codes))

    def planned_numbers(self, keys: Sequence[str]) -> I64:
        """The numbers ``intern`` would give ``keys``, interned one after the other
        (nothing is interned here: a bulk import plans its edges before it commits)."""
        get, following = self._ids.get, self.size
        numbers = np.empty(len(keys), np.int64)
        for i, key in enumerate(keys):
            number = get(key)
            if number is None:
                number, following = following, following + 1
            numbers[i] = number
        return numbers

    def plain_added(
        self, n: int, owners: I64, targets: I64, codes: npt.NDArray[np.uint8]
    ) -> tuple[Edges, tuple[I64, I64, npt.NDArray[np.uint8]]]:
        """What ``add_edges`` installs, built aside (the index is not changed): edges
        for ``n`` numbers, and the triples that share a pair with one (for the overlay)."""
        o, t, c = self.plain.live()
        o, t, c = (
            np.concatenate((o, owners)),
            np.concatenate((t, targets)),
            np.concatenate((c, codes)),
        )
        first = first_per_pair(o, t)
        return Edges.build(n, o[first], t[first], c[first]), (o[~first], t[~first], c[~first])

    def install_plain(self, edges: Edges, extras: tuple[I64, I64, npt.NDArray[np.uint8]]) -> None:
        """Install edges from ``plain_added`` (numbered as this index is now)."""
        self.set_edges(edges)
        self.load_plain_extras(*extras)

    def load_plain(self, owners: I64, targets: I64, codes: npt.NDArray[np.uint8]) -> None:
        """Install plain boundaries given as triples: edges, the rest in the overlay."""
        first = first_per_pair(owners, targets)
        self.set_edges(Edges.build(len(self._ids), owners[first], targets[first], codes[first]))
        self.load_plain_extras(owners[~first], targets[~first], codes[~first])

    def load_plain_extras(self, owners: I64, targets: I64, codes: npt.NDArray[np.uint8]) -> None:
        """Plain boundaries that share a pair with an edge, into the overlay."""
        log = self._log
        settled = len(log) == log.extras  # then these are extras too: no merge folds them
        key = self._ids.key
        for o, t, c in zip(owners.tolist(), targets.tolist(), codes.tolist(), strict=True):
            self.add_boundary(plain_boundary(key(o), key(t), c, self.id_key))
        if settled:
            log.extras = len(log)

    def plain_extras(self) -> tuple[I64, I64, npt.NDArray[np.uint8]]:
        """The overlay's plain boundaries as triples (after ``merge``: those sharing a pair)."""
        return self._log.triples()

    def nbytes(self) -> dict[str, int]:
        """Memory by part, all in: the edges and the interning exactly, the rest estimated.

        ``interning`` is the numbering of ids and addresses, and who is a person
        with what name; ``overlay`` every Python structure beside the edges.
        """
        plain = self.plain
        overlay = _size(self.boundaries, 2) + _size(plain.dead) + self._not_plain_flags.nbytes
        for part in (self._filed, self._touched, self._not_plain, self._expiries, self._parsed):
            overlay += _size(part)
        for table in (self._edges, self._patterns, self._by_owner, self._by_target):
            overlay += _size(table, 2)
        for numbers in (self._person_of, self._addresses_of, self._contacts):
            overlay += _size(numbers, 2)
        overlay += _size(self._log.pairs) + _size(self._log.codes) + _size(self._log.ids)
        overlay += _size(self.settings) + _size(self.emergencies) + _size(self.lists.lists, 2)
        interning = self._ids.nbytes() + self.names.nbytes()
        return {**plain.edges.nbytes(), "overlay": overlay, "interning": interning}

    def numbering(self) -> dict[str, npt.NDArray[Any]]:
        """How keys are numbered, who is a person, which keys are addresses: as arrays.

        What a checkpoint keeps so that an open numbers every key alike (and
        needs no row of the persons table) with no work per key in Python.
        """
        blob, ends = self._ids.export()
        return {
            "key_blob": np.frombuffer(blob, np.uint8),
            "key_ends": np.frombuffer(ends, np.int64),
            "address_numbers": np.array(sorted(self._parsed), np.int64),
            **self.names.arrays(len(self._ids)),
        }

    def load_numbering(self, arrays: Mapping[str, npt.NDArray[Any]]) -> bool:
        """Number keys as ``numbering`` gave them, on a new index; False if it names no persons.

        A checkpoint from before persons were kept in it has only the keys: then
        the persons come from their rows, and the addresses are found by their spelling.
        """
        self._ids.extend(arrays["key_blob"], arrays["key_ends"])
        if "address_numbers" in arrays:
            addresses = arrays["address_numbers"].tolist()
        else:
            addresses = [n for n in range(len(self._ids)) if looks_like_address(self.key(n))]
        for number in addresses:
            key = self.key(number)
            self.intern(key, self.parse(key))
        if "person_flags" not in arrays:
            return False
        self.names.load(
            arrays["person_flags"], arrays["named_numbers"], arrays["names"], arrays["name_ends"]
        )
        return True

    def replace_boundary(self, boundary: Boundary) -> None:
        self.remove(boundary)
        self.add_boundary(boundary)

    def _untouch(self, principal: int) -> None:
        left = self._touched[principal] - 1
        if left:
            self._touched[principal] = left
        else:
            del self._touched[principal]
            if principal not in self._parsed:
                self._mark(principal, False)

    def _touch(self, principal: int) -> None:
        self._touched[principal] = self._touched.get(principal, 0) + 1
        self._mark(principal, True)

    def _mark(self, number: int, not_plain: bool) -> None:
        if not_plain:
            self._not_plain.add(number)
        else:
            self._not_plain.discard(number)
        flags = self._not_plain_flags
        if number >= flags.size:  # grow by doubling: O(1) amortised per number
            grown = np.zeros(max(2 * flags.size, number + 1), np.bool_)
            grown[: flags.size] = flags
            flags = self._not_plain_flags = grown
        flags[number] = not_plain

    @property
    def not_plain_flags(self) -> npt.NDArray[np.bool_]:
        """By number: an address, or a person in the overlay (``not_plain_mask``'s flags)."""
        return self._not_plain_flags

    def not_plain_mask(self, numbers: I64) -> npt.NDArray[np.bool_]:
        """For each number: an address, or a person in the overlay (the scalar path's)."""
        flags = self._not_plain_flags
        inside = (numbers >= 0) & (numbers < flags.size)
        return inside & flags.take(numbers, mode="clip")

    def boundaries_of(self, owner: str) -> list[Boundary]:
        ids = self._by_owner.get(owner, set())
        return sorted((self.boundaries[i] for i in ids), key=lambda b: (b.revision, b.id))

    def boundaries_toward(self, target: str) -> list[Boundary]:
        """Boundaries whose target is ``target`` (a person id, address or pattern)."""
        ids = self._by_target.get(target, set())
        return sorted((self.boundaries[i] for i in ids), key=lambda b: (b.revision, b.id))

    def unresolved_toward(self, address_uri: str) -> list[Boundary]:
        """Boundaries on an address that stood for a person of its own until now."""
        return [
            b
            for b in self.boundaries_toward(address_uri)
            if b.scope != "address" and b.target_person is None
        ]

    def due(self, now: float) -> list[str]:
        """Ids of boundaries whose end has come by ``now``, earliest first, each once.

        A boundary filed again (re-pointed, moved) leaves its earlier heap entry
        behind: entries for an end it no longer has are skipped, and repeated
        entries for the end it has count once.
        """
        out: list[str] = []
        seen: set[str] = set()
        while self._expiries and self._expiries[0][0] <= now:
            ends, boundary_id = heapq.heappop(self._expiries)
            current = self.boundaries.get(boundary_id)
            if current is not None and current.ends == ends and boundary_id not in seen:
                seen.add(boundary_id)
                out.append(boundary_id)
        return out

    # -- lookups on the hot path -------------------------------------------

    def touched(self, party: Party) -> bool:
        """Whether the overlay holds any boundary ``party`` takes part in."""
        touched = self._touched
        return party.principal in touched or party.address in touched

    def quiet_ids(self, actor: str, target: str) -> bool:
        """True proves no boundary holds between two persons given by id, either way.

        The hot path of a single decision: two dict lookups, then ``quiet_numbers``.
        """
        get = self._ids.get
        a = get(actor)
        b = get(target)
        return a is not None and b is not None and self.quiet_numbers(a, b)

    def plain_codes(self, a: int, b: int) -> tuple[int, int] | None:
        """The codes of the plain edges between two numbers, ``a``'s toward ``b`` and
        ``b``'s toward ``a`` (``NONE``: none), when those are all the boundaries between
        them; None when the overlay or a shared list may hold more.

        Most pairs: two set lookups and one compiled call that answers ``NO_CODES``.
        """
        not_plain = self._not_plain
        if not_plain and (a in not_plain or b in not_plain):
            return None
        owners = self._list_owners
        if owners and (a in owners or b in owners):
            return None
        plain = self.plain  # once: the edges and their removals together
        view = plain.edges.view  # ``Plain.pair`` inlined: a Python call less a single decide
        if view is None:
            return plain.pair(a, b)
        both = view.pair(a, b)
        return NO_CODES if both < 0 else plain.decoded(a, b, both)

    def quiet_numbers(self, a: int, b: int) -> bool:
        """True proves no boundary holds between two numbers, either way.

        Addresses and persons in the overlay are never quiet here; for the rest
        ``Plain.pair`` decides: the two signature words settle almost every pair,
        a search in their rows the others.
        """
        not_plain = self._not_plain
        if not_plain and (a in not_plain or b in not_plain):
            return False
        owners = self._list_owners  # two dict lookups when either has a list subscription
        if owners and (a in owners or b in owners) and not self.lists.quiet((a, None), (b, None)):
            return False
        return self.plain.pair(a, b) is NO_CODES

    def party_of(self, number: int) -> Party:
        """The party a number stands for (a person, or an address and its person)."""
        if not 0 <= number < len(self._ids):
            raise InvalidInput(f"{number!r} is not a person number", field="person")
        parsed = self._parsed.get(number)  # as ``resolve`` finds it, with no key spelled out
        if parsed is None:  # a person id
            return Party(number, None, None)
        return Party(self._person_of.get(number, number), number, parsed)

    def quiet_many(self, actors: list[str], targets: list[str]) -> npt.NDArray[np.bool_]:
        """``quiet_ids`` for many pairs of ids: True proves no boundary either way."""
        get = self._ids.get
        a = np.fromiter(map(get, actors, repeat(-1)), np.int64, len(actors))
        b = np.fromiter(map(get, targets, repeat(-1)), np.int64, len(targets))
        known = (a >= 0) & (b >= 0) & ~(self.not_plain_mask(a) | self.not_plain_mask(b))
        if self._list_owners:  # pairs with a subscriber: quiet only if no list applies
            subscribed = self.lists.subscriber_mask(a) | self.lists.subscriber_mask(b)
            for i in np.flatnonzero(known & subscribed).tolist():
                known[i] = self.lists.quiet((int(a[i]), None), (int(b[i]), None))
        plain = self.plain
        edges = plain.edges
        quiet: npt.NDArray[np.bool_] = known & ~edges.maybe_many(a, b)
        near = np.flatnonzero(known & ~quiet)
        if near.size:
            ways = np.concatenate((a[near], b[near])), np.concatenate((b[near], a[near]))
            codes = edges.codes(*ways)
            plain.drop_dead(*ways, codes)
            quiet[near] = (codes[: near.size] == ABSENT) & (codes[near.size :] == ABSENT)
        return quiet

    def quiet(self, a: Party, b: Party) -> bool:
        """True proves that no boundary holds between ``a`` and ``b``, either way."""
        if self.touched(a) or self.touched(b):
            return False
        owners = self._list_owners
        if (
            owners
            and (a.principal in owners or b.principal in owners)
            and not self.lists.quiet((a.principal, a.address), (b.principal, b.address))
        ):
            return False
        p, q = a.principal, b.principal
        plain = self.plain
        if p is None or q is None or not plain.edges.maybe(p, q):
            return True
        return plain.code(p, q) == NONE and plain.code(q, p) == NONE

    def isolated(self, party: Party) -> bool:
        """True proves that ``party`` takes part in no boundary at all."""
        if self.touched(party) or (self._list_owners and self.lists.involved(party.principal)):
            return False
        p = party.principal
        edges = self.plain.edges
        return p is None or not (edges.row(p)[0].size or edges.column(p)[0].size)

    def has_overlay(self) -> bool:
        """Whether the overlay holds any boundary at all."""
        return bool(self._touched)

    def person_number(self, person: str) -> int | None:
        """The small integer of a person id (None for an address or a stranger)."""
        number = self._ids.get(person)
        return None if number is None or number in self._parsed else number

    def between(self, owner: Party, target: Party) -> Iterator[Boundary]:
        """Boundaries ``owner`` holds toward ``target`` (filed ones, then patterns)."""
        o = owner.principal
        if o is None:
            return
        edges = self._edges
        if target.principal is not None:
            yield from edges.get(_pair(o, target.principal), ())
            code = self.edge_code(o, target.principal)
            if code != NONE:
                key = self._ids.key
                yield plain_boundary(key(o), key(target.principal), code, self.id_key)
        if target.address is not None and target.address != target.principal:
            yield from edges.get(_pair(o, target.address), ())

    def patterns_of(self, owner: Party) -> list[Boundary]:
        if owner.principal is None:
            return []
        return self._patterns.get(owner.principal, [])

    def is_person(self, party: Party) -> bool:
        return party.principal is not None and self.names.is_person(party.principal)

    def all_boundaries(self) -> Iterable[Boundary]:
        return self.boundaries.values()


def _size(part: object, depth: int = 1) -> int:
    """Bytes of a container and, ``depth`` levels down, of what it holds."""
    total = sys.getsizeof(part)
    if depth:
        if isinstance(part, dict):
            total += sum(_size(k, 0) + _size(v, depth - 1) for k, v in part.items())
        elif isinstance(part, list | set | tuple):
            total += sum(_size(item, depth - 1) for item in part)
    return total


def _discard(table: dict[int, list[Boundary]], key: int, boundary_id: str) -> None:
    rest = [b for b in table[key] if b.id != boundary_id]
    if rest:
        table[key] = rest
    else:
        del table[key]


def pattern_matches(pattern: str, party: Party, index: Index, owner: int) -> bool:
    """Whether an inbound ``party`` falls under ``pattern`` for ``owner``."""
    name = pattern.removeprefix(PATTERN_PREFIX)
    parsed = party.parsed
    if name == "private":
        return parsed is not None and parsed.kind is AddressKind.PRIVATE
    if name == "unknown":
        return not index.is_contact(owner, party)
    if name == "shortcode":
        return parsed is not None and parsed.short_code
    if name == "sender":
        return parsed is not None and parsed.kind is AddressKind.SENDER
    if name.startswith("domain:"):
        return parsed is not None and parsed.domain == name.removeprefix("domain:")
    if name.startswith("mail:"):
        return (
            parsed is not None
            and parsed.kind is AddressKind.MAILTO
            and parsed.domain == name.removeprefix("mail:")
        )
    if name.startswith("instance:"):
        platform, _, host = name.removeprefix("instance:").partition(":")
        return (
            parsed is not None
            and parsed.kind is AddressKind.ACCT
            and parsed.platform == platform
            and parsed.domain == host
        )
    return False


def is_wildcard(target: str) -> bool:
    """Whether ``target`` is an address with a ``*`` in it, such as ``mailto:*@example.org``."""
    return isinstance(target, str) and "*" in target and looks_like_address(target)


def _wildcard_pattern(target: str) -> str | None:
    """``sender:*``, ``mailto:*@DOMAIN`` and ``acct:PLATFORM:*@HOST`` as patterns."""
    scheme, _, rest = target.strip().partition(":")
    scheme = scheme.lower()
    if scheme == "sender" and rest.strip() == "*":
        return PATTERN_PREFIX + "sender"
    if scheme == "mailto" and rest.startswith("*@"):
        domain = _pattern_domain(rest[2:])
        return None if domain is None else f"{PATTERN_PREFIX}mail:{domain}"
    if scheme == "acct":
        platform, _, handle = rest.partition(":")
        platform = platform.strip().lower()
        domain = _pattern_domain(handle[2:]) if handle.startswith("*@") else None
        if domain is not None and platform and platform.replace("-", "").isalnum():
            return f"{PATTERN_PREFIX}instance:{platform}:{domain}"
    return None


def _pattern_domain(text: str) -> str | None:
    """A domain as an address would spell it (lower case, IDN in ASCII), or None."""
    try:
        parsed = parse_address(f"mailto:x@{text.strip()}")
    except InvalidAddress:
        return None
    return parsed.domain


def check_pattern(target: str) -> str:
    """Validate a pattern target such as ``pattern:unknown`` or ``pattern:domain:x.org``.

    Wildcard addresses (``sender:*``, ``mailto:*@example.org``,
    ``acct:mastodon:*@social.example``) are spelled as the pattern they stand for.
    """
    if not target.startswith(PATTERN_PREFIX):
        found = _wildcard_pattern(target)
        if found is not None:
            return found
    name = target.removeprefix(PATTERN_PREFIX)
    if name in PATTERNS:
        return target
    for kind in ("domain:", "mail:"):
        if name.startswith(kind):
            domain = _pattern_domain(name.removeprefix(kind))
            if domain is not None:
                return PATTERN_PREFIX + kind + domain
    if name.startswith("instance:"):
        platform, _, host = name.removeprefix("instance:").partition(":")
        found = _wildcard_pattern(f"acct:{platform}:*@{host}")
        if found is not None:
            return found
    choices = ", ".join(PATTERN_PREFIX + p for p in PATTERNS)
    raise InvalidAddress(
        f"unknown pattern {target!r}: use {choices}, pattern:domain:DOMAIN,"
        " mailto:*@DOMAIN, acct:PLATFORM:*@HOST or sender:*",
        field="target",
    )
