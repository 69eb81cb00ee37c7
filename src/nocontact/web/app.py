"""The app factory: the web app's parts wired together, and its middleware.

``create_app`` builds one Starlette app over an engine (read through a
callable, so the app follows the service when it reopens its engine), the
content store and the sessions. The middleware gives every answer its
security headers (a strict Content-Security-Policy: no inline script or
style, nothing from another origin) and every visitor a server-side session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import Message, Receive, Scope, Send

from nocontact.engine import Engine

from .config import Web, WebConfig
from .gateway import Gateway
from .gateway.base import Context
from .live import Live
from .pages import CSRFRejected, SignInNeeded, render
from .routes import all_routes
from .sessions import COOKIE, Hooks, Sessions
from .store import ContentStore

__all__ = ["Web", "WebConfig", "create_app", "web_of"]

HERE = Path(__file__).parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


def create_app(
    engine_of: Callable[[], Engine],
    store: ContentStore,
    *,
    config: WebConfig | None = None,
    hooks: Hooks | None = None,
    routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """The web app over an engine and its content store.

    ``hooks`` hear sign-in, sign-out and passphrase changes; ``routes`` are an
    extension's pages (the companion's), matched before the app's own.
    """
    config = config or WebConfig()
    live = Live()
    gateway = Gateway(Context(engine_of, store, live))
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["kinds"] = ("block", "mute", "restrict", "break", "space", "pledge")
    web = Web(config, gateway, Sessions(hooks), templates, live, store)
    app = Starlette(
        routes=[
            *routes,
            *all_routes(),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        exception_handlers={
            CSRFRejected: _csrf_rejected,
            SignInNeeded: _sign_in_needed,
            HTTPException: _http_error,
            Exception: _internal,
        },
    )
    app.state.web = web
    return SessionLayer(app, web)  # type: ignore[return-value]


async def _csrf_rejected(request: Request, exc: Exception) -> Response:
    return render(request, "error.html", {"title": "This form has expired",
        "detail": "Nothing was changed. Go back, reload the page and try again."}, 403)  # fmt: skip


async def _sign_in_needed(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/signin", status_code=303)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    title = {404: "Not found", 405: "Not allowed"}.get(exc.status_code, "Something went wrong")
    detail = "There is nothing here." if exc.status_code == 404 else "Try going back."
    return render(request, "error.html", {"title": title, "detail": detail}, exc.status_code)


async def _internal(request: Request, exc: Exception) -> Response:
    logging.getLogger("nocontact.web").exception("internal error")
    return render(
        request,
        "error.html",
        {"title": "Something went wrong", "detail": "Nothing was changed. Try again shortly."},
        500,
    )


class SessionLayer:
    """Loads the visitor's server-side session, keeps presence, sets the cookie and headers."""

    def __init__(self, app: Starlette, web: Web) -> None:
        self.app = app
        self.web = web
        self.state = app.state  # so that tests and the dispatcher reach ``state.web``

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        web = self.web
        now = web.gateway.ctx.now()
        cookie = _cookie(scope)
        static = scope["path"].startswith("/static/")
        session = web.sessions.get(cookie)
        if session is None and not static:
            session = web.sessions.new()
        scope.setdefault("state", {})["session"] = session
        if session is not None and session.person is not None:
            web.live.seen(session.person, now)
        if not static and scope["path"] != "/live":
            web.gateway.sync.run()  # the engine's events first: pages show them at once

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += SECURITY_HEADERS
                current = scope["state"].get("session")
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                if current is not None and current.id != cookie:
                    headers.append((b"set-cookie", _set_cookie(current.id, web.config).encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def _cookie(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except CookieError:
                return None
            morsel = jar.get(COOKIE)
            return morsel.value if morsel is not None else None
    return None


def _set_cookie(session_id: str, config: WebConfig) -> str:
    secure = "; Secure" if config.secure_cookies else ""
    return f"{COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Lax{secure}"


def web_of(app: Any) -> Web:
    """The :class:`Web` of an app made by :func:`create_app`."""
    found: Web = app.state.web
    return found
