"""One process, two faces: the dispatcher that ``nocontact serve`` runs.

``/v1``, ``/healthz``, ``/metrics``, ``/openapi.json`` and ``/docs`` go to the
service's own fast ASGI app; everything else goes to the web app. Both share
the service's engine: the web app is built when the service has opened it
(on lifespan startup) and reads it through the service on every use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nocontact.service.app import App
from nocontact.service.settings import Settings

from .app import WebConfig, create_app, web_of
from .sessions import Hooks
from .store import ContentStore

#: Mounts something on the web app, given the store (a SQLite file or a PostgreSQL URL);
#: returns how to close it.
Extension = Callable[[ASGIApp, Path | str], Callable[[], None]]

API_PATHS = frozenset({"/healthz", "/metrics", "/openapi.json", "/docs"})


def is_api(path: str) -> bool:
    return path.startswith("/v1/") or path == "/v1" or path in API_PATHS


class Dispatch:
    """Sends each request to the API or to the web app by its path."""

    def __init__(
        self,
        api: App,
        config: WebConfig,
        hooks: Hooks | None = None,
        routes: Sequence[BaseRoute] = (),
        extensions: Sequence[Extension] = (),
    ) -> None:
        self.api = api
        self.config = config
        self.hooks = hooks
        self.routes = routes
        #: Mounted on the web app once it is built, over its store file: the companion.
        self.extensions = tuple(extensions)
        self.web: ASGIApp | None = None
        self._store: ContentStore | None = None
        self._closers: list[Callable[[], None]] = []

    @property
    def closing(self) -> bool:
        return self.api.closing

    @closing.setter
    def closing(self, value: bool) -> None:
        """The server is stopping: the API's and the app's live streams end."""
        self.api.closing = value
        if self.web is not None:
            web_of(self.web).live.closing = value

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self.api(scope, receive, self._lifespan_send(send))
        elif kind == "http" and is_api(scope["path"]):
            await self.api(scope, receive, send)
        elif kind == "http":
            await self._web()(scope, receive, send)

    def _web(self) -> ASGIApp:
        if self.web is None:
            service = self.api.open()
            self._store = ContentStore(service.engine.store)
            self.web = create_app(
                lambda: service.engine,
                self._store,
                config=self.config,
                hooks=self.hooks,
                routes=self.routes,
            )
            self._closers = [extend(self.web, service.path) for extend in self.extensions]
        return self.web

    def _lifespan_send(self, send: Send) -> Send:
        async def relay(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                self._web()
            elif message["type"] == "lifespan.shutdown.complete" and self._store is not None:
                for close in self._closers:
                    close()
                self._store, self.web, self._closers = None, None, []
            await send(message)

        return relay


def create(settings: Settings | None = None) -> Dispatch:
    """The served app: the API and the web app, from the environment's settings."""
    from nocontact.service.settings import load

    settings = settings or load()
    return Dispatch(App(settings, settle_gc=True), WebConfig(demo=settings.demo))
