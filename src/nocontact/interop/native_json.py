"""nocontact's own format: JSON Lines that keep everything.

The first line is a header (``{"nocontact": 1, ...}``); every other line is one
record: a person with their addresses, a list with its members, a suspension,
a subscription, a boundary with its start and its end (so a temporary
boundary still ends on time after a move), a contact, a setting, an emergency.
One record a line keeps large exports streamable and gives every bad record a
line number. Exporting and importing into an empty database gives the same
decisions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from nocontact.core.model import Boundary
from nocontact.engine import Engine

from .rows import Parsed, RecordRow

VERSION = 1
#: The records, in the order an import needs them (persons before what names them).
RECORD_TYPES = (
    "person",
    "list",
    "suspension",
    "subscription",
    "boundary",
    "contact",
    "setting",
    "emergency",
)


def _boundary(b: Boundary) -> dict[str, Any]:
    return {
        "type": "boundary",
        "owner": b.owner,
        "target": b.target,
        "kind": b.kind.value,
        "scope": b.scope,
        "channels": sorted(b.channels) if b.channels is not None else None,
        "starts": b.starts,
        "ends": b.ends,
        "disclosure": b.disclosure.value,
        "note": b.note,
        "keep_evidence": b.keep_evidence,
        "on_end": b.on_end.value,
    }


def records(engine: Engine, owner: str | None = None) -> Iterator[dict[str, Any]]:
    """Every record to export: everything, or what ``owner`` set and whom it names."""
    state = engine.export_state(owner)
    yield {"nocontact": VERSION, "revision": engine.revision, "exported": engine.now()}
    for person in state.persons:
        yield {"type": "person", "id": person.id, "name": person.name,
               "addresses": list(person.addresses)}  # fmt: skip
    for info, members in state.lists:
        yield {"type": "list", "id": info.id, "name": info.name, "curator": info.curator,
               "deleted": info.deleted, "members": members}  # fmt: skip
    for curator in state.suspended:
        yield {"type": "suspension", "curator": curator}
    for sub in state.subscriptions:
        yield {"type": "subscription", "owner": sub.owner, "list": sub.list_id,
               "kind": sub.kind.value}  # fmt: skip
    for b in sorted(state.boundaries, key=lambda b: (b.owner, b.target, b.kind, b.starts)):
        yield _boundary(b)  # in a stable order: two exports of the same state are equal
    for who, contact in state.contacts:
        yield {"type": "contact", "owner": who, "contact": contact}
    for who, key, value in state.settings:
        yield {"type": "setting", "owner": who, "key": key, "value": value}
    for who, at in state.emergencies:
        yield {"type": "emergency", "owner": who, "at": at}


def write(engine: Engine, owner: str | None = None) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records(engine, owner))


def parse(lines: list[str]) -> Parsed:
    out = Parsed()
    header_seen = False
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            out.bad.append((number, f"not JSON: {exc}"))
            continue
        if not isinstance(record, dict):
            out.bad.append((number, "each line must be a JSON object"))
        elif not header_seen and "nocontact" in record:
            header_seen = True
            if record["nocontact"] != VERSION:
                out.bad.append((number, f"version {record['nocontact']!r}; this reads {VERSION}"))
        elif record.get("type") not in RECORD_TYPES:
            out.bad.append((number, f"unknown record type {record.get('type')!r}"))
        else:
            out.rows.append(RecordRow(number, str(record.pop("type")), record))
    if not header_seen and not out.bad:
        out.bad.append((1, 'not a nocontact export: the first line is {"nocontact": 1, ...}'))
    return out
