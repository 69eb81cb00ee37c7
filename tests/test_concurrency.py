"""Many clients setting and lifting the same boundaries at once, on two workers.

Eight clients each set, set again (with another note, or none) and lift blocks
and mutes among three people, on connections of their own, so both workers
write to the same pairs at the same moments. Whatever the interleaving, the
outcome must be that of some serial order of the acknowledged writes:

- no request fails with a 5xx; the only problem allowed is the documented
  ``404 unknown_boundary`` for lifting a boundary already lifted;
- the event log is a serial history: replayed into a plain model it never sets
  a boundary twice, nor updates or lifts one that is not set;
- every acknowledged write names the event that made it, at its revision;
- the boundaries served, and those a fresh engine loads, are the model's;
- both workers answer every decision alike, and as the fresh engine does.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest.mock import patch

import httpx
import pytest

from nocontact.engine import Engine
from nocontact.engine.commands import OPTIMISTIC_ATTEMPTS

from .pg import fresh_schema
from .served import Served, serving

PEOPLE = ("ana", "ben", "cy")
KINDS = ("block", "mute")
NOTES = (None, "one", "two")
CLIENTS = 8
STEPS = 30

#: An aim: (owner, target, kind, scope); an owner holds at most one boundary per aim.
Aim = tuple[str, str, str, str]


@dataclass(frozen=True)
class Ack:
    """One answered request: what was asked and what came back."""

    client: int
    method: str
    aim: Aim
    note: str | None
    status: int
    body: dict[str, Any]


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    with serving(request.param, tmp_path, PEOPLE) as served:
        yield served


def test_contended_sets_and_lifts_end_in_a_serial_state(served: Served) -> None:
    """Eight clients, thirty writes each, on twelve aims: the state is some serial
    order's (see the module docstring)."""
    acks = _contend(served)
    unexpected = [a for a in acks if not _allowed(a)]
    assert not unexpected, unexpected[:5]

    events = _all_events(served)
    final = events[-1]["revision"]
    model = _replay(events)
    _assert_acks_are_in_the_log(acks, events)

    with Engine.open(served.db) as fresh:
        for owner in PEOPLE:
            page = served.call("GET", "/v1/boundaries", owner=owner, min_revision=final).json()
            assert page["next"] is None
            assert _active(page["items"]) == _active(model.values(), owner), owner
            loaded = [_as_row(b) for b in fresh.boundaries(owner)]
            assert _active(loaded) == _active(model.values(), owner), owner
        _assert_workers_decide_alike(served, fresh, final)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_writer_always_beaten_to_the_commit_still_writes(backend: str, tmp_path: Path) -> None:
    """Another process commits just before each of this engine's commits, as a busier
    worker does: after its optimistic tries the engine holds the store's write lock,
    and its write goes through (it used to fail with ``store_changed`` after five)."""
    with ExitStack() as stack:
        db = (
            stack.enter_context(fresh_schema()) if backend == "postgresql" else str(tmp_path / "db")
        )
        one = stack.enter_context(Engine.open(db))
        two = stack.enter_context(Engine.open(db))
        for person in PEOPLE:
            one.add_person(person)
        store = one.store
        commit, exclusive = store.commit, store.exclusive
        beaten = itertools.count()
        holding = False  # nobody can beat a holder of the store's write lock

        def beaten_first(*args: Any) -> int:
            if not holding:
                two.add_person(f"busy{next(beaten)}")
            return commit(*args)

        @contextmanager
        def held() -> Iterator[None]:
            nonlocal holding
            with exclusive():
                holding = True
                try:
                    yield
                finally:
                    holding = False

        stack.enter_context(patch.object(store, "commit", beaten_first))
        stack.enter_context(patch.object(store, "exclusive", held))
        made, created = one.put_boundary("ana", "ben", "block", note="kept")
        others = next(beaten)
        assert created and others == OPTIMISTIC_ATTEMPTS
        with Engine.open(db) as fresh:
            assert fresh.boundary(made.id).note == "kept"
            assert fresh.revision == one.revision == made.revision
            for n in range(others):  # the index holds what the others wrote too
                assert one.person(f"busy{n}").id == fresh.person(f"busy{n}").id
            assert one.check("ben", "message", "ana").outcome.value != "deliver"


def _contend(served: Served) -> list[Ack]:
    acks: list[Ack] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        pick = random.Random(number)
        known: dict[Aim, str] = {}  # the id this client last saw for each aim
        for _ in range(STEPS):
            owner, target = pick.sample(PEOPLE, 2)
            aim = (owner, target, pick.choice(KINDS), "everywhere")
            if aim in known and pick.random() < 0.4:
                answer = served.call("DELETE", f"/v1/boundaries/{known[aim]}")
                ack = Ack(number, "DELETE", aim, None, answer.status_code, answer.json())
            else:
                note = pick.choice(NOTES)
                body = {"owner": owner, "target": target, "kind": aim[2], "note": note}
                answer = served.call("POST", "/v1/boundaries", body)
                ack = Ack(number, "POST", aim, note, answer.status_code, answer.json())
                if answer.status_code in (200, 201):
                    known[aim] = answer.json()["id"]
            with lock:
                acks.append(ack)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(acks) == CLIENTS * STEPS, "a client stopped on an exception"
    return acks


def _allowed(ack: Ack) -> bool:
    if ack.method == "POST":
        return ack.status in (200, 201)
    return ack.status == 200 or (ack.status == 404 and ack.body["code"] == "unknown_boundary")


def _all_events(served: Served) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        page = served.call("GET", "/v1/events", after=after, limit=1000).json()
        events += page["events"]
        if not page["events"]:
            return events
        after = page["next_after"]


def _replay(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The boundaries in force after the log, by id; fails where the log is not a
    serial history (a second boundary for one aim, a change to one not set)."""
    model: dict[str, dict[str, Any]] = {}
    for e in events:
        kind, data = e["type"], e["data"]
        if kind == "boundary_set":
            b = data["boundary"]
            assert b["id"] not in model, f"set twice: {e}"
            assert _aim(b) not in {_aim(m) for m in model.values()}, f"a second one: {e}"
            model[b["id"]] = b
        elif kind == "boundary_updated":
            b = data["boundary"]
            assert b["id"] in model, f"updated while not set: {e}"
            assert _aim(model[b["id"]]) == _aim(b), f"updated to another aim: {e}"
            model[b["id"]] = b
        elif kind in ("boundary_lifted", "boundary_expired"):
            assert model.pop(data["id"], None) is not None, f"lifted while not set: {e}"
        else:
            assert kind == "person_added", f"an event no client asked for: {e}"
    return model


def _assert_acks_are_in_the_log(acks: list[Ack], events: list[dict[str, Any]]) -> None:
    """Each acknowledged write names the event that made it; each event of a boundary
    was acknowledged; writes that always add an event follow each client's order."""
    by_revision = {e["revision"]: e for e in events}
    claimed: set[int] = set()
    made: set[int] = set()  # revisions of the writes that always add an event
    last_new: dict[int, int] = {}
    for ack in acks:
        if ack.status == 404:
            continue
        revision = ack.body["revision"]
        event = by_revision[revision]
        if ack.method == "DELETE":
            assert event["type"] == "boundary_lifted" and event["data"]["id"] == ack.body["id"]
        else:
            assert event["type"] in ("boundary_set", "boundary_updated"), (ack, event)
            stored = event["data"]["boundary"]
            assert stored["id"] == ack.body["id"] and _aim(stored) == ack.aim, (ack, event)
            assert stored["note"] == ack.body["note"] == ack.note, (ack, event)
            # 200 is set again: updated (a new event), or unchanged (the one that made it)
            assert ack.status == 200 or event["type"] == "boundary_set", (ack, event)
        if ack.status == 201 or ack.method == "DELETE":  # always a new event
            assert revision not in made, f"two writes acknowledged one event: {ack}"
            made.add(revision)
            assert revision > last_new.get(ack.client, 0), f"out of the client's order: {ack}"
            last_new[ack.client] = revision
        claimed.add(revision)
    for e in events:
        if e["type"] != "person_added":
            assert e["revision"] in claimed, f"an event nobody was told of: {e}"


def _assert_workers_decide_alike(served: Served, fresh: Engine, final: int) -> None:
    """Each pair, asked six times on new connections (so of both workers), at the
    final revision: one answer, the fresh engine's."""
    for owner in PEOPLE:
        for actor in PEOPLE:
            if actor == owner:
                continue
            asked = {"actor": actor, "action": "message", "target": owner}
            answers = {
                served.call("POST", "/v1/decide", asked, min_revision=final).content
                for _ in range(6)
            }
            assert len(answers) == 1, answers
            expected = fresh.check(actor, "message", owner).outcome.value
            assert httpx.Response(200, content=answers.pop()).json()["outcome"] == expected


def _aim(b: dict[str, Any]) -> Aim:
    return (b["owner"], b["target"], b["kind"], b["scope"])


def _as_row(b: Any) -> dict[str, Any]:
    return {
        "id": b.id,
        "owner": b.owner,
        "target": b.target,
        "kind": b.kind.value,
        "scope": b.scope,
        "note": b.note,
    }


def _active(boundaries: Any, owner: str | None = None) -> dict[str, tuple[Aim, str | None]]:
    return {
        b["id"]: (_aim(b), b["note"]) for b in boundaries if owner is None or b["owner"] == owner
    }
