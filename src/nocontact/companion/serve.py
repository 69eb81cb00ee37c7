"""What ``nocontact serve`` runs: the API and the web app, with the companion mounted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from starlette.types import ASGIApp

from nocontact.service.settings import Settings
from nocontact.web import serve

from .pages import install
from .store import CompanionStore


def mount(app: ASGIApp, path: Path) -> Callable[[], None]:
    """The companion's pages and hooks on ``app``, its tables in the store file at ``path``."""
    store = CompanionStore.open(path)
    install(app, store)
    return store.close


def create(settings: Settings | None = None) -> serve.Dispatch:
    found = serve.create(settings)
    found.extensions = (*found.extensions, mount)
    return found
