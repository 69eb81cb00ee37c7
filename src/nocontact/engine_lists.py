"""The library face of shared lists: the ``Engine`` methods that write and read them.

A curator creates a list and adds and removes members (persons or addresses);
owners subscribe to it as a ``block`` or a ``mute``. Each write is one named
transaction with its events, like every engine write; the index files the list
once (``core/lists.py``) and never expands it into per-subscriber boundaries.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .core.addresses import Address
from .core.errors import InvalidInput, ListExists, UnknownList
from .core.index import Index
from .core.lists import LIST_KINDS, LIST_PREFIX, ListBoundary, SharedList
from .core.model import Clock, Instant, Kind, is_person_id, parse_enum
from .store.base import Change, Delete, NewEvent, Put, Snapshot

#: Longest list name.
LIST_NAME_LIMIT = 100


@dataclass(frozen=True, slots=True)
class ListInfo:
    """A shared list as its curator and its subscribers see it."""

    id: str
    name: str
    curator: str
    members: int
    deleted: bool
    #: False once deleted or while its curator is suspended: it changes no decision.
    applies: bool
    revision: int


@dataclass(frozen=True, slots=True)
class Subscription:
    """An owner's subscription, shown to them even when the list no longer applies."""

    id: str
    owner: str
    list_id: str
    list_name: str
    kind: Kind
    applies: bool
    revision: int


class ListCommands:
    """Mixed into ``Engine``: shared lists (see the module docstring)."""

    #: The methods that write: the engine wraps them like its own writes.
    WRITES = (
        "create_list",
        "add_list_members",
        "remove_list_members",
        "subscribe",
        "unsubscribe",
        "delete_list",
        "suspend_curator",
    )

    if TYPE_CHECKING:
        _index: Index
        _lock: threading.RLock
        _clock: Clock
        _revision: int

        def _commit(
            self,
            name: str,
            changes: Sequence[Change],
            events: Sequence[NewEvent],
        ) -> int: ...

        def _person(self, person: object, field: str = "person") -> str: ...

        def _address(self, text: object, field: str = "address") -> Address: ...

        def _expire_due(self, now: Instant) -> None: ...

    # -- loading ---------------------------------------------------------------------

    def _load_lists(self, index: Index, snapshot: Snapshot) -> None:
        """File every list, member, subscription and suspension into ``index`` (being built)."""
        lists = index.lists
        for row in snapshot.rows("lists"):
            lists.add_list(
                SharedList(
                    str(row["id"]),
                    str(row["name"]),
                    str(row["curator"]),
                    bool(row["deleted"]),
                    float(str(row["created"])),
                )
            )
        for row in snapshot.rows("list_members"):
            _file_member(index, str(row["list_id"]), str(row["member"]), add=True)
        for row in snapshot.rows("list_subscriptions"):
            sub = _subscription_boundary(
                index,
                str(row["id"]),
                str(row["owner"]),
                str(row["list_id"]),
                Kind(str(row["kind"])),
                float(str(row["created"])),
            )
            lists.subscribe(sub, index.intern(sub.owner))
        for row in snapshot.rows("curator_suspensions"):
            lists.set_suspended(str(row["curator"]), True)

    def _file_member(self, list_id: str, member: str, *, add: bool) -> None:
        _file_member(self._index, list_id, member, add=add)

    def _subscription_boundary(
        self, sub_id: str, owner: str, list_id: str, kind: Kind, created: float, revision: int = 0
    ) -> ListBoundary:
        return _subscription_boundary(self._index, sub_id, owner, list_id, kind, created, revision)

    # -- writes ------------------------------------------------------------------------

    def _list(self, list_id: object) -> SharedList:
        found = self._index.lists.lists.get(list_id) if isinstance(list_id, str) else None
        if found is None:
            raise UnknownList(f"no list {list_id!r}", field="list")
        return found

    def _member(self, member: object) -> str:
        """A member as stored: a known person id, or an address's canonical URI."""
        if isinstance(member, str) and is_person_id(member):
            return self._person(member, "members")
        return self._address(member, "members").uri

    def create_list(
        self,
        curator: str,
        name: str,
        *,
        list_id: str | None = None,
        members: Iterable[str] = (),
    ) -> ListInfo:
        """A new shared list curated by ``curator``, with its first members."""
        with self._lock:
            now = self._clock()
            self._expire_due(now)
            curator = self._person(curator, "curator")
            if not isinstance(name, str) or not name.strip() or len(name) > LIST_NAME_LIMIT:
                raise InvalidInput(
                    f"a list needs a name of 1-{LIST_NAME_LIMIT} characters", field="name"
                )
            name = name.strip()
            list_id = list_id if list_id is not None else "l_" + secrets.token_hex(6)
            if not isinstance(list_id, str) or not is_person_id(list_id):
                raise InvalidInput(
                    "a list id is 1-64 letters, digits, '_', '.' or '-' with a letter",
                    field="id",
                )
            if list_id in self._index.lists.lists:
                raise ListExists(f"list {list_id!r} already exists", field="id")
            added = list(dict.fromkeys(self._member(m) for m in members))
            row = {"id": list_id, "name": name, "curator": curator, "deleted": 0, "created": now}
            changes: list[Change] = [Put("lists", row)]
            changes += [Put("list_members", {"list_id": list_id, "member": m}) for m in added]
            event = {"list": list_id, "name": name, "curator": curator, "members": added}

            revision = self._commit("create_list", changes, [NewEvent("list_created", now, event)])
            return self._list_info(list_id, revision)

    def add_list_members(self, list_id: str, members: Iterable[str]) -> int:
        """Add members: every subscriber's next decision sees them, with no per-subscriber write."""
        return self._change_members(list_id, members, add=True)

    def remove_list_members(self, list_id: str, members: Iterable[str]) -> int:
        return self._change_members(list_id, members, add=False)

    def _change_members(self, list_id: str, members: Iterable[str], *, add: bool) -> int:
        with self._lock:
            now = self._clock()
            self._expire_due(now)
            shared = self._list(list_id)
            if isinstance(members, str):
                members = [members]
            wanted = list(dict.fromkeys(self._member(m) for m in members))
            index = self._index
            present = {m for m in wanted if index.number_of(m) in shared.members}
            changing = [m for m in wanted if (m in present) != add]
            if not changing:
                return self._revision
            table = "list_members"
            changes: list[Change] = [
                Put(table, {"list_id": shared.id, "member": m})
                if add
                else Delete(table, {"list_id": shared.id, "member": m})
                for m in changing
            ]
            kind = "list_members_added" if add else "list_members_removed"

            return self._commit(
                kind.removeprefix("list_"),
                changes,
                [NewEvent(kind, now, {"list": shared.id, "members": changing})],
            )

    def subscribe(self, owner: str, list_id: str, kind: Kind | str = Kind.BLOCK) -> Subscription:
        """``owner`` blocks (or mutes) everyone on the list, now and as it changes."""
        with self._lock:
            now = self._clock()
            self._expire_due(now)
            owner = self._person(owner, "owner")
            shared = self._list(list_id)
            kind = parse_enum(Kind, kind, "kind")
            if kind not in LIST_KINDS:
                raise InvalidInput("subscribe to a list as a block or a mute", field="kind")
            index = self._index
            number = index.intern(owner)
            existing = next(
                (s for s in index.lists.of_owner(number) if s.list_id == shared.id), None
            )
            if existing is not None and existing.kind is kind:
                return self._subscription_view(existing)
            sub_id = existing.id if existing is not None else "s_" + secrets.token_hex(8)
            row = {"id": sub_id, "owner": owner, "list_id": shared.id, "kind": kind.value}
            data = {"id": sub_id, "owner": owner, "list": shared.id, "kind": kind.value}

            self._commit(
                "subscribe",
                [Put("list_subscriptions", {**row, "created": now})],
                [NewEvent("list_subscribed", now, data)],
            )
            return self._subscription_view(index.lists.subscriptions[sub_id])

    def unsubscribe(self, owner: str, list_id: str) -> int:
        """End ``owner``'s subscription, whether or not the list still applies."""
        with self._lock:
            now = self._clock()
            owner = self._person(owner, "owner")
            index = self._index
            number = index.intern(owner)
            found = next((s for s in index.lists.of_owner(number) if s.list_id == list_id), None)
            if found is None:
                raise UnknownList(f"{owner} does not subscribe to {list_id!r}", field="list")
            return self._commit(
                "unsubscribe",
                [Delete("list_subscriptions", {"id": found.id, "owner": owner})],
                [NewEvent("list_unsubscribed", now, {"id": found.id, "list": list_id})],
            )

    def delete_list(self, list_id: str) -> int:
        """The list stops applying at once; subscribers still see, and can remove, it."""
        with self._lock:
            now = self._clock()
            shared = self._list(list_id)
            if shared.deleted:
                return self._revision
            row = {"id": shared.id, "name": shared.name, "curator": shared.curator,
                   "deleted": 1, "created": shared.created}  # fmt: skip
            changes: list[Change] = [Put("lists", row)]
            changes += [
                Delete("list_members", {"list_id": shared.id, "member": self._index.key(n)})
                for n in shared.members
            ]

            return self._commit(
                "delete_list", changes, [NewEvent("list_deleted", now, {"list": shared.id})]
            )

    def suspend_curator(self, curator: str, suspended: bool = True) -> int:
        """Stop (or, with ``suspended=False``, resume) every list ``curator`` keeps."""
        with self._lock:
            now = self._clock()
            curator = self._person(curator, "curator")
            if not isinstance(suspended, bool):
                raise InvalidInput("suspended must be true or false", field="suspended")
            lists = self._index.lists
            if (curator in lists.suspended) == suspended:
                return self._revision
            change: Change = (
                Put("curator_suspensions", {"curator": curator, "at": now})
                if suspended
                else Delete("curator_suspensions", {"curator": curator})
            )
            kind = "curator_suspended" if suspended else "curator_reinstated"
            return self._commit(
                kind,
                [change],
                [NewEvent(kind, now, {"curator": curator})],
            )

    # -- reads ---------------------------------------------------------------------------

    def shared_list(self, list_id: str) -> ListInfo:
        with self._lock:
            return self._list_info(self._list(list_id).id, self._revision)

    def lists_of(self, curator: str) -> list[ListInfo]:
        """The lists ``curator`` keeps, deleted ones included."""
        with self._lock:
            curator = self._person(curator, "curator")
            found = [s.id for s in self._index.lists.lists.values() if s.curator == curator]
            return [self._list_info(i, self._revision) for i in sorted(found)]

    def list_members(self, list_id: str) -> list[str]:
        with self._lock:
            shared = self._list(list_id)
            return sorted(self._index.key(n) for n in shared.members)

    def subscriptions(self, owner: str) -> list[Subscription]:
        """Every subscription of ``owner``, including to lists that no longer apply."""
        with self._lock:
            owner = self._person(owner, "owner")
            subs = self._index.lists.of_owner(self._index.intern(owner))
            return sorted((self._subscription_view(s) for s in subs), key=lambda s: s.list_id)

    def index_lists_nbytes(self) -> int:
        """Memory of the lists' members and subscriptions in the index, estimated."""
        return self._index.lists.nbytes()

    def _list_info(self, list_id: str, revision: int) -> ListInfo:
        shared = self._index.lists.lists[list_id]
        applies = self._index.lists.active(list_id)
        return ListInfo(
            shared.id, shared.name, shared.curator, len(shared.members), shared.deleted,
            applies, revision,
        )  # fmt: skip

    def _subscription_view(self, sub: ListBoundary) -> Subscription:
        return Subscription(
            sub.id, sub.owner, sub.list_id, sub.list_name, sub.kind,
            self._index.lists.active(sub.list_id), self._revision,
        )  # fmt: skip


def _file_member(index: Index, list_id: str, member: str, *, add: bool) -> None:
    """File (or unfile) one member: its number, and the person an address is linked to."""
    parsed = index.parse(member) if not is_person_id(member) else None
    number = index.intern(member, parsed)
    holder = index.person_of(member) if parsed is not None else None
    person = index.intern(holder) if holder is not None else None
    if add:
        index.lists.add_member(list_id, number, person)
    else:
        index.lists.remove_member(list_id, number, person)


def _subscription_boundary(
    index: Index,
    sub_id: str,
    owner: str,
    list_id: str,
    kind: Kind,
    created: float,
    revision: int = 0,
) -> ListBoundary:
    return ListBoundary(
        id=sub_id,
        owner=owner,
        kind=kind,
        target=LIST_PREFIX + list_id,
        starts=created,
        revision=revision,
        list_id=list_id,
        list_name=index.lists.lists[list_id].name,
    )
