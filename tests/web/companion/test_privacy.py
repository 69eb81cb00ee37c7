"""Private by construction, checked from outside: bytes on disk, passphrase, export, delete."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nocontact.companion.crypto import WrongPassphrase, unlock
from nocontact.companion.pages import Companion
from nocontact.companion.records import Letter
from nocontact.companion.vault import Vault
from tests.web.companion.conftest import companion_rows, csrf, post, sign_in
from tests.web.conftest import Person, Server, shot


def raw(database: Path) -> bytes:
    """The database file and its write-ahead log, byte for byte."""
    wal = database.with_name(database.name + "-wal")
    return database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_no_plaintext_in_the_database_file_or_its_wal(
    person_with_companion: Callable[[str], Person], server: Server, tmp_path: Path
) -> None:
    """A letter, a check-in note, a safety plan and a diverted message: none readable on disk."""
    sam = person_with_companion("Sam")
    marker = "marker" + secrets.token_hex(8)
    page = sam.go("/companion/letters/new")
    page.fill("#text", f"The lighthouse, {marker}-letter, and the rain.")
    page.get_by_role("button", name="Done").click()
    page.wait_for_url("**/kindness")
    page = sam.go("/companion/checkin")
    page.locator("label[for=mood-2]").click()
    page.fill("#note", f"{marker}-checkin")
    page.get_by_role("button", name="Check in").click()
    page = sam.go("/companion/safety-plan")
    page.fill("#warning_signs", f"{marker}-plan")
    page.get_by_role("button", name="Save my plan").click()
    page = sam.go("/companion/pledge")
    page.get_by_role("button", name="Make my pledge").click()  # the first choice: Alex
    page = sam.go("/messages/alex")
    page.fill("#body", f"{marker}-diverted")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r".*/companion/pause/[0-9a-f]+$"))
    assert f"{marker}-letter" in sam.text("/companion/letters")
    events = json.dumps([e.data for e in server.engine.events(limit=1_000_000)])
    assert marker not in events  # nor in the engine's event log, which /v1/events serves
    data = raw(tmp_path / "web.db")
    assert marker.encode() not in data
    assert b"lighthouse" not in data
    assert marker.encode("utf-16-le") not in data


def test_a_wrong_passphrase_opens_nothing_and_a_change_keeps_every_entry(
    companion_default_costs: Companion, server: Server, browser: Any, tmp_path: Path
) -> None:
    """With the shipped argon2id costs: the old passphrase opens nothing after a change."""
    context = browser.new_context()
    riley = Person(server, context, "Riley")
    page = riley.go("/signup")
    page.fill("#name", "Riley")
    page.fill("#handle", "riley")
    page.fill("#passphrase", "first passphrase here")
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/feed")
    for i in range(3):
        page = riley.go("/companion/letters/new")
        page.fill("#text", f"entry number {i}")
        page.get_by_role("button", name="Done").click()
        page.wait_for_url("**/kindness")
    response = post(riley, "/settings/password", {"old": "first passphrase here",
                                                   "new": "second passphrase now"})  # fmt: skip
    assert response.status == 303
    stored = companion_default_costs.keyring.store.key("riley")
    assert stored is not None
    with pytest.raises(WrongPassphrase):
        unlock(stored, "first passphrase here")
    vault = Vault(companion_default_costs.keyring.store, unlock(stored, "second passphrase now"))
    assert sorted(x.text for x in vault.all(Letter)) == [f"entry number {i}" for i in range(3)]
    riley.page.get_by_role("button", name="Sign out").click()
    # The old passphrase signs nobody in and opens nothing.
    riley.go("/signin")
    refused = riley.page.request.post(
        server.url + "/signin",
        form={"csrf": csrf(riley), "handle": "riley", "passphrase": "first passphrase here"},
        max_redirects=0,
    )
    assert refused.status == 400
    assert riley.page.goto(server.url + "/companion/letters").url.endswith("/signin")
    riley.go("/signin")
    accepted = riley.page.request.post(
        server.url + "/signin",
        form={"csrf": csrf(riley), "handle": "riley", "passphrase": "second passphrase now"},
        max_redirects=0,
    )
    assert accepted.status == 303
    letters = riley.text("/companion/letters")
    assert all(f"entry number {i}" in letters for i in range(3))
    # A passphrase reset behind the companion's back: the app signs Riley in,
    # but that passphrase opens nothing in the companion.
    server.gateway.people.change_password("riley", "second passphrase now", "third one, reset")
    riley.page.get_by_role("button", name="Sign out").click()
    riley.go("/signin")
    riley.page.request.post(
        server.url + "/signin",
        form={"csrf": csrf(riley), "handle": "riley", "passphrase": "third one, reset"},
        max_redirects=0,
    )
    locked = riley.text("/companion/letters")
    assert "different passphrase" in locked and "entry number" not in locked
    context.close()


def test_export_then_delete_leaves_no_row(
    person_with_companion: Callable[[str], Person], tmp_path: Path
) -> None:
    """Export gives everything (JSON and Markdown); delete then leaves no row of the person."""
    sam, alex = person_with_companion("Sam"), person_with_companion("Alex")
    page = sam.go("/companion/letters/new")
    page.fill("#text", "Thank you for the bread lessons.")
    page.get_by_role("button", name="Done").click()
    page.wait_for_url("**/kindness")
    page = sam.go("/companion/checkin")
    page.locator("label[for=mood-4]").click()
    page.locator("label[for=tag-friends]").click()
    page.get_by_role("button", name="Check in").click()
    page = sam.go("/companion/not-okay")
    page.fill("#name", "Jo")
    page.get_by_role("button", name="Add").click()
    page = sam.go("/companion/look-back")
    shot(page, "companion-look-back")
    exported = json.loads(page.request.get(sam.server.url + "/companion/export.json").text())
    assert exported["records"]["letter"][0]["text"] == "Thank you for the bread lessons."
    assert exported["records"]["checkin"][0]["tags"] == ["friends"]
    assert exported["records"]["friend"][0]["name"] == "Jo"
    markdown = page.request.get(sam.server.url + "/companion/export.md").text()
    assert "## Unsent letters" in markdown and "Thank you for the bread lessons." in markdown
    database = tmp_path / "web.db"
    assert companion_rows(database, "sam") >= 4
    page = sam.go("/companion/delete")
    page.fill("#confirm", "delete")
    page.get_by_role("button", name="Delete everything").click()
    page.wait_for_url("**/companion/deleted")
    assert companion_rows(database, "sam") == 0
    assert companion_rows(database, "alex") >= 1  # someone else's companion is untouched
    assert b"bread lessons" not in raw(database)
    assert "is locked" in sam.text("/companion/letters")
    sign_in(sam)
    assert "No letters yet." in sam.text("/companion/letters")
    assert alex.text("/companion")
