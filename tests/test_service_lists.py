"""``/v1/lists``, ``/v1/import`` and ``/v1/export`` on the real app, in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .service_helpers import Api, make_api

FIXTURES = Path(__file__).parent / "fixtures" / "interop"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from make_api(tmp_path, revision_wait=0.2)


def ok(answer: Any, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    return dict(answer.json())


def problem(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = dict(answer.json())
    assert body["code"] == code and "Traceback" not in answer.text
    return body


@pytest.fixture
def spam(api: Api) -> Api:
    for person in ("alex", "cara", "sam", "kim"):
        ok(api.post("/v1/persons", {"id": person, "name": person.title()}), 201)
    body = {"curator": "cara", "name": "Spam callers", "id": "spam", "members": ["sam"]}
    ok(api.post("/v1/lists", body), 201)
    ok(api.post("/v1/lists/spam/subscriptions", {"owner": "alex", "kind": "block"}), 201)
    return api


def decide(api: Api, actor: str, target: str, viewer: str | None = None) -> dict[str, Any]:
    body = {"actor": actor, "action": "message", "target": target}
    if viewer:
        body["viewer"] = viewer
    return ok(api.post("/v1/decide", body, key="decide"))


def test_list_lifecycle(spam: Api) -> None:
    """Create, add, subscribe, decide, remove, suspend, delete: each over HTTP."""
    assert decide(spam, "sam", "alex")["outcome"] == "drop"
    why = decide(spam, "sam", "alex", viewer="alex")["explanation"]["reason"]
    assert why == "from the list Spam callers you subscribed to"
    assert decide(spam, "sam", "alex", viewer="sam").get("explanation") is None
    ok(spam.post("/v1/lists/spam/members", {"members": ["kim", "+1 415 555 0123"]}))
    assert decide(spam, "kim", "alex")["outcome"] == "drop"
    page = ok(spam.get("/v1/lists/spam/members", params={"limit": 2}))
    assert page["members"] == ["kim", "sam"] and page["next"] == "sam"
    rest = ok(spam.get("/v1/lists/spam/members", params={"after": "sam"}))
    assert rest["members"] == ["tel:+14155550123"] and rest["next"] is None
    ok(spam.delete("/v1/lists/spam/members/kim"))
    assert decide(spam, "kim", "alex")["outcome"] == "deliver"
    ok(spam.call("PUT", "/v1/curators/cara/suspension"))
    assert ok(spam.get("/v1/lists/spam"))["applies"] is False
    assert decide(spam, "sam", "alex")["outcome"] == "deliver"
    ok(spam.delete("/v1/curators/cara/suspension"))
    assert decide(spam, "sam", "alex")["outcome"] == "drop"
    curated = ok(spam.get("/v1/persons/cara/lists"))["lists"]
    assert [(x["id"], x["members"], x["applies"]) for x in curated] == [("spam", 2, True)]
    ok(spam.delete("/v1/lists/spam"))
    subs = ok(spam.get("/v1/persons/alex/subscriptions"))["subscriptions"]
    assert [(s["list"], s["applies"]) for s in subs] == [("spam", False)]
    ok(spam.delete("/v1/lists/spam/subscriptions/alex"))
    assert ok(spam.get("/v1/persons/alex/subscriptions"))["subscriptions"] == []


BAD: list[tuple[str, str, str, dict[str, Any], int, str]] = [
    ("unknown list", "GET", "/v1/lists/nope", {}, 404, "unknown_list"),
    ("unknown list members", "POST", "/v1/lists/nope/members", {"json": {"members": ["kim"]}},
     404, "unknown_list"),
    ("empty members", "POST", "/v1/lists/spam/members", {"json": {"members": []}},
     400, "invalid_input"),
    ("unknown member", "POST", "/v1/lists/spam/members", {"json": {"members": ["nobody"]}},
     404, "unknown_person"),
    ("bad address", "POST", "/v1/lists/spam/members", {"json": {"members": ["tel:12"]}},
     400, "invalid_address"),
    ("list twice", "POST", "/v1/lists", {"json": {"curator": "cara", "name": "x", "id": "spam"}},
     409, "list_exists"),
    ("empty name", "POST", "/v1/lists", {"json": {"curator": "cara", "name": ""}},
     400, "invalid_input"),
    ("restrict subscription", "POST", "/v1/lists/spam/subscriptions",
     {"json": {"owner": "kim", "kind": "restrict"}}, 400, "invalid_input"),
    ("not subscribed", "DELETE", "/v1/lists/spam/subscriptions/kim", {}, 404, "unknown_list"),
    ("unknown curator", "PUT", "/v1/curators/nobody/suspension", {}, 404, "unknown_person"),
    ("bad format", "POST", "/v1/import", {"json": {"content": "x", "format": "xls"}},
     400, "invalid_input"),
    ("no owner", "POST", "/v1/import", {"json": {"content": "a@b.org\n"}}, 400, "invalid_input"),
    ("bad export", "GET", "/v1/export", {"params": {"format": "xls"}}, 400, "invalid_input"),
    ("mastodon export without owner", "GET", "/v1/export",
     {"params": {"format": "mastodon-blocks"}}, 400, "invalid_input"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "method", "path", "kwargs", "status", "code"), BAD, ids=[b[0] for b in BAD]
)
def test_bad_list_input_is_a_problem_and_touches_nothing(
    spam: Api, name: str, method: str, path: str, kwargs: dict[str, Any], status: int, code: str
) -> None:
    """Every bad list, import or export request is an RFC 9457 problem; nothing changes."""
    before = spam.engine.revision
    problem(spam.call(method, path, **kwargs), status, code)
    assert spam.engine.revision == before


def test_import_over_http_all_or_nothing(spam: Api) -> None:
    """A bad file is a 422 problem listing every bad row by line; a good one imports."""
    before = spam.engine.revision
    content = (FIXTURES / "mastodon_blocks_bad.csv").read_text(encoding="utf-8")
    body = problem(
        spam.post("/v1/import", {"content": content, "owner": "alex"}), 422, "import_rejected"
    )
    assert [r["line"] for r in body["rows"]] == [3, 5, 7]
    assert spam.engine.revision == before
    content = (FIXTURES / "mastodon_blocks.csv").read_text(encoding="utf-8-sig")
    done = ok(spam.post("/v1/import", {"content": content, "owner": "alex"}))
    assert done == {"format": "mastodon-blocks", "rows": 4, "revision": before + 1}
    blocks = ok(spam.get("/v1/export", params={"format": "mastodon-blocks", "owner": "alex"}))
    assert "troll@mastodon.social" in blocks["content"]


def test_export_everything_as_native_json(spam: Api) -> None:
    """The native export holds the list and the subscription."""
    text = ok(spam.get("/v1/export"))["content"]
    assert '"type": "list", "id": "spam"' in text
    assert '"type": "subscription", "owner": "alex", "list": "spam"' in text
