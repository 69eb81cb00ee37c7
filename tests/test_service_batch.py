"""``POST /v1/decide/batch`` built for speed answers exactly what the plain path would.

The handler converts checks to interactions in C, asks the engine once, and
joins the encoded bytes of each distinct decision; these tests hold it to the
straightforward version: one ``BatchDecision`` per check, encoded by msgspec.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from nocontact.core.model import Action, Interaction
from nocontact.service import schemas as s

from .service_helpers import Api, make_api


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from make_api(tmp_path, revision_wait=0.2)


def seeded(api: Api) -> None:
    for who, addresses in (
        ("alex", ["acct:chirp:alex"]),
        ("sam", ["(415) 555-0123"]),
        ("jo", []),
        ("kim", []),
    ):
        answer = api.post("/v1/persons", {"id": who, "addresses": addresses})
        assert answer.status_code == 201, answer.text
    for boundary in (
        {"owner": "alex", "target": "sam", "kind": "block", "keep_evidence": True},
        {"owner": "alex", "target": "jo", "kind": "space", "duration": 3600, "note": "a week"},
        {"owner": "kim", "target": "jo", "kind": "mute"},
    ):
        answer = api.post("/v1/boundaries", boundary)
        assert answer.status_code == 201, answer.text


PARTIES = ["alex", "sam", "jo", "kim", "acct:chirp:alex", "+14155550123", "nobody", "zed"]


def mixed_checks() -> list[dict[str, Any]]:
    checks: list[dict[str, Any]] = []
    for n, action in enumerate(Action):
        for i, actor in enumerate(PARTIES):
            target = PARTIES[(i + n + 1) % len(PARTIES)]
            checks.append({"actor": actor, "action": action.value, "target": target})
    checks += [{"actor": "sam", "action": "message", "target": "alex", "platform": "chirp"}] * 3
    return checks


def plain(api: Api, checks: list[dict[str, Any]]) -> bytes:
    """The batch answer the simple way: an interaction and a struct per check."""
    engine = api.engine
    body = msgspec.json.decode(json.dumps({"checks": checks}), type=s.BatchIn)
    decided = [
        engine.decide(
            Interaction(
                c.actor, c.action, c.target, c.platform, None if c.at is None else c.at.timestamp()
            )
        )
        for c in body.checks
    ]
    out = s.BatchOut([s.batch_decision(d) for d in decided], engine.revision)
    return msgspec.json.encode(out)


def test_batch_bytes_equal_the_plain_answer(api: Api) -> None:
    """Every action, persons, addresses and strangers, with boundaries and without."""
    seeded(api)
    checks = mixed_checks()
    answer = api.post("/v1/decide/batch", {"checks": checks}, key="decide")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.content == plain(api, checks)
    outcomes = {d["outcome"] for d in answer.json()["decisions"]}
    assert len(outcomes) > 2  # not only the quiet default


def test_batch_with_times_equals_the_plain_answer(api: Api) -> None:
    """A check naming a time takes the other conversion; the answer is the same."""
    seeded(api)
    later = "2999-01-01T00:00:00+00:00"
    checks = [{**c, "at": later} if i % 3 == 0 else c for i, c in enumerate(mixed_checks())]
    answer = api.post("/v1/decide/batch", {"checks": checks}, key="decide")
    assert answer.status_code == 200, answer.text
    assert answer.content == plain(api, checks)


def test_batch_shows_no_explanation(api: Api) -> None:
    """A batch has no viewer, so no decision in it carries an explanation or a revision."""
    seeded(api)
    checks = [{"actor": "sam", "action": "message", "target": "alex"}] * 3
    answer = api.post("/v1/decide/batch", {"checks": checks}, key="decide").json()
    assert answer["decisions"][0]["outcome"] == "drop"
    for d in answer["decisions"]:
        assert set(d) == {"outcome", "actor_sees", "notify", "evidence", "note", "until"}


def test_empty_batch(api: Api) -> None:
    answer = api.post("/v1/decide/batch", {"checks": []}, key="decide")
    assert answer.status_code == 200
    assert answer.json() == {"decisions": [], "revision": api.engine.revision}


def test_batch_counts_outcomes_in_metrics(api: Api) -> None:
    seeded(api)
    checks = mixed_checks()
    answer = api.post("/v1/decide/batch", {"checks": checks}, key="decide").json()
    assert api.app.service is not None
    registry = api.app.service.metrics.registry
    expected = Counter(d["outcome"] for d in answer["decisions"])
    for outcome, n in expected.items():
        assert registry.get_sample_value("nocontact_decisions_total", {"outcome": outcome}) == n


def test_batch_json_is_msgspec_byte_for_byte(api: Api) -> None:
    """Many distinct decision objects (counted the other way) and few give the same bytes."""
    seeded(api)
    engine = api.engine
    blocked = Interaction("sam", Action.MESSAGE, "alex")
    quiet = Interaction("jo", Action.CALL, "sam")
    many = [engine.decide(blocked) for _ in range(20)] + [engine.decide(quiet)] * 5
    few = [engine.decide(quiet)] * 7
    for decided in (many, few, few[:1], many[:1], []):
        encoded, outcomes = s.batch_json(decided, engine.revision)
        expected = s.BatchOut([s.batch_decision(d) for d in decided], engine.revision)
        assert encoded == msgspec.json.encode(expected)
        assert outcomes == Counter(d.outcome.value for d in decided)
