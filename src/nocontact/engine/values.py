"""The engine's values: its configuration, what writes answer, rows and event data.

Shared by the commands, the reads and the projection; nothing here holds state.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from nocontact.core.addresses import Address
from nocontact.core.edges import (
    edge_code,
)
from nocontact.core.errors import (
    AddressTaken,
    InvalidBoundary,
    InvalidInput,
)
from nocontact.core.index import Index
from nocontact.core.model import (
    Boundary,
    Channel,
    Decision,
    Disclosure,
    Instant,
    Kind,
    OnEnd,
)
from nocontact.core.semantics import DEFAULT

NOTE_LIMIT = 280
#: The checkpoint of the index's edges, kept in the store for a fast cold start.
CHECKPOINT = "edges"
#: The store's secret that keys plain boundaries' ids.
ID_SECRET = "boundary_ids"
#: Decisions with no boundary at all (the revision is filled in per engine).
DEFAULT_DECISION: dict[str, Decision] = {
    a: Decision(e.outcome, e.actor_sees, e.notify, 0) for a, e in DEFAULT.items()
}
#: A background merge folds the overlay's plain boundaries into the edges past this many
#: plain writes, plus one for every eight edges (see ``engine.merging``).
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
