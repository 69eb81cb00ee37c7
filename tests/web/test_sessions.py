"""Server-side sessions: the sign-in hooks, a fresh id at sign-in, sign-out forgets."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

import httpx

from nocontact.web.app import web_of
from nocontact.web.sessions import COOKIE, Session

from .conftest import Server, start_server

TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


def _token(page: httpx.Response) -> str:
    found = TOKEN.search(page.text)
    assert found is not None
    return found.group(1)


def test_hooks_hear_sign_in_with_the_passphrase_and_sign_out(server: Server) -> None:
    """A sign-in hook receives the session, the person and the plaintext passphrase (demo
    people's too); a sign-out hook receives the session before it is forgotten."""
    heard: list[tuple[str, str, str]] = []
    hooks = web_of(server.app).sessions.hooks

    @hooks.on_sign_in
    def unlocked(session: Session, person: str, passphrase: str) -> None:
        session.data["key"] = f"unlocked-for-{person}"
        heard.append(("in", person, passphrase))

    @hooks.on_sign_out
    def locked(session: Session, person: str) -> None:
        heard.append(("out", person, str(session.data.get("key"))))

    with httpx.Client(base_url=server.url) as client:
        anonymous = client.get("/signin")
        before = client.cookies[COOKIE]
        signed = client.post("/signin", data={"csrf": _token(anonymous), "person": "alex"})
        assert signed.status_code == 303
        after = client.cookies[COOKIE]
        assert after != before  # no fixation: a new id at sign-in
        feed = client.get("/feed")
        assert "Sign out" in feed.text
        client.post("/signout", data={"csrf": _token(feed)})
        assert client.get("/feed").headers.get("location", "").endswith("/signin")
    assert heard == [("in", "alex", "demo-alex"), ("out", "alex", "unlocked-for-alex")]


def test_read_receipts_follow_the_readers_setting(server: Server) -> None:
    """Kim's message to Rin turns Read when Rin opens it, unless Rin turned receipts off."""
    g = server.gateway
    g.messages.send("kim", "rin", "hello")
    g.messages.mark_read("rin", "dm:kim:rin")
    assert g.messages.thread("kim", "rin").lines[-1].tick == "Read"
    settings = g.people.settings("rin")
    g.people.save_settings("rin", settings.__class__(False, True, False, ""))
    assert g.messages.thread("kim", "rin").lines[-1].tick == "Delivered"


def test_password_accounts_outside_demo_mode(tmp_path: Path) -> None:
    """Outside demo mode: sign up (argon2id hash stored, never the passphrase), a wrong
    passphrase gets the page with a field message, and a change runs its hook."""
    server, stop = start_server(tmp_path, demo_world=False, demo=False)
    changes: list[tuple[str, str, str]] = []
    web_of(server.app).sessions.hooks.on_password_change(
        lambda session, person, old, new: changes.append((person, old, new))
    )
    try:
        with httpx.Client(base_url=server.url) as client:
            page = client.get("/signin")
            assert "Sign in as" not in page.text and 'name="passphrase"' in page.text
            form = client.get("/signup")
            made = client.post("/signup", data={
                "csrf": _token(form), "name": "Quinn", "handle": "quinn",
                "number": "+1 415 555 0190", "passphrase": "correct horse battery",
            })  # fmt: skip
            assert made.status_code == 303
            settings = client.get("/settings")
            changed = client.post("/settings/password", data={
                "csrf": _token(settings), "old": "correct horse battery",
                "new": "a new long passphrase",
            })  # fmt: skip
            assert changed.status_code == 303
        with httpx.Client(base_url=server.url) as other:
            form = other.get("/signin")
            wrong = other.post("/signin", data={
                "csrf": _token(form), "handle": "quinn", "passphrase": "correct horse battery",
            })  # fmt: skip
            assert wrong.status_code == 400 and 'class="field-error"' in wrong.text
            right = other.post("/signin", data={
                "csrf": _token(wrong), "handle": "quinn", "passphrase": "a new long passphrase",
            })  # fmt: skip
            assert right.status_code == 303
        with closing(sqlite3.connect(server.db)) as conn:
            query = "SELECT password_hash FROM web_accounts WHERE person = 'quinn'"
            stored = conn.execute(query).fetchone()[0]
        assert stored.startswith("$argon2id$") and "passphrase" not in stored
    finally:
        stop()
    assert changes == [("quinn", "correct horse battery", "a new long passphrase")]
