"""Bad input and forged forms: a page with a field-level message or a 403 page, never a 500,
and nothing stored changes."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

import httpx
import pytest
from starlette.routing import Route

from .conftest import Server

TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


def stored(server: Server) -> str:
    """Everything in the store file, as SQL text (engine and app tables alike)."""
    conn = sqlite3.connect(server.db)
    try:
        return "\n".join(line for line in conn.iterdump() if "web_state" not in line)
    finally:
        conn.close()


@pytest.fixture
def server(shared_server: Server) -> Server:
    """These tests store nothing (each checks it), so they share one server."""
    return shared_server


@pytest.fixture
def alex(server: Server) -> Iterator[tuple[httpx.Client, str]]:
    """An HTTP client signed in as Alex, and its CSRF token."""
    with httpx.Client(base_url=server.url, follow_redirects=True, timeout=10) as client:
        token = TOKEN.search(client.get("/signin").text).group(1)  # type: ignore[union-attr]
        page = client.post("/signin", data={"csrf": token, "person": "alex"})
        assert page.status_code == 200 and "Sign out" in page.text
        token = TOKEN.search(page.text).group(1)  # type: ignore[union-attr]
        yield client, token


PARAMS = {
    "{peer}": "sam", "{group}": "1", "{post}": "1", "{kind}": "reply", "{person}": "sam",
    "{verb:str}": "follow", "{kind:str}": "call", "{entry}": "1", "{boundary}": "b_x",
}  # fmt: skip


def post_routes(server: Server) -> list[str]:
    """Every POST path of the app, with a plausible value in each parameter."""
    paths = []
    for route in server.app.app.routes:
        if isinstance(route, Route) and "POST" in (route.methods or ()):
            path = route.path
            for name, value in PARAMS.items():
                path = path.replace(name, value)
            paths.append(path)
    return paths


def test_every_form_without_its_token_gets_a_403_page(
    server: Server, alex: tuple[httpx.Client, str]
) -> None:
    """A POST to any route without the session's CSRF token: 403 page, nothing stored changes."""
    client, _ = alex
    before = stored(server)
    paths = post_routes(server)
    assert len(paths) >= 15
    for path in paths:
        for data in ({"body": "forged"}, {"csrf": "not-the-token", "body": "forged"}):
            answer = client.post(path, data=data, follow_redirects=False)
            assert answer.status_code == 403, path
            assert "This form has expired" in answer.text and "Nothing was changed" in answer.text
    assert stored(server) == before


BAD = [
    ("/posts", {"body": ""}, "Write something first."),
    ("/posts", {"body": "x" * 501}, "At most 500 characters."),
    ("/messages/sam", {"body": ""}, "Write a message first."),
    ("/messages/sam", {"body": "y" * 2001}, "At most 2000 characters."),
    ("/groups", {"name": ""}, "Give the group a name"),
    ("/groups", {"name": "Tea", "members": "nobody"}, "Choose at least one person."),
    ("/phone/call", {"to": "not a number"}, "That is not a phone number"),
    ("/phone/call", {"to": "+1 415 555 0123", "from": "+1 212 555 0000"}, "Choose one of your"),
    ("/phone/sms", {"to": "+1 415 555 0123", "body": ""}, "Write a text"),
    ("/settings", {"name": ""}, "Give a name"),
    ("/settings", {"name": "Alex", "bio": "b" * 281}, "At most 280 characters."),
    ("/settings/numbers", {"number": "call me"}, "That is not a phone number"),
    ("/settings/numbers", {"number": "+1 415 555 0123"}, "belongs to another person"),
    ("/boundaries", {"kind": "block"}, "Choose a person"),
    ("/boundaries", {"target": "sam", "kind": "ban"}, "Choose one of the six kinds."),
    ("/boundaries", {"target": "sam", "kind": "space"}, "space is asked for a set time"),
    ("/boundaries", {"target": "sam", "kind": "block", "duration": "date", "until": "soon"},
     "Give a date"),
    ("/boundaries", {"target": "sam", "kind": "mute", "disclosure": "unavailable"},
     "only a block has a disclosure choice"),
    ("/boundaries", {"target": "sam", "kind": "space", "duration": "week", "note": "n" * 281},
     "at most 280"),
    ("/boundaries", {"address": "911", "kind": "block"}, "emergency"),
    ("/boundaries", {"target": "sam", "kind": "block", "channels": "carrier pigeon"},
     "Choose among the listed channels."),
]  # fmt: skip


@pytest.mark.parametrize(("path", "data", "message"), BAD, ids=[f"{p}:{m[:20]}" for p, _, m in BAD])
def test_a_bad_value_gets_the_page_with_a_field_message(
    server: Server, alex: tuple[httpx.Client, str], path: str, data: dict[str, str], message: str
) -> None:
    """The same page comes back (400) with the message beside the field; nothing is stored."""
    client, token = alex
    before = stored(server)
    answer = client.post(path, data={"csrf": token, **data})
    assert answer.status_code == 400, answer.text[:500]
    errors = re.findall(r'<p class="field-error" id="([a-z\-0-9]+)-error">([^<]*)</p>', answer.text)
    assert errors, answer.text[:2000]
    assert any(message.lower() in text.lower() for _, text in errors), errors
    assert stored(server) == before
