"""The engine reads that imports and exports need: the whole state, or one owner's."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from .core.index import Index
from .core.model import Boundary, is_person_id
from .engine_lists import ListInfo, Subscription
from .store.base import Store


class PersonView(Protocol):
    """A person as the engine shows one (``engine.Person``)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def addresses(self) -> tuple[str, ...]: ...


@dataclass(slots=True)
class ExportState:
    persons: list[PersonView] = field(default_factory=list)
    lists: list[tuple[ListInfo, list[str]]] = field(default_factory=list)
    suspended: list[str] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    boundaries: list[Boundary] = field(default_factory=list)
    contacts: list[tuple[str, str]] = field(default_factory=list)
    settings: list[tuple[str, str, str]] = field(default_factory=list)
    emergencies: list[tuple[str, float]] = field(default_factory=list)


class InteropReads:
    """Mixed into ``Engine``: reads for import and export."""

    if TYPE_CHECKING:
        _index: Index
        _lock: threading.RLock
        _store: Store

        def person(self, person: str) -> PersonView: ...
        def boundaries(self, owner: str) -> list[Boundary]: ...
        def contacts(self, owner: str) -> list[str]: ...
        def subscriptions(self, owner: str) -> list[Subscription]: ...
        def shared_list(self, list_id: str) -> ListInfo: ...
        def list_members(self, list_id: str) -> list[str]: ...

    def holder(self, address: str) -> str | None:
        """The person an address (a canonical URI) is linked to, if any."""
        return self._index.person_of(address)

    def has_person(self, person: str) -> bool:
        return self._index.has_person(person)

    def person_ids(self) -> list[str]:
        return sorted(self._index.names)

    def export_state(self, owner: str | None = None) -> ExportState:
        """Everything (or what ``owner`` set, and every person and list it names)."""
        with self._lock:
            index = self._index
            owners = [owner] if owner is not None else self.person_ids()
            state = ExportState()
            for who in owners:
                state.boundaries += self.boundaries(who)
                state.contacts += [(who, c) for c in self.contacts(who)]
                state.subscriptions += self.subscriptions(who)
                state.settings += [(o, k, v) for (o, k), v in index.settings.items() if o == who]
                if who in index.emergencies:
                    state.emergencies.append((who, index.emergencies[who]))
            if owner is None:
                list_ids = sorted(index.lists.lists)
            else:
                list_ids = sorted({s.list_id for s in state.subscriptions})
            for list_id in list_ids:
                state.lists.append((self.shared_list(list_id), self.list_members(list_id)))
            curators = {info.curator for info, _ in state.lists}
            state.suspended = sorted(curators & index.lists.suspended)
            named = set(owners) | curators
            for b in state.boundaries:
                named.add(b.target_person or b.target)
            named.update(c for _, c in state.contacts)
            for _, members in state.lists:
                named.update(members)
            for person in sorted(p for p in named if is_person_id(p) and index.has_person(p)):
                state.persons.append(self.person(person))
            return state
