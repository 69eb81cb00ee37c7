"""The companion's pages, mounted on the reference web app.

:func:`install` adds the pages under ``/companion``, their templates and
stylesheet, and three session hooks: at sign-in the person's data key is
unlocked with the passphrase (and created, the first time) and kept in this
process's memory for the session; at sign-out it is forgotten; at a passphrase
change it is re-wrapped, so every entry stays readable.

The web app's own routes ask ``app.state.intercept`` (:func:`~.pledge.caught`)
before they send a message or place a call or a text, so that an attempt the
person's pledge diverts opens the pause instead and its draft lands in their
unsent letters, never in the app's tables; and ``app.state.see_less``
(:func:`see_less_of`) to quiet the person's own feed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader
from starlette.requests import Request
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from nocontact.companion import tools
from nocontact.companion.crypto import DEFAULT_KDF, KdfParams, WrongPassphrase
from nocontact.companion.records import SeeLess
from nocontact.companion.store import CompanionStore
from nocontact.companion.vault import Keyring
from nocontact.web.app import web_of
from nocontact.web.pages import session
from nocontact.web.sessions import Session

from . import guides, letters, pledge, support, wellbeing, yours
from .base import LOCKED_FLAG, Companion, vault
from .pledge import caught, pledged

__all__ = ["Companion", "all_routes", "caught", "install", "see_less_of"]

HERE = Path(__file__).parent.parent
#: Where a session keeps its unlocked key, in server memory.
KEY = "companion_key"


def all_routes() -> list[BaseRoute]:
    return [
        *guides.routes,
        *pledge.routes,
        *letters.routes,
        *wellbeing.routes,
        *support.routes,
        *yours.routes,
        Mount("/companion/static", StaticFiles(directory=HERE / "static"), name="companion-static"),
    ]


def install(app: Any, store: CompanionStore, *, params: KdfParams = DEFAULT_KDF) -> Companion:
    """Mount the companion on an app made by ``nocontact.web.app.create_app``."""
    web = web_of(app)
    keyring = Keyring(store, params)
    found = Companion(keyring)
    app.state.companion = found
    app.state.intercept = caught  # the web app's routes ask before they act
    app.state.see_less = see_less_of
    app.state.pledged = pledged
    inner = getattr(app, "app", app)  # the Starlette app inside the session layer
    inner.router.routes[0:0] = all_routes()
    env = web.templates.env
    loaders: list[BaseLoader] = [FileSystemLoader(str(HERE / "templates"))]
    if env.loader is not None:
        loaders.append(env.loader)
    env.loader = ChoiceLoader(loaders)

    def on_sign_in(s: Session, person: str, passphrase: str) -> None:
        try:
            opened = keyring.sign_in(s.id, person, passphrase)
            s.data[KEY] = opened.key  # the only strong reference: it lives as the session does
            tools.settings(opened, web.gateway.ctx.now())  # the first time: the day it began
        except WrongPassphrase:
            s.data[LOCKED_FLAG] = True  # the companion stays locked; sign-in goes on

    def on_sign_out(s: Session, person: str) -> None:
        s.data.pop(KEY, None)
        keyring.sign_out(s.id)

    def on_password_change(s: Session, person: str, old: str, new: str) -> None:
        keyring.change_passphrase(person, old, new)

    web.sessions.hooks.on_sign_in(on_sign_in)
    web.sessions.hooks.on_sign_out(on_sign_out)
    web.sessions.hooks.on_password_change(on_password_change)
    return found


def see_less_of(request: Request) -> frozenset[str]:
    """Whom the signed-in person asked to see less of, in their own feed only."""
    if session(request).person is None or getattr(request.app.state, "companion", None) is None:
        return frozenset()
    found = vault(request)
    return frozenset(found.single(SeeLess).people) if found is not None else frozenset()
