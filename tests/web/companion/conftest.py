"""The companion on the live test server: installed on the app the web fixtures start.

``companion`` mounts the companion's pages, hooks and store on the ``server``
fixture's app (the same SQLite file), with light argon2id costs so that each
sign-in stays quick; one test signs in with the default costs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nocontact.companion.crypto import DEFAULT_KDF, KdfParams
from nocontact.companion.pages import Companion, install
from nocontact.companion.store import CompanionStore
from tests.web.conftest import Person, Server

FAST = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)
#: Every page of the companion a signed-in person can open.
PAGES = (
    "/companion",
    "/companion/what-now",
    "/companion/pledge",
    "/companion/letters",
    "/companion/letters/new",
    "/companion/checkin",
    "/companion/self-care",
    "/companion/who-am-i",
    "/companion/hard-dates",
    "/companion/see-less",
    "/companion/not-okay",
    "/companion/safety-plan",
    "/companion/crisis",
    "/companion/staying-safe",
    "/companion/look-back",
    "/companion/delete",
)


@pytest.fixture
def companion(server: Server, tmp_path: Path) -> Iterator[Companion]:
    store = CompanionStore.open(tmp_path / "web.db")
    found = install(server.app, store, params=FAST)
    yield found
    store.close()


@pytest.fixture
def companion_default_costs(server: Server, tmp_path: Path) -> Iterator[Companion]:
    """The companion with the argon2id costs it ships with (RFC 9106's second option)."""
    store = CompanionStore.open(tmp_path / "web.db")
    found = install(server.app, store, params=DEFAULT_KDF)
    yield found
    store.close()


def companion_rows(database: Path, person: str) -> int:
    """Rows of every companion table that belong to ``person``, read from the file itself."""
    conn = sqlite3.connect(database)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'companion_%'"
                " AND name != 'companion_schema'"
            )
        ]
        return sum(
            int(conn.execute(f"SELECT COUNT(*) FROM {t} WHERE person = ?", (person,)).fetchone()[0])
            for t in tables
        )
    finally:
        conn.close()


@pytest.fixture
def person_with_companion(
    companion: Companion, people: Callable[[str], Person]
) -> Callable[[str], Person]:
    return people


def csrf(person: Person) -> str:
    """The session's CSRF token, from any form on the page."""
    token: str = person.page.locator('input[name="csrf"]').first.get_attribute("value")
    return token


def post(person: Person, path: str, data: dict[str, Any]) -> Any:
    """A form post from the person's own window (their cookie, their CSRF token)."""
    person.go("/companion/crisis")
    return person.page.request.post(
        person.server.url + path, form={"csrf": csrf(person), **data}, max_redirects=0
    )


def sign_in(person: Person) -> None:
    """Sign in again (a session idle past the app's limit is forgotten, and its key with it)."""
    person.go("/signin")
    person.page.get_by_role("button", name=f"Sign in as {person.name}").click()
    person.page.wait_for_url("**/feed")


def later(server: Server, seconds: float, *people: Person) -> None:
    """Move the server's clock on; people come back the next day and sign in again."""
    server.clock.advance(seconds)
    for person in people:
        sign_in(person)
