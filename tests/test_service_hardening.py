"""The service under attack and abuse: what one request or one connection may not do."""

from __future__ import annotations

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
