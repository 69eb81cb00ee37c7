"""The projection: the index as a fold of the event log.

``project`` applies one stored event to an index. It is how the index follows
every change: a worker's own writes, the writes of other workers (caught up by
revision), and a gap after a missed wake-up all go through it, so a worker that
applied events up to revision ``n`` holds the index any other worker holds at
``n``. The event alone is enough: what it does not carry (which boundaries an
address re-points, say) follows from the index as of the revision before it,
which every worker shares.

Two events carry only counts (``persons_imported`` and ``boundaries_imported``:
a bulk import of millions of rows); for them, and for a type this version does
not know, ``project`` raises ``NeedsReload`` and the engine reloads from the
store instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from nocontact.core.decide import LIFT_PERSON_BLOCKS
from nocontact.core.index import Index
from nocontact.core.lists import SharedList
from nocontact.core.model import Boundary, Event, Kind, is_person_id
from nocontact.engine.values import boundary_from_row
from nocontact.engine_lists import _file_member, _subscription_boundary

__all__ = ["NeedsReload", "project"]


class NeedsReload(Exception):
    """An event the projection cannot apply from its data alone: reload from the store."""


Data = Mapping[str, object]
Handler = Callable[[Index, Event], None]


def project(index: Index, event: Event) -> None:
    """Apply one stored event to ``index`` (see the module docstring)."""
    handler = _HANDLERS.get(event.type)
    if handler is None:
        raise NeedsReload(f"event {event.type!r} is not projected")
    handler(index, event)


def _str(data: Data, key: str) -> str:
    return str(data[key])


def _opt(data: Data, key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


def _strs(data: Data, key: str) -> list[str]:
    value = data.get(key) or []
    assert isinstance(value, (list, tuple))
    return [str(v) for v in value]


# -- persons and addresses -------------------------------------------------------


def _link(index: Index, person: str, uri: str) -> None:
    """Link an address; boundaries set on it while nobody had it now cover the person."""
    repoint = [
        replace(b, target_person=person) for b in index.unresolved_toward(uri) if b.owner != person
    ]
    index.link(index.parse(uri), person)
    for b in repoint:
        index.replace_boundary(b)


def _person_added(index: Index, event: Event) -> None:
    data = event.data
    person = _str(data, "person")
    # Its addresses follow, each in an ``address_linked`` event of the same write.
    index.add_person(person, _opt(data, "name"))


def _person_renamed(index: Index, event: Event) -> None:
    data = event.data
    index.names[_str(data, "person")] = _opt(data, "name")


def _address_linked(index: Index, event: Event) -> None:
    data = event.data
    _link(index, _str(data, "person"), _str(data, "address"))


def _address_unlinked(index: Index, event: Event) -> None:
    data = event.data
    index.unlink(_str(data, "address"))


def _address_changed(index: Index, event: Event) -> None:
    data = event.data
    old, new = _str(data, "old"), _str(data, "new")
    moved = [replace(b, target=new) for b in index.boundaries_toward(old)]
    index.unlink(old)
    _link(index, _str(data, "person"), new)
    for b in moved:
        index.replace_boundary(b)


# -- boundaries --------------------------------------------------------------------


def _boundary(data: Data, revision: int) -> Boundary:
    row = data["boundary"]
    assert isinstance(row, dict)
    return boundary_from_row({**row, "revision": revision})


def _boundary_set(index: Index, event: Event) -> None:
    data = event.data
    index.add_boundary(_boundary(data, event.revision))


def _boundary_updated(index: Index, event: Event) -> None:
    data = event.data
    index.replace_boundary(_boundary(data, event.revision))


def _boundary_ending(index: Index, event: Event) -> None:
    data = event.data
    found = index.boundaries.get(_str(data, "id"))
    if found is not None:
        ends = data["ends"]
        assert isinstance(ends, (int, float))
        index.replace_boundary(replace(found, ends=float(ends)))


def _boundary_lifted(index: Index, event: Event) -> None:
    data = event.data
    index.remove_ids(_str(data, "id"), _str(data, "owner"), _str(data, "target"))


def _boundary_expired(index: Index, event: Event) -> None:
    data = event.data
    boundary_id = _str(data, "id")
    if boundary_id in index.boundaries:
        index.remove_boundary(boundary_id)


# -- contacts, emergencies, settings ---------------------------------------------


def _contact_added(index: Index, event: Event) -> None:
    data = event.data
    contact = _str(data, "contact")
    parsed = None if is_person_id(contact) else index.parse(contact)
    index.add_contact(_str(data, "owner"), contact, parsed)


def _contact_removed(index: Index, event: Event) -> None:
    data = event.data
    index.remove_contact(_str(data, "owner"), _str(data, "contact"))


def _emergency(index: Index, event: Event) -> None:
    data = event.data
    at = data["at"]
    assert isinstance(at, (int, float))
    index.emergencies[_str(data, "owner")] = float(at)


def _setting(index: Index, event: Event) -> None:
    data = event.data
    value = "true" if data[LIFT_PERSON_BLOCKS] else "false"
    index.settings[(_str(data, "owner"), LIFT_PERSON_BLOCKS)] = value


# -- shared lists --------------------------------------------------------------------


def _list_created(index: Index, event: Event) -> None:
    data, at = event.data, event.at
    list_id = _str(data, "list")
    index.lists.add_list(SharedList(list_id, _str(data, "name"), _str(data, "curator"), created=at))
    for m in _strs(data, "members"):
        _file_member(index, list_id, m, add=True)


def _members(add: bool) -> Handler:
    def apply(index: Index, event: Event) -> None:
        data = event.data
        for m in _strs(data, "members"):
            _file_member(index, _str(data, "list"), m, add=add)

    return apply


def _list_deleted(index: Index, event: Event) -> None:
    data = event.data
    shared = index.lists.lists[_str(data, "list")]
    for n in list(shared.members):
        _file_member(index, shared.id, index.key(n), add=False)
    index.lists.delete_list(shared.id)


def _list_unsubscribed(index: Index, event: Event) -> None:
    data = event.data
    subscription = index.lists.subscriptions.get(_str(data, "id"))
    if subscription is not None:
        owner = index.intern(subscription.owner)
        index.lists.unsubscribe_owner(_str(data, "list"), owner)


def _suspended(suspended: bool) -> Handler:
    def apply(index: Index, event: Event) -> None:
        data = event.data
        index.lists.set_suspended(_str(data, "curator"), suspended)

    return apply


def _list_subscribed(index: Index, event: Event) -> None:
    data = event.data
    owner, list_id = _str(data, "owner"), _str(data, "list")
    kind = Kind(_str(data, "kind"))
    sub = _subscription_boundary(
        index, _str(data, "id"), owner, list_id, kind, event.at, event.revision
    )
    index.lists.subscribe(sub, index.intern(owner))


_HANDLERS: dict[str, Handler] = {
    "list_created": _list_created,
    "list_subscribed": _list_subscribed,
    "person_added": _person_added,
    "person_renamed": _person_renamed,
    "address_linked": _address_linked,
    "address_unlinked": _address_unlinked,
    "address_changed": _address_changed,
    "boundary_set": _boundary_set,
    "boundary_updated": _boundary_updated,
    "boundary_ending": _boundary_ending,
    "boundary_lifted": _boundary_lifted,
    "boundary_expired": _boundary_expired,
    "contact_added": _contact_added,
    "contact_removed": _contact_removed,
    "emergency_contacted": _emergency,
    "setting_changed": _setting,
    "list_members_added": _members(True),
    "list_members_removed": _members(False),
    "list_deleted": _list_deleted,
    "list_unsubscribed": _list_unsubscribed,
    "curator_suspended": _suspended(True),
    "curator_reinstated": _suspended(False),
}
