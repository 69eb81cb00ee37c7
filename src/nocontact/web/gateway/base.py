"""What every surface of the gateway shares: the engine, the content store, the clock.

``Context.engine`` is read on each use: the service may reopen its engine on
the store (after a write made elsewhere), and the app must follow it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime

from nocontact.core.errors import UnknownPerson
from nocontact.core.model import Decision, Outcome
from nocontact.engine import Engine
from nocontact.web.live import Live
from nocontact.web.store import ContentStore

#: Outcomes of a delivery action after which the recipient gets the thing.
RECEIVED = frozenset({Outcome.DELIVER, Outcome.DELIVER_QUIETLY, Outcome.REQUEST})
#: Outcomes of a visibility action that show something.
SHOWN = frozenset({Outcome.SHOW, Outcome.LIMITED})


@dataclass
class Context:
    engine_of: Callable[[], Engine]
    store: ContentStore
    live: Live

    @property
    def engine(self) -> Engine:
        return self.engine_of()

    def now(self) -> float:
        return self.engine.now()

    def decide(self, actor: str, action: str, target: str) -> Decision:
        """The engine's decision, as the actor may see it (the engine's default view)."""
        return self.engine.check(actor, action, target)

    def batch(self) -> AbstractContextManager[object]:
        """Many writes in one transaction (seeding a world)."""
        return self.store.transaction()

    def name(self, person: str) -> str:
        try:
            return self.engine.person(person).name or person
        except UnknownPerson:
            return person


def fate_of(decision: Decision) -> str:
    """Where a delivered thing goes for its recipient, from the engine's outcome."""
    return {
        Outcome.DELIVER: "delivered",
        Outcome.DELIVER_QUIETLY: "quiet",
        Outcome.REQUEST: "request",
        Outcome.HOLD: "held",
        Outcome.DIVERT: "diverted",
    }.get(decision.outcome, "dropped")


def when(at: float | None) -> str:
    """A time as people read it (UTC, to keep pages equal for everyone)."""
    if at is None:
        return ""
    return datetime.fromtimestamp(at, UTC).strftime("%d %b %Y, %H:%M UTC")


def ago(at: float, now: float) -> str:
    seconds = max(0, int(now - at))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"
