"""Shared lists (moderation lists): a curator's list of people and addresses,
and the owners who subscribe to it as a ``block`` or a ``mute``.

A list is never expanded into per-subscriber boundaries (DESIGN section 6).
Each subscription is one :class:`ListBoundary` filed under its owner; each list
holds its members once, whatever the number of subscribers. A decision between
an owner and someone else asks, for each of the owner's few subscriptions,
whether the other side is on that list: a set lookup. Batch reads ask the same
of whole arrays with one sorted member array per list.

So a membership change takes effect on the next decision for every subscriber,
with no per-subscriber write; a deleted list, or a list whose curator is
suspended, stops applying while its subscriptions stay for their owners to see
and remove.

Pure: no I/O. Members and owners are the index's small integers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .model import Boundary, Kind

I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

#: A subscription's target, as it appears in its boundary and its events.
LIST_PREFIX = "list:"
#: How an owner may subscribe to a list.
LIST_KINDS = (Kind.BLOCK, Kind.MUTE)
_ALL_KINDS = frozenset(LIST_KINDS)


@dataclass(frozen=True, slots=True)
class ListBoundary(Boundary):
    """A subscription, seen as the one boundary it stands for: owner toward every member.

    Its ``id`` is the subscription's id, its ``target`` is ``list:LIST_ID``.
    It is silent, everywhere, on every channel, and has no end.
    """

    list_id: str = ""
    list_name: str = ""

    @property
    def reason(self) -> str:
        """The owner-facing reason: "from the list Spam callers you subscribed to"."""
        return f"from the list {self.list_name} you subscribed to"


@dataclass(slots=True)
class SharedList:
    id: str
    name: str
    curator: str
    deleted: bool = False
    created: float = 0.0
    #: Members as given: person ids and address URIs, by number.
    members: set[int] = field(default_factory=set)
    #: Who the members cover, with how many members cover each: every member,
    #: and the person each member address is linked to.
    covered: dict[int, int] = field(default_factory=dict)
    #: ``covered`` for batch reads, built when first asked and dropped on a change:
    #: a sorted array, or a flag by number when that is no bigger (a dense list).
    _sorted: I64 | None = None
    _flags: Mask | None = None

    def contains_many(self, numbers: I64) -> Mask:
        """For each of ``numbers`` (person numbers, not negative), whether this list covers it."""
        if self._sorted is None and self._flags is None:
            self._build()
        flags = self._flags
        if flags is None:
            assert self._sorted is not None
            return in_sorted(self._sorted, numbers)
        found: Mask = flags.take(numbers, mode="clip")  # past the end: the last, False
        return found

    def _build(self) -> None:
        numbers = np.fromiter(self.covered, np.int64, len(self.covered))
        numbers.sort()
        top = int(numbers[-1]) + 1 if numbers.size else 0
        if 0 < top <= numbers.nbytes:  # a byte a number costs no more than 8 bytes a member
            flags = np.zeros(top + 1, np.bool_)  # the extra last flag stays False for clip
            flags[numbers] = True
            self._flags = flags
        else:
            self._sorted = numbers

    def batch_nbytes(self) -> int:
        return sum(a.nbytes for a in (self._sorted, self._flags) if a is not None)

    def cover(self, number: int, step: int) -> None:
        left = self.covered.get(number, 0) + step
        if left > 0:
            self.covered[number] = left
        else:
            self.covered.pop(number, None)
        self._sorted = self._flags = None


def in_sorted(sorted_numbers: I64, numbers: I64) -> Mask:
    """For each of ``numbers``, whether it is in ``sorted_numbers`` (sorted, no repeats)."""
    if not sorted_numbers.size or not numbers.size:
        return np.zeros(numbers.size, np.bool_)
    at = np.searchsorted(sorted_numbers, numbers)
    found: Mask = sorted_numbers.take(at, mode="clip") == numbers
    return found


class Lists:
    """Every shared list and subscription, filed for decisions."""

    def __init__(self) -> None:
        self.lists: dict[str, SharedList] = {}
        self.suspended: set[str] = set()  # curators whose lists stop applying
        self.subscriptions: dict[str, ListBoundary] = {}
        #: Owner number -> subscriptions. Never replaced, only changed: the index
        #: keeps a reference to test it on the hot path (an empty dict: no lists).
        self.by_owner: dict[int, list[ListBoundary]] = {}
        #: List id -> owner number -> subscription: the list's subscribers.
        self._subscribers: dict[str, dict[int, ListBoundary]] = {}
        #: The owners with a subscription, as flags by number (batch reads).
        self._flags = np.zeros(0, np.bool_)
        self._by_kind: dict[tuple[str, Kind], I64] = {}  # cache of sorted subscribers

    def __bool__(self) -> bool:
        """Whether any subscription exists: without one, lists change no decision."""
        return bool(self.by_owner)

    # -- writes --------------------------------------------------------------------

    def add_list(self, shared: SharedList) -> None:
        self.lists[shared.id] = shared

    def delete_list(self, list_id: str) -> None:
        self.lists[list_id].deleted = True

    def set_suspended(self, curator: str, suspended: bool) -> None:
        if suspended:
            self.suspended.add(curator)
        else:
            self.suspended.discard(curator)

    def add_member(self, list_id: str, number: int, person: int | None) -> None:
        shared = self.lists[list_id]
        if number in shared.members:
            return
        shared.members.add(number)
        shared.cover(number, 1)
        if person is not None and person != number:
            shared.cover(person, 1)

    def remove_member(self, list_id: str, number: int, person: int | None) -> None:
        shared = self.lists[list_id]
        if number not in shared.members:
            return
        shared.members.discard(number)
        shared.cover(number, -1)
        if person is not None and person != number:
            shared.cover(person, -1)

    def relink(self, address: int, person: int, linked: bool) -> None:
        """An address was linked to (or unlinked from) ``person``: lists with it cover them."""
        for shared in self.lists.values():
            if address in shared.members:
                shared.cover(person, 1 if linked else -1)

    def subscribe(self, sub: ListBoundary, owner: int) -> None:
        self.unsubscribe_owner(sub.list_id, owner)
        self.subscriptions[sub.id] = sub
        self.by_owner.setdefault(owner, []).append(sub)
        self._subscribers.setdefault(sub.list_id, {})[owner] = sub
        self._flag(owner, True)
        self._by_kind.clear()

    def unsubscribe_owner(self, list_id: str, owner: int) -> ListBoundary | None:
        """Remove ``owner``'s subscription to ``list_id``, if there is one."""
        sub = self._subscribers.get(list_id, {}).pop(owner, None)
        if sub is None:
            return None
        del self.subscriptions[sub.id]
        left = [s for s in self.by_owner[owner] if s.id != sub.id]
        if left:
            self.by_owner[owner] = left
        else:
            del self.by_owner[owner]
            self._flag(owner, False)
        self._by_kind.clear()
        return sub

    def _flag(self, owner: int, on: bool) -> None:
        if owner >= self._flags.size:
            grown = np.zeros(max(1024, 2 * self._flags.size, owner + 1), np.bool_)
            grown[: self._flags.size] = self._flags
            self._flags = grown
        self._flags[owner] = on

    # -- reads -----------------------------------------------------------------------

    def active(self, list_id: str) -> bool:
        shared = self.lists.get(list_id)
        return shared is not None and not shared.deleted and shared.curator not in self.suspended

    def of_owner(self, owner: int | None) -> list[ListBoundary]:
        """Every subscription of ``owner``, applying or not."""
        return self.by_owner.get(owner, []) if owner is not None else []

    def holding(self, owner: int | None, other: Iterable[int | None]) -> Iterator[ListBoundary]:
        """The owner's subscriptions that apply to ``other`` (its person and address numbers)."""
        if owner is None:
            return
        subs = self.by_owner.get(owner)
        if not subs:
            return
        numbers = [n for n in other if n is not None and n != owner]
        for sub in subs:
            if self.active(sub.list_id):
                covered = self.lists[sub.list_id].covered
                if any(n in covered for n in numbers):
                    yield sub

    def first_holding(
        self, owner: int | None, other: tuple[int | None, int | None], kinds: frozenset[Kind]
    ) -> ListBoundary | None:
        """The owner's first applying subscription of one of ``kinds`` that covers ``other``."""
        subs = self.by_owner.get(owner) if owner is not None else None
        if not subs:
            return None
        p, a = other
        if p == owner:
            return None
        for sub in subs:
            if sub.kind in kinds:
                shared = self.lists[sub.list_id]
                if (
                    (p in shared.covered or (a is not None and a in shared.covered))
                    and not shared.deleted
                    and shared.curator not in self.suspended
                ):
                    return sub
        return None

    def quiet(self, a: tuple[int | None, int | None], b: tuple[int | None, int | None]) -> bool:
        """True proves no subscription applies between ``a`` and ``b``, either way.

        Each side is its (person, address) numbers.
        """
        of_owner = self.by_owner
        if a[0] in of_owner and self.first_holding(a[0], b, _ALL_KINDS) is not None:
            return False
        return not (b[0] in of_owner and self.first_holding(b[0], a, _ALL_KINDS) is not None)

    def involved(self, principal: int | None) -> bool:
        """Whether ``principal`` subscribes to a list, or is on a list someone subscribes to."""
        if principal is None:
            return False
        if principal in self.by_owner:
            return True
        return any(
            principal in self.lists[list_id].covered
            for list_id, subs in self._subscribers.items()
            if subs and self.active(list_id)
        )

    @property
    def subscriber_flags(self) -> Mask:
        """By number: an owner with a subscription (``subscriber_mask``'s flags)."""
        return self._flags

    def subscriber_mask(self, numbers: I64) -> Mask:
        """For each number, whether it is an owner with a subscription."""
        flags = self._flags
        inside = (numbers >= 0) & (numbers < flags.size)
        found: Mask = inside & flags.take(numbers, mode="clip")
        return found

    def covering(self, number: int) -> Iterator[tuple[str, dict[int, ListBoundary]]]:
        """Applying lists that cover ``number`` and have subscribers, with them."""
        for list_id, subs in self._subscribers.items():
            if subs and self.active(list_id) and number in self.lists[list_id].covered:
                yield list_id, subs

    def subscribers_of_kind(self, list_id: str, kind: Kind) -> I64:
        """The list's subscribers of one kind, as a sorted array (cached)."""
        key = (list_id, kind)
        found = self._by_kind.get(key)
        if found is None:
            subs = self._subscribers.get(list_id, {})
            found = np.array(sorted(o for o, s in subs.items() if s.kind is kind), np.int64)
            self._by_kind[key] = found
        return found

    def nbytes(self) -> int:
        """Memory of the members and subscriptions, estimated."""
        import sys

        total = sum(
            sys.getsizeof(s.members) + sys.getsizeof(s.covered) + s.batch_nbytes()
            for s in self.lists.values()
        )
        total += sum(sys.getsizeof(s) for s in self.subscriptions.values())
        total += sys.getsizeof(self.subscriptions) + sum(
            sys.getsizeof(d) for d in self._subscribers.values()
        )
        return total + self._flags.nbytes
