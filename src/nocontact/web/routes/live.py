"""Notifications and live updates.

``/live`` is a server-sent event stream: one ``refresh`` event whenever the
engine's event log or the content moved (the same event for everyone, with
no data about anyone), on which the page script refetches the page and
swaps its live region. Without JavaScript, pages are simply reloaded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from nocontact.web.pages import person, render, web

POLL_SECONDS = 0.25
#: A comment line now and then keeps proxies from closing an idle stream.
KEEPALIVE_SECONDS = 15.0


async def notifications_page(request: Request) -> Response:
    me = person(request)
    g = web(request).gateway
    return render(
        request,
        "notifications.html",
        {"notes": g.notifications.list(me), "requests": g.people.follow_requests(me)},
    )


async def live(request: Request) -> Response:
    person(request)
    w = web(request)

    async def events() -> AsyncIterator[bytes]:
        seen = w.live.version
        quiet = 0.0
        yield b"retry: 2000\n\n"
        while not w.live.closing and not await request.is_disconnected():
            await asyncio.sleep(POLL_SECONDS)
            w.gateway.sync.run()  # writes ends that came due; applies them
            if w.live.version != seen:
                seen = w.live.version
                quiet = 0.0
                yield b"event: refresh\ndata: \n\n"
            else:
                quiet += POLL_SECONDS
                if quiet >= KEEPALIVE_SECONDS:
                    quiet = 0.0
                    yield b": keep-alive\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


routes = [
    Route("/notifications", notifications_page, methods=["GET"]),
    Route("/live", live, methods=["GET"]),
]
