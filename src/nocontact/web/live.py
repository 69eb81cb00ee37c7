"""What the app keeps in memory only: who is active, who is typing, and a change counter.

Nothing here is content: presence and typing reach another person only
through the gateway, which asks the engine first. The counter tells open pages
(server-sent events) that something changed; it is the same for everyone, so
its ticks say nothing about any one person.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

#: A person counts as online this long after their last request.
ONLINE_SECONDS = 120.0
#: A typing signal lasts this long.
TYPING_SECONDS = 6.0


@dataclass
class Live:
    version: int = 0
    #: The server is stopping: live streams end.
    closing: bool = False
    last_seen: dict[str, float] = field(default_factory=dict)
    typing: dict[tuple[str, str], float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def changed(self) -> None:
        with self._lock:
            self.version += 1

    def seen(self, person: str, at: float) -> None:
        self.last_seen[person] = at

    def start_typing(self, person: str, conversation: str, at: float) -> None:
        self.typing[(person, conversation)] = at + TYPING_SECONDS
        self.changed()

    def typists(self, conversation: str, at: float) -> list[str]:
        return [
            p for (p, c), until in list(self.typing.items()) if c == conversation and at < until
        ]
