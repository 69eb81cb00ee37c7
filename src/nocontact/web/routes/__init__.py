"""The app's routes, one module per surface. Routes read and write through the gateway only."""

from __future__ import annotations

from starlette.routing import BaseRoute

from . import auth, boundaries, feed, live, messages, people, phone


def all_routes() -> list[BaseRoute]:
    return [
        *auth.routes,
        *feed.routes,
        *people.routes,
        *messages.routes,
        *phone.routes,
        *boundaries.routes,
        *live.routes,
    ]
