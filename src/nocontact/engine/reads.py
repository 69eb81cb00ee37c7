"""The reads: decisions and lookups answered from the in-memory index.

A read never writes, and never waits for the store except for the few lookups
that need a stored row (``boundary``, ``boundaries``); it reads whichever index
is current, swapped in whole by the projection or a load.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Iterable, Sequence
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from nocontact.core.addresses import Address, AddressKind
from nocontact.core.batch import audience_numbers, decide_numbers, shown_numbers
from nocontact.core.decide import (
    Policy,
    audience,
    decide_parties,
    plain_decision,
    visible,
)
from nocontact.core.errors import (
    InvalidAddress,
    InvalidInput,
    UnknownBoundary,
    UnknownPerson,
)
from nocontact.core.index import Index
from nocontact.core.merge import NO_CODES
from nocontact.core.model import (
    Action,
    Boundary,
    Clock,
    Decision,
    Event,
    Instant,
    Interaction,
    Item,
    Visibility,
    check_person_id,
    parse_enum,
)
from nocontact.engine.values import (
    EngineConfig,
    Person,
    When,
    boundary_from_row,
    to_instant,
)
from nocontact.store.base import Store


class Reads:
    """Mixed into ``Engine``: every read (see the module docstring)."""

    config: EngineConfig
    _store: Store
    _index: Index
    _lock: threading.RLock
    _clock: Clock
    _policy: Policy
    _revision: int
    _id_key: bytes
    _defaults: dict[str, Decision]

    # -- reads ----------------------------------------------------------------

    def _at(self, at: When) -> Instant:
        when = to_instant(at)
        return self._clock() if when is None else when

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

    def person(self, person: str) -> Person:
        with self._lock:
            return self._person_view(self._person(person), self._revision)

    def person_of(self, address: str) -> str | None:
        """The person ``address`` (a canonical URI) is linked to, if any."""
        return self._index.person_of(address)

    def _person_view(self, person: str, revision: int) -> Person:
        index = self._index
        return Person(person, index.names[person], tuple(index.addresses_of(person)), revision)

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
        n = index.size
        if 0 <= a < n and 0 <= b < n:
            codes = index.plain_codes(a, b)  # None: the overlay or a shared list may hold more
            if codes is NO_CODES or (codes is None and index.quiet_numbers(a, b)):
                try:
                    return self._defaults[action]
                except (KeyError, TypeError):
                    pass  # not an action: parse_enum below says so
            elif codes is not None and viewer is None and at is None:  # plain edges only
                act = action if action.__class__ is Action else parse_enum(Action, action, "action")
                found = plain_decision(index, a, act, b, codes, self._revision)
                if found is not None:
                    return found
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

    @overload
    def decide_ids(
        self, actors: npt.NDArray[Any], action: Action | str, targets: npt.NDArray[Any], *,
        at: When = None,
    ) -> npt.NDArray[np.uint8]: ...  # fmt: skip
    @overload
    def decide_ids(
        self, actors: Sequence[int], action: Action | str, targets: Sequence[int], *,
        at: When = None,
    ) -> list[int]: ...  # fmt: skip
    def decide_ids(
        self,
        actors: npt.ArrayLike,
        action: Action | str,
        targets: npt.ArrayLike,
        *,
        at: When = None,
    ) -> npt.NDArray[np.uint8] | list[int]:
        """``decide`` for person numbers: each entry indexes ``list(Outcome)``.

        Lists (or tuples) in, a list of ints out; numpy arrays in, a uint8 array out.
        """
        return decide_numbers(
            self._index,
            actors,
            parse_enum(Action, action, "action"),
            targets,
            at=self._at(at),
            revision=self._revision,
            policy=self._policy,
        )

    @overload
    def visible_ids(
        self, viewer: int, authors: npt.NDArray[Any], *, at: When = None
    ) -> npt.NDArray[np.bool_]: ...
    @overload
    def visible_ids(
        self, viewer: int, authors: Sequence[int], *, at: When = None
    ) -> list[bool]: ...
    def visible_ids(
        self, viewer: int, authors: npt.ArrayLike, *, at: When = None
    ) -> npt.NDArray[np.bool_] | list[bool]:
        """For each author number, whether ``viewer`` may see their posts.

        A list (or tuple) in, a list of bools out; a numpy array in, a bool array out.
        """
        return shown_numbers(
            self._index,
            int(viewer),
            authors,
            at=self._at(at),
            revision=self._revision,
            policy=self._policy,
        )

    @overload
    def audience_ids(
        self, author: int, candidates: npt.NDArray[Any], *, at: When = None
    ) -> npt.NDArray[np.bool_]: ...
    @overload
    def audience_ids(
        self, author: int, candidates: Sequence[int], *, at: When = None
    ) -> list[bool]: ...
    def audience_ids(
        self, author: int, candidates: npt.ArrayLike, *, at: When = None
    ) -> npt.NDArray[np.bool_] | list[bool]:
        """For each candidate number, whether ``author``'s new post may reach them.

        A list (or tuple) in, a list of bools out; a numpy array in, a bool array out.
        """
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
        # The owner, when known, keeps the lookup on one shard (see store/distribution.py).
        where = {"id": boundary_id} if found is None else {"id": boundary_id, "owner": found.owner}
        with self._lock:
            rows = self._store.select("boundaries", where)
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
