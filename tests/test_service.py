"""The HTTP service through the real ASGI app: every endpoint, its problems and its keys."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nocontact.engine import Engine
from nocontact.service.metrics import Metrics
from nocontact.service.ops import document_bytes

from .service_helpers import Api, make_api


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from make_api(tmp_path, revision_wait=0.2)


ROOT = Path(__file__).parents[1]


def people(api: Api) -> None:
    assert (
        api.post("/v1/persons", {"id": "alex", "addresses": ["acct:chirp:alex"]}).status_code == 201
    )
    assert (
        api.post("/v1/persons", {"id": "sam", "addresses": ["(415) 555-0123"]}).status_code == 201
    )


def block(api: Api, **extra: Any) -> dict[str, Any]:
    answer = api.post(
        "/v1/boundaries", {"owner": "alex", "target": "sam", "kind": "block", **extra}
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def problem(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = dict(answer.json())
    assert body["code"] == code and body["status"] == status
    assert body["type"].endswith(code) and body["title"] and body["detail"]
    assert "Traceback" not in answer.text
    return body


# -- persons and addresses -------------------------------------------------------------


def test_persons_and_addresses(api: Api) -> None:
    """Persons are created with addresses, normalised; links and unlinks return the revision."""
    made = api.post("/v1/persons", {"id": "sam", "name": "Sam", "addresses": ["(415) 555-0123"]})
    assert made.status_code == 201
    assert made.json()["addresses"] == ["tel:+14155550123"]
    linked = api.post("/v1/persons/sam/addresses", {"address": "acct:chirp:@Sam"}).json()
    assert "acct:chirp:sam" in linked["addresses"] and linked["revision"] > made.json()["revision"]
    unlinked = api.delete("/v1/persons/sam/addresses/acct:chirp:sam").json()
    assert unlinked["addresses"] == ["tel:+14155550123"]
    shown = api.get("/v1/persons/sam", params={"min_revision": unlinked["revision"]}).json()
    assert shown["name"] == "Sam"
    api.post("/v1/persons", {"id": "alex"})
    assert api.post("/v1/persons/alex/contacts", {"contact": "sam"}).json()["revision"] > 0


def test_person_problems(api: Api) -> None:
    """Taken ids, taken addresses, bad addresses and unknown people are clear problems."""
    people(api)
    problem(api.post("/v1/persons", {"id": "alex"}), 409, "person_exists")
    problem(
        api.post("/v1/persons", {"id": "jo", "addresses": ["+1 415 555 0123"]}),
        409,
        "address_taken",
    )
    bad = problem(
        api.post("/v1/persons/alex/addresses", {"address": "tel:+1 415"}), 400, "invalid_address"
    )
    assert bad["field"] == "address"
    problem(api.get("/v1/persons/nobody"), 404, "unknown_person")
    problem(api.post("/v1/persons", {"id": "!!"}), 400, "invalid_person_id")


# -- boundaries ------------------------------------------------------------------


def test_set_list_get_lift(api: Api) -> None:
    """A boundary is set, listed page by page, read back, and lifted quietly with restore."""
    people(api)
    api.post("/v1/persons", {"id": "jo"})
    first = block(api)
    second = api.post(
        "/v1/boundaries",
        {"owner": "alex", "target": "jo", "kind": "space", "duration": 3600, "note": "a week"},
    ).json()
    assert second["ends"] and second["note"] == "a week"
    page = api.get("/v1/boundaries", params={"owner": "alex", "limit": 1}).json()
    assert len(page["items"]) == 1 and page["next"]
    rest = api.get("/v1/boundaries", params={"owner": "alex", "after": page["next"]}).json()
    assert {b["id"] for b in page["items"] + rest["items"]} == {first["id"], second["id"]}
    assert rest["next"] is None
    assert api.get(f"/v1/boundaries/{first['id']}").json()["kind"] == "block"
    lifted = api.delete(f"/v1/boundaries/{first['id']}", params={"restore": "true"}).json()
    assert lifted["ended"] and lifted["revision"] > first["revision"]
    problem(api.get(f"/v1/boundaries/{first['id']}"), 404, "unknown_boundary")
    problem(
        api.delete(f"/v1/boundaries/{second['id']}", params={"restore": "true"}),
        400,
        "invalid_input",
    )


def test_boundary_problems(api: Api) -> None:
    """Self-boundaries, unknown owners, bad kinds and times are problems naming the field."""
    people(api)
    problem(api.post("/v1/boundaries", {"owner": "alex", "target": "alex"}), 400, "self_boundary")
    problem(api.post("/v1/boundaries", {"owner": "nobody", "target": "sam"}), 404, "unknown_person")
    bad = problem(
        api.post("/v1/boundaries", {"owner": "alex", "target": "sam", "kind": "ban"}),
        400,
        "invalid_input",
    )
    assert bad["field"] == "kind"
    naive = {"owner": "alex", "target": "sam", "ends": "2030-01-01T00:00:00"}
    problem(api.post("/v1/boundaries", naive), 400, "invalid_input")
    problem(
        api.post("/v1/boundaries", {"owner": "alex", "target": "tel:911;phone-context=+1"}),
        400,
        "emergency_number",
    )
    problem(api.get("/v1/boundaries"), 400, "invalid_input")


# -- decisions ---------------------------------------------------------------------


def test_decide_and_explanations(api: Api) -> None:
    """A silent block drops and looks delivered; the explanation is only for the owner who asks."""
    people(api)
    made = block(api)
    ask = {"actor": "+1 415 555 0123", "action": "call", "target": "alex"}
    plain = api.post("/v1/decide", ask, key="decide", params={"min_revision": made["revision"]})
    body = plain.json()
    assert (
        body["outcome"] == "drop"
        and body["actor_sees"] == "delivered"
        and body["explanation"] is None
    )
    owner = api.post("/v1/decide", {**ask, "viewer": "alex"}, key="decide").json()
    assert owner["explanation"]["reason"] == "you blocked sam"
    target = api.post("/v1/decide", {**ask, "viewer": "sam"}, key="decide").json()
    assert target["explanation"] is None


def test_decide_unknown_people_is_no_oracle(api: Api) -> None:
    """Deciding about people nobody registered answers as usual: no 404 tells who exists."""
    people(api)
    known = api.post(
        "/v1/decide", {"actor": "sam", "action": "message", "target": "alex"}, key="decide"
    )
    unknown = api.post(
        "/v1/decide", {"actor": "zed", "action": "message", "target": "yan"}, key="decide"
    )
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()


def test_decide_batch(api: Api) -> None:
    """A batch answers in order, up to 10,000 checks; one more is a problem."""
    people(api)
    block(api)
    checks = [{"actor": "sam", "action": "message", "target": "alex"}] * 5_000
    checks += [{"actor": "alex", "action": "message", "target": "sam"}] * 5_000
    answer = api.post("/v1/decide/batch", {"checks": checks}, key="decide").json()
    outcomes = [d["outcome"] for d in answer["decisions"]]
    assert outcomes[0] == "drop" and outcomes[-1] == "deny" and len(outcomes) == 10_000
    problem(
        api.post("/v1/decide/batch", {"checks": checks + checks[:1]}, key="decide"),
        413,
        "body_too_large",
    )


def test_visible_and_audience(api: Api) -> None:
    """A friend's quote of the owner is hidden from the blocked person; fan-out skips them."""
    people(api)
    api.post("/v1/persons", {"id": "carol"})
    block(api)
    items = [{"id": "p1", "author": "carol", "quoted": "alex"}, {"id": "p2", "author": "carol"}]
    seen = api.post("/v1/visible", {"viewer": "sam", "items": items}, key="decide").json()
    assert [i["outcome"] for i in seen["items"]] == ["hide", "show"]
    assert seen["items"][0]["explanation"] is None
    reach = api.post(
        "/v1/audience", {"author": "alex", "candidates": ["sam", "carol"]}, key="decide"
    )
    assert reach.json()["audience"] == ["carol"]


def test_emergency(api: Api) -> None:
    """Recording an emergency call returns the new revision."""
    people(api)
    before = api.engine.revision
    assert api.post("/v1/emergency", {"owner": "alex"}).json()["revision"] > before


# -- the change feed ------------------------------------------------------------------


def test_events_pages_never_split_a_revision(api: Api) -> None:
    """Pages of the change feed end on whole revisions and resume with next_after."""
    api.post("/v1/persons", {"id": "alex", "addresses": ["acct:chirp:a", "acct:chirp:b"]})
    api.post("/v1/persons", {"id": "sam"})
    page = api.get("/v1/events", params={"limit": 2}).json()
    assert {e["revision"] for e in page["events"]} == {1} and len(page["events"]) == 3
    rest = api.get("/v1/events", params={"after": page["next_after"]}).json()
    assert [e["type"] for e in rest["events"]] == ["person_added"]


class Enough(BaseException):
    """The test client has read what it came for."""


def test_events_as_server_sent_events(api: Api) -> None:
    """With Accept: text/event-stream the feed streams each event with its revision as id."""
    people(api)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if b"id: 2\n" in message.get("body", b""):
            raise Enough

    scope = {
        "type": "http", "method": "GET", "path": "/v1/events", "query_string": b"after=1",
        "headers": [
            (b"accept", b"text/event-stream"),
            (b"authorization", f"Bearer {api.admin}".encode()),
        ],
    }  # fmt: skip
    with pytest.raises(Enough):
        api.loop.run_until_complete(asyncio.wait_for(api.app(scope, receive, send), 5))  # type: ignore[arg-type]
    assert sent[0]["status"] == 200
    text = b"".join(m.get("body", b"") for m in sent).decode()
    assert "id: 2\nevent: person_added\n" in text and "id: 1\n" not in text


# -- health, metrics, document ---------------------------------------------------------------


def test_health_and_metrics(api: Api) -> None:
    """Health needs no key; metrics need an admin key and count routes, outcomes and the index."""
    assert api.get("/healthz", key=None).json() == {"status": "ok"}
    people(api)
    block(api)
    api.post("/v1/decide", {"actor": "sam", "action": "message", "target": "alex"}, key="decide")
    problem(api.get("/metrics", key="decide"), 403, "forbidden")
    text = api.get("/metrics").text
    assert 'nocontact_http_requests_total{method="POST",route="/v1/decide",status="200"} 1' in text
    assert 'nocontact_decisions_total{outcome="drop"} 1' in text
    assert "nocontact_index_boundaries 1.0" in text
    assert "nocontact_http_request_duration_seconds_bucket" in text


def test_each_app_counts_its_own_requests_and_no_made_up_method() -> None:
    """Two apps in one process keep separate counts (a registry each); a method no
    HTTP client sends is counted as OTHER, so a client cannot add series at will."""
    one, two = Metrics(), Metrics()
    one.request("GET", "/healthz", 200, 0.001)
    one.request("BREW", "unmatched", 404, 0.001)
    one.request("BREW2", "unmatched", 404, 0.001)
    text = one.render(1, {}).decode()
    assert 'nocontact_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    assert 'method="OTHER",route="unmatched",status="404"} 2.0' in text
    assert "BREW" not in text
    assert "nocontact_http_requests_total{" not in two.render(1, {}).decode()


def test_openapi_document_cannot_drift(api: Api) -> None:
    """The served OpenAPI document is byte for byte docs/openapi.json.

    To rewrite it after a change of the API: python -m nocontact.service.ops
    """
    served = api.get("/openapi.json", key=None)
    assert served.content == (ROOT / "docs" / "openapi.json").read_bytes() == document_bytes()
    doc = json.loads(served.content)
    assert doc["openapi"] == "3.1.0"
    assert "/v1/decide/batch" in doc["paths"] and "/metrics" in doc["paths"]
    assert api.get("/docs", key=None).headers["content-type"].startswith("text/html")


# -- problems: bad input touches nothing -------------------------------------------

JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}
HUGE = b'{"id": "' + b"x" * 5_000_000 + b'"}'
BAD = [
    ("invalid_json", "POST", "/v1/boundaries", {"content": b"{", "headers": JSON}, 400),
    ("unknown_field", "POST", "/v1/boundaries",
     {"json": {"owner": "alex", "target": "sam", "colour": "red"}}, 400),
    ("wrong_type", "POST", "/v1/boundaries", {"json": {"owner": "alex", "target": 7}}, 400),
    ("not_object", "POST", "/v1/boundaries", {"json": ["alex", "sam"]}, 400),
    ("invalid_address", "POST", "/v1/persons/alex/addresses", {"json": {"address": "tel:12"}}, 400),
    ("self_boundary", "POST", "/v1/boundaries", {"json": {"owner": "sam", "target": "sam"}}, 400),
    ("unknown_id", "DELETE", "/v1/boundaries/b_nope", {}, 404),
    ("wrong_method", "PUT", "/v1/boundaries", {"json": {}}, 405),
    ("wrong_content_type", "POST", "/v1/boundaries", {"content": b"owner=a", "headers": FORM}, 415),
    ("oversized", "POST", "/v1/persons", {"content": HUGE, "headers": JSON}, 413),
    ("unknown_query", "GET", "/v1/boundaries", {"params": {"owner": "alex", "colour": "red"}}, 400),
    ("bad_query", "GET", "/v1/boundaries", {"params": {"owner": "alex", "limit": "-1"}}, 400),
    ("unknown_route", "GET", "/v1/nothing", {}, 404),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "method", "path", "kwargs", "status"), BAD, ids=[b[0] for b in BAD]
)
def test_bad_input_is_a_problem_and_touches_nothing(
    api: Api, name: str, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    """Every bad request gets an RFC 9457 problem with a code, never a 500; nothing changes."""
    people(api)
    block(api)
    before = (api.engine.revision, api.engine.events(0, 1000))
    answer = api.call(method, path, **kwargs)
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert answer.headers["content-type"] == "application/problem+json"
    assert set(body) >= {"type", "title", "status", "detail", "code"}
    assert (api.engine.revision, api.engine.events(0, 1000)) == before


# -- keys ---------------------------------------------------------------------------------


def test_keys_and_scopes(api: Api, tmp_path: Path) -> None:
    """No key is 401; a decide key cannot write; a revoked key fails; only hashes are kept."""
    ask = {"actor": "sam", "action": "message", "target": "alex"}
    problem(api.post("/v1/decide", ask, key=None), 401, "unauthorized")
    problem(api.post("/v1/decide", ask, key="nck_000000000000_guess"), 401, "unauthorized")
    problem(api.post("/v1/persons", {"id": "alex"}, key="decide"), 403, "forbidden")
    assert api.post("/v1/decide", ask, key="admin").status_code == 200
    keys = api.app.service.keys  # type: ignore[union-attr]
    key, token = keys.create("chirp", "decide")
    assert api.post("/v1/decide", ask, key=token).status_code == 200
    keys.revoke(key.id)
    problem(api.post("/v1/decide", ask, key=token), 401, "unauthorized")
    with sqlite3.connect(tmp_path / "service.db") as conn:
        stored = [bytes(r[0]) for r in conn.execute("SELECT hash FROM service_api_keys")]
    secret = token.split("_", 2)[2]
    assert hashlib.sha256(secret.encode()).digest() in stored
    assert not any(secret.encode() in h for h in stored)


# -- freshness -----------------------------------------------------------------------------


def test_reads_never_answer_from_an_older_state(api: Api, tmp_path: Path) -> None:
    """A read with min_revision catches up with writes made elsewhere, or says it cannot yet."""
    people(api)
    other = Engine.open(tmp_path / "service.db")
    try:
        made = other.set_boundary("alex", "sam", "block")
    finally:
        other.close()
    ask = {"actor": "sam", "action": "message", "target": "alex"}
    fresh = api.post("/v1/decide", ask, key="decide", params={"min_revision": made.revision})
    assert fresh.json()["outcome"] == "drop" and fresh.json()["revision"] >= made.revision
    ahead = api.post("/v1/decide", ask, key="decide", params={"min_revision": made.revision + 50})
    problem(ahead, 503, "revision_not_reached")
