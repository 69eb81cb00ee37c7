"""Held and sealed attempts: what the owner can open later.

Every call or message that nocontact held (a ``space``) or sealed (a block
with ``keep_evidence``) is one row: the owner, the caller's address, the
channel, the outcome, the boundary that decided, the time, and whether the
caller was told the space message on that attempt (they are told once per
space). Only metadata: the content of a message and the media of a call stay
with the network (sealed in its archive), never here.

The rows live in the store's ``telephony_attempts`` table (the numbered
migration ``0007_telephony_attempts.sql`` makes it), on SQLite or PostgreSQL
like the engine's: an owner's phone screen and evidence archive read them
through :meth:`Attempts.list` (``GET /v1/attempts``, ``nocontact attempts``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from nocontact.store.base import Store

_COLUMNS = "id, owner, caller, channel, outcome, sealed, boundary, announced, at"


@dataclass(frozen=True, slots=True)
class Attempt:
    id: int
    owner: str
    caller: str
    channel: str  # "call" or "sms"
    outcome: str  # "hold" or "drop"
    sealed: bool
    boundary: str
    announced: bool
    at: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class Attempts:
    """The ``telephony_attempts`` table of one store; safe across threads."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def told(self, owner: str, boundary: str, caller: str) -> bool:
        """Was ``caller`` already told the space message of ``owner``'s ``boundary``?

        The owner is known (the boundary's): naming it keeps the lookup on the
        owner's shard when the table is distributed by ``owner``.
        """
        with self._store.sql("attempt_told") as sql:
            row = sql.one(
                "SELECT 1 AS told FROM telephony_attempts WHERE owner = ? AND boundary = ?"
                " AND caller = ? AND announced = 1 LIMIT 1",
                (owner, boundary, caller),
            )
        return row is not None

    def record(
        self,
        *,
        owner: str,
        caller: str,
        channel: str,
        outcome: str,
        sealed: bool,
        boundary: str,
        announced: bool,
        at: float,
    ) -> Attempt:
        """Keep one attempt; durable when this returns."""
        with self._store.sql("record_attempt", write=True) as sql:
            row = sql.one(
                "INSERT INTO telephony_attempts"
                " (owner, caller, channel, outcome, sealed, boundary, announced, at)"
                f" VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
                (owner, caller, channel, outcome, int(sealed), boundary, int(announced), at),
            )
        assert row is not None
        return _attempt(row)

    def list(self, owner: str, *, after: int = 0, limit: int = 100) -> list[Attempt]:
        """The owner's attempts, oldest first, with ids above ``after``."""
        with self._store.sql("list_attempts") as sql:
            rows = sql.all(
                f"SELECT {_COLUMNS} FROM telephony_attempts"
                " WHERE owner = ? AND id > ? ORDER BY id LIMIT ?",
                (owner, after, limit),
            )
        return [_attempt(r) for r in rows]


def _attempt(row: dict[str, Any]) -> Attempt:
    return Attempt(
        id=int(row["id"]),
        owner=row["owner"],
        caller=row["caller"],
        channel=row["channel"],
        outcome=row["outcome"],
        sealed=bool(row["sealed"]),
        boundary=row["boundary"],
        announced=bool(row["announced"]),
        at=float(row["at"]),
    )
