"""The service under attack and abuse: what one request or one connection may not do."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .service_helpers import Api, make_api


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from make_api(tmp_path, revision_wait=0.2)


def _problem(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = dict(answer.json())
    assert body["code"] == code
    return body


def _post_raw(api: Api, path: str, raw: bytes, key: str = "admin") -> Any:
    return api.post(path, content=raw, headers={"content-type": "application/json"}, key=key)


# -- item 11: one key, one value ------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "raw", "key"),
    [
        ("/v1/persons", b'{"id":"alex","id":"dupperson"}', "admin"),
        ("/v1/persons", b'{"id":"alex", "\\u0069d":"dupperson"}', "admin"),
        ("/v1/boundaries", b'{"owner":"a","target":"b","kind":"mute","kind":"block"}', "admin"),
        (
            "/v1/decide/batch",
            b'{"checks":[{"actor":"a","action":"message","target":"b"},'
            b'{"actor":"a","action":"message","target":"b","target":"c"}]}',
            "decide",
        ),
        (
            "/v1/visible",
            b'{"viewer":"a","items":[{"id":"1","author":"b","author":"c"}]}',
            "decide",
        ),
    ],
)
def test_item11_duplicate_json_keys_rejected(api: Api, path: str, raw: bytes, key: str) -> None:
    """A body whose object gives one key twice is refused with a problem, and nothing is
    written: the service never guesses which of two values was meant."""
    before = api.engine.revision
    body = _problem(_post_raw(api, path, raw, key), 400, "invalid_input")
    assert "twice" in body["detail"]
    assert api.engine.revision == before
    assert api.get("/v1/persons/dupperson").status_code == 404


def test_item11_repeated_values_are_not_repeated_keys(api: Api) -> None:
    """Equal keys in different objects, and field names used as values, are fine."""
    assert _post_raw(api, "/v1/persons", b'{"id":"id","name":"id"}').status_code == 201
    raw = (
        b'{"checks":[{"actor":"actor","action":"message","target":"target"},'
        b'{"actor":"a","action":"message","target":"b"}]}'
    )
    assert _post_raw(api, "/v1/decide/batch", raw, "decide").status_code == 200


# -- item 5: a live stream ends when its key is revoked or its client leaves -----------------


def _stream_scope(token: str) -> dict[str, Any]:
    return {
        "type": "http", "method": "GET", "path": "/v1/events", "query_string": b"",
        "headers": [
            (b"accept", b"text/event-stream"),
            (b"authorization", f"Bearer {token}".encode()),
        ],
    }  # fmt: skip


def test_item5_stream_ends_when_its_key_is_revoked(api: Api) -> None:
    """A stream opened with a key that is then revoked ends, and carries no event written
    after the revocation (a note included)."""
    service = api.app.open()
    key, token = service.keys.create("soon-revoked", "admin")
    sent: list[bytes] = []
    leave = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await leave.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message.get("body", b""))

    async def scenario() -> float:
        streaming = asyncio.ensure_future(api.app(_stream_scope(token), receive, send))  # type: ignore[arg-type]
        await asyncio.sleep(0.2)
        await api.client.post(
            "/v1/persons", json={"id": "before"}, headers={"authorization": f"Bearer {api.admin}"}
        )
        await asyncio.sleep(0.7)
        service.keys.revoke(key.id)
        revoked = time.monotonic()
        for who in ("alex", "sam"):
            await api.client.post(
                "/v1/persons", json={"id": who}, headers={"authorization": f"Bearer {api.admin}"}
            )
        await api.client.post(
            "/v1/boundaries",
            json={"owner": "alex", "target": "sam", "kind": "space", "note": "secret note"},
            headers={"authorization": f"Bearer {api.admin}"},
        )
        try:
            await asyncio.wait_for(streaming, 3)
        finally:
            leave.set()
        return time.monotonic() - revoked

    took = api.loop.run_until_complete(scenario())
    text = b"".join(sent).decode()
    assert "person_added" in text  # the stream was live before
    assert "alex" not in text and "secret note" not in text
    assert took < 1.5


def test_item5_abandoned_streams_leave_the_server_idle(api: Api) -> None:
    """50 streams whose clients leave end at once: no task of theirs lingers, waking."""
    left = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await left.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        return None

    async def scenario() -> tuple[int, int, float]:
        before = len(asyncio.all_tasks())
        streams = [
            asyncio.ensure_future(api.app(_stream_scope(api.admin), receive, send))  # type: ignore[arg-type]
            for _ in range(50)
        ]
        await asyncio.sleep(0.3)
        during = len(asyncio.all_tasks())
        left.set()
        started = time.monotonic()
        await asyncio.wait_for(asyncio.gather(*streams), 2)
        took = time.monotonic() - started
        await asyncio.sleep(0.05)
        return during - before, len(asyncio.all_tasks()) - before, took

    during, after, took = api.loop.run_until_complete(scenario())
    assert during >= 50
    assert after == 0
    assert took < 0.5


def test_item5_stream_ends_when_the_server_closes(api: Api) -> None:
    """When the server begins to close, a live stream ends by itself (no cancellation,
    so no traceback at shutdown)."""

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        return None

    async def scenario() -> None:
        streaming = asyncio.ensure_future(api.app(_stream_scope(api.admin), receive, send))  # type: ignore[arg-type]
        await asyncio.sleep(0.2)
        api.app.closing = True
        await asyncio.wait_for(streaming, 1.5)

    api.loop.run_until_complete(scenario())


# -- item 15: the change feed speaks as the rest of the API --------------------------------


def test_item15_event_data_uses_iso_times_and_booleans(api: Api) -> None:
    """Event data carries RFC 3339 times and true/false, as every other answer does, not
    seconds since 1970 and 0/1."""
    for who in ("alex", "sam"):
        assert api.post("/v1/persons", {"id": who}).status_code == 201
    api.post("/v1/boundaries", {"owner": "alex", "target": "sam", "kind": "space",
                                "duration": 3600, "note": "a week"})  # fmt: skip
    api.post("/v1/boundaries", {"owner": "alex", "target": "sam", "kind": "block",
                                "keep_evidence": True, "channels": ["calls"]})  # fmt: skip
    api.post("/v1/emergency", {"owner": "alex"})
    events = api.get("/v1/events", params={"limit": 100}).json()["events"]
    sets = [e["data"] for e in events if e["type"] == "boundary_set"]
    space = next(d for d in sets if d["boundary"]["kind"] == "space")
    block = next(d for d in sets if d["boundary"]["kind"] == "block")
    iso = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00")
    assert iso.fullmatch(space["boundary"]["starts"]) and iso.fullmatch(space["boundary"]["ends"])
    assert iso.fullmatch(space["tell_target"]["until"])
    assert block["boundary"]["keep_evidence"] is True
    assert space["boundary"]["keep_evidence"] is False
    assert block["boundary"]["channels"] == ["calls"]
    emergency = next(e["data"] for e in events if e["type"] == "emergency_contacted")
    assert iso.fullmatch(emergency["at"]) and iso.fullmatch(emergency["until"])
