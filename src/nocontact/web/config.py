"""The app's options and its wired parts, which every route reaches."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.templating import Jinja2Templates

from .gateway import Gateway
from .live import Live
from .sessions import Sessions
from .store import ContentStore


@dataclass(frozen=True)
class WebConfig:
    #: Sign in by picking a person (``nocontact serve --demo``).
    demo: bool = False
    #: Mark the session cookie Secure (behind HTTPS).
    secure_cookies: bool = False
    #: The nav entry the companion fills (label, url); None hides it.
    companion_nav: tuple[str, str] | None = ("Companion", "/companion")
    #: Posts on a page of the feed.
    feed_page: int = 20


@dataclass
class Web:
    """Everything a route reaches through ``request.app.state.web``."""

    config: WebConfig
    gateway: Gateway
    sessions: Sessions
    templates: Jinja2Templates
    live: Live
    store: ContentStore
