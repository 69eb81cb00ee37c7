"""What ``nocontact serve`` runs: the API and the web app, with the companion mounted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import platformdirs
from starlette.types import ASGIApp

from nocontact.service.settings import Settings
from nocontact.web import serve

from .pages import install
from .store import CompanionStore

#: On PostgreSQL, the companion's own file, in the user's data folder.
LOCAL_FILE = "companion.db"


def mount(app: ASGIApp, where: Path | str) -> Callable[[], None]:
    """The companion's pages and hooks on ``app``, its tables in the store's SQLite file.

    A store on PostgreSQL (a URL) is shared by servers; the companion's records stay
    on this machine, in a SQLite file of their own (secure delete needs SQLite).
    """
    path = (
        where if isinstance(where, Path) else platformdirs.user_data_path("nocontact") / LOCAL_FILE
    )
    store = CompanionStore.open(path)
    install(app, store)
    return store.close


def create(settings: Settings | None = None) -> serve.Dispatch:
    found = serve.create(settings)
    found.extensions = (*found.extensions, mount)
    return found
