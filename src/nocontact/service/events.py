"""The change feed: pages by revision, and the same as server-sent events.

Several events can share one revision (a person added with addresses). A page
never splits a revision, so ``after=next_after`` always resumes exactly where
the page ended. The stream sends each event as ``id: REVISION``, so a client
that reconnects with ``Last-Event-ID`` misses nothing. A stream asks whether it
may go on (its key not revoked, the server not closing) before each event and on
every wake, at least every :data:`WAKE_SECONDS`; the app ends it when the
client leaves.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import msgspec

from nocontact.core.model import Event

from . import schemas as s
from .routing import Stream
from .state import Service

WAKE_SECONDS = 0.5
HEARTBEAT_SECONDS = 15.0
_encode = msgspec.json.Encoder().encode


async def _events(service: Service, after: int, limit: int) -> list[Event]:
    """Up to ``limit`` events after ``after``, never ending inside a revision."""
    # The writer records ends that have come first (exactly once), then reads.
    found = await service.on_writer(lambda e: (e.expire_due(), e.events(after, limit + 1))[1])
    if len(found) <= limit or found[limit].revision != found[limit - 1].revision:
        return found[:limit]
    last = found[limit].revision
    kept = [e for e in found[:limit] if e.revision != last]
    if kept:
        return kept
    # One revision larger than a page: deliver it whole.
    everything = await service.on_writer(lambda e: e.events(after, limit + 100_000))
    return [e for e in everything if e.revision == last]


async def event_page(service: Service, after: int, limit: int) -> s.EventPage:
    found = await _events(service, after, limit)
    return s.EventPage([s.event_out(e) for e in found], found[-1].revision if found else after)


def stream(service: Service, after: int, allowed: Callable[[], bool]) -> Stream:
    async def chunks() -> AsyncIterator[bytes]:
        cursor = after
        yield b": nocontact change feed\n\n"
        idle = 0.0
        while allowed():
            found = await _events(service, cursor, 1000)
            for e in found:
                if not allowed():
                    return
                data = _encode(s.event_out(e))
                yield b"id: %d\nevent: %s\ndata: %s\n\n" % (e.revision, e.type.encode(), data)
                cursor = e.revision
            if found:
                idle = 0.0
                continue
            changed = service.changed
            try:
                await asyncio.wait_for(changed.wait(), WAKE_SECONDS)
            except TimeoutError:
                idle += WAKE_SECONDS
                if idle >= HEARTBEAT_SECONDS:
                    idle = 0.0
                    yield b": keep-alive\n\n"

    return Stream(chunks)
