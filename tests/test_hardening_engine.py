"""Engine and store findings of the hardening review, each reduced to a regression test.

Items 3, 4, 6, 7, 10, 12 and 13 of the review: the library's default view,
platform scopes without a platform, other processes writing to the same store,
reads that wrote, revisions, one boundary per aim, and keyed boundary ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from nocontact.cli import main
from nocontact.core.edges import plain_id
from nocontact.core.errors import AddressTaken, InvalidInput, PersonExists, StoreChanged
from nocontact.core.model import Action, ActorSees, Interaction, Outcome
from nocontact.engine import Engine
from nocontact.service.settings import load

from .conftest import EngineFactory, FakeClock
from .service_helpers import Api, make_api

HOUR = 3600.0


@pytest.fixture
def pair(make_engine: EngineFactory) -> tuple[Engine, Engine]:
    """Two engines on one database file, as two processes would hold it."""
    return make_engine("shared.db"), make_engine("shared.db")


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from make_api(tmp_path, revision_wait=0.2)


# -- item 3: the library is safe by default ---------------------------------------------


def test_item3_check_returns_the_actors_view_by_default(engine: Engine) -> None:
    """Without a viewer, a decision explains nothing the actor may not see; the owner's
    explanation comes only when asked for, naming people by display name."""
    engine.add_person("alex", name="Alex")
    engine.add_person("sam", name="Sam")
    engine.set_boundary("alex", "sam", "block")
    assert engine.check("sam", "message", "alex").explanation is None
    assert engine.decide_many([_ask("sam", "alex")])[0].explanation is None
    owners = engine.check("sam", "message", "alex", viewer="alex").explanation
    assert owners is not None and owners.reason == "you blocked Sam"
    mine = engine.check("alex", "message", "sam").explanation  # the actor's own block
    assert mine is not None and mine.reason == "you blocked Sam"


def test_item3_explanations_fall_back_to_the_id_without_a_name(engine: Engine) -> None:
    """A person with no display name is named by id."""
    engine.add_person("alex", name="Alex")
    engine.add_person("p_02c11d7b8a2b")
    engine.set_boundary("alex", "p_02c11d7b8a2b", "mute")
    why = engine.check("alex", "view_post", "p_02c11d7b8a2b").explanation
    assert why is not None and why.reason == "you muted p_02c11d7b8a2b"


def _ask(actor: str, target: str) -> Interaction:
    return Interaction(actor, Action.MESSAGE, target)


# -- item 4: platform scopes fail closed ---------------------------------------------


def test_item4_platform_scoped_block_fails_closed_without_platform(engine: Engine) -> None:
    """A block on one platform holds for a decision that names no platform; a decision
    that names another platform is not covered by it."""
    engine.add_person("kim")
    engine.add_person("sam")
    engine.set_boundary("sam", "kim", "block", scope="platform:chirp")
    assert engine.check("kim", "message", "sam").outcome is Outcome.DROP
    assert engine.check("kim", "message", "sam", platform="chirp").outcome is Outcome.DROP
    assert engine.check("kim", "message", "sam", platform="phone").outcome is Outcome.DELIVER


# -- item 6: other processes writing to the same store --------------------------------


def test_item6_an_engine_catches_up_with_another_process(pair: tuple[Engine, Engine]) -> None:
    """A block written by one engine is answered by another on the same file once it
    refreshes (one cheap check when nothing changed)."""
    one, two = pair
    one.add_person("alex")
    one.add_person("sam")
    assert two.written_elsewhere() and two.refresh()
    assert not two.written_elsewhere() and not two.refresh()
    block = one.set_boundary("alex", "sam", "block")
    two.refresh()
    d = two.check("sam", "message", "alex")
    assert d.outcome is Outcome.DROP and d.revision == block.revision == two.revision


def test_item6_concurrent_writers_lose_no_acknowledged_write(pair: tuple[Engine, Engine]) -> None:
    """A stale engine's write is validated against the current store: no person is
    created twice and no address is linked to two persons."""
    one, two = pair
    one.add_person("alex", addresses=["+1 415 555 0100"])
    with pytest.raises(PersonExists):
        two.add_person("alex")
    one.add_person("lee")
    with pytest.raises(AddressTaken):
        two.add_person("dup", addresses=["+1 415 555 0100"])
    assert two.person("lee").id == "lee"
    assert one.person("alex").addresses == ("tel:+14155550100",)


def test_item6_server_answers_writes_made_by_the_cli(api: Api, tmp_path: Path) -> None:
    """While a server runs, a block the command line writes to its database is in the
    server's next answer, without ``min_revision``."""
    db = str(tmp_path / "service.db")
    for person in ("alex", "sam"):
        assert CliRunner().invoke(main, ["--db", db, "person", "add", person]).exit_code == 0
    ask = {"actor": "sam", "action": "message", "target": "alex"}
    assert api.post("/v1/decide", ask, key="decide").json()["outcome"] == "deliver"
    added = CliRunner().invoke(
        main, ["--db", db, "boundary", "add", "alex", "sam", "--kind", "block"]
    )
    assert added.exit_code == 0, added.output
    answer = api.post("/v1/decide", ask, key="decide").json()
    assert answer["outcome"] == "drop" and answer["revision"] == api.engine.revision
    # A write through the server after the CLI's keeps both.
    made = api.post("/v1/boundaries", {"owner": "sam", "target": "alex", "kind": "mute"})
    assert made.status_code == 201
    assert [b.kind.value for b in api.engine.boundaries("alex")] == ["block"]
    assert [b.kind.value for b in api.engine.boundaries("sam")] == ["mute"]


def test_item6_serve_takes_several_workers_and_a_database_url() -> None:
    """``--workers`` above 1 is accepted (each worker follows the event log); fewer than 1
    is refused; NOCONTACT_DATABASE_URL names the database when NOCONTACT_DB does not."""
    assert load({"workers": 2}, environ={}).workers == 2
    with pytest.raises(InvalidInput, match="workers must be at least 1"):
        load({"workers": 0}, environ={})
    url = "postgresql://127.0.0.1/x"
    assert load({}, environ={"NOCONTACT_DATABASE_URL": url}).db == url
    environ = {"NOCONTACT_DATABASE_URL": url, "NOCONTACT_DB": "a.db"}
    assert load({}, environ=environ).db == "a.db"


# -- item 7: a read never writes; ends are written once -------------------------------


def test_item7_events_never_write(engine: Engine, clock: FakeClock) -> None:
    """Reading the event log after an end has come writes nothing."""
    engine.add_person("alex")
    engine.add_person("sam")
    engine.set_boundary("alex", "sam", "mute", duration=HOUR)
    clock.advance(2 * HOUR)
    before = engine.revision
    assert [e.type for e in engine.events()][-1] == "boundary_set"
    assert engine.revision == before
    engine.expire_due()
    assert [e.type for e in engine.events()][-1] == "boundary_expired"


def test_item7_two_engines_write_an_end_exactly_once(
    pair: tuple[Engine, Engine], clock: FakeClock
) -> None:
    """Two engines on one file, both past a mute's end, record its end once between them."""
    one, two = pair
    one.add_person("alex")
    one.add_person("sam")
    mute = one.set_boundary("alex", "sam", "mute", duration=HOUR)
    two.refresh()
    clock.advance(2 * HOUR)
    one.expire_due()
    two.expire_due()
    two.add_person("kim")
    one.add_person("lee")
    ended = [e for e in one.events() if e.type == "boundary_expired"]
    assert [e.data["id"] for e in ended] == [mute.id]


def test_item7_stale_engine_does_not_end_an_updated_boundary(
    pair: tuple[Engine, Engine], clock: FakeClock
) -> None:
    """The store writes an end only for the row as the engine knew it: a mute another
    engine has since extended is not ended by a stale copy's old end."""
    one, two = pair
    one.add_person("alex")
    one.add_person("sam")
    one.set_boundary("alex", "sam", "mute", duration=HOUR)
    two.refresh()
    one.set_boundary("alex", "sam", "mute", duration=5 * HOUR)  # extended
    clock.advance(2 * HOUR)
    # The stale engine tries its old end directly against the store: refused.
    with pytest.raises(StoreChanged):
        two._expire_due(clock.now)
    two.expire_due()  # catches up first, then nothing is due
    assert not [e for e in one.events() if e.type == "boundary_expired"]
    assert one.check("sam", "message", "alex").outcome is Outcome.DELIVER_QUIETLY


# -- item 10: every answer carries the real revision ---------------------------------


def test_item10_reset_after_restart_carries_the_real_revision(
    make_engine: EngineFactory,
) -> None:
    """Two plain boundaries on one pair, checkpointed and reopened: setting one again,
    and reading either by id, answers with the revision that set it, never 0."""
    engine = make_engine("restart.db")
    engine.add_person("alex")
    engine.add_person("sam")
    block = engine.set_boundary("alex", "sam", "block")
    mute = engine.set_boundary("alex", "sam", "mute")
    engine.close()
    again = make_engine("restart.db")
    for b in (block, mute):
        assert again.boundary(b.id).revision == b.revision > 0
        repeat = again.set_boundary("alex", "sam", b.kind)
        assert (repeat.id, repeat.revision) == (b.id, b.revision)


def test_item10_http_boundary_read_carries_the_real_revision(api: Api) -> None:
    """``GET /v1/boundaries/{id}`` answers the revision that set the boundary."""
    for person in ("alex", "sam"):
        api.post("/v1/persons", {"id": person})
    api.post("/v1/boundaries", {"owner": "alex", "target": "sam", "kind": "block"})
    made = api.post("/v1/boundaries", {"owner": "alex", "target": "sam", "kind": "mute"}).json()
    api.engine.checkpoint()
    api.engine.close()
    api.app.service.engine = Engine.open(api.app.service.path)  # type: ignore[union-attr]
    got = api.get(f"/v1/boundaries/{made['id']}").json()
    assert got["revision"] == made["revision"] > 0


# -- item 12: one boundary per owner, aim, kind and scope ---------------------------------


def test_item12_setting_a_kind_again_updates_the_one_boundary(engine: Engine) -> None:
    """A block on sam, a block with a note on sam, and a block on sam's address with
    scope everywhere are one boundary; lifting it lifts the block."""
    engine.add_person("alex")
    engine.add_person("sam", addresses=["+1 415 555 0123"])
    first = engine.set_boundary("alex", "sam", "block")
    noted = engine.set_boundary("alex", "sam", "block", note="after the party")
    by_number = engine.set_boundary("alex", "+1 415 555 0123", "block", note="after the party")
    assert first.id == noted.id == by_number.id
    [only] = engine.boundaries("alex")
    assert only.note == "after the party" and only.revision == by_number.revision
    engine.lift(only.id)
    assert engine.boundaries("alex") == []
    assert engine.check("sam", "message", "alex").outcome is Outcome.DELIVER


def test_item12_a_pledge_set_again_never_ends_sooner(engine: Engine, clock: FakeClock) -> None:
    """Setting a pledge again cannot shorten it: ending early goes through the cool-down."""
    engine.add_person("alex")
    engine.add_person("sam")
    pledge = engine.set_boundary("alex", "sam", "pledge")
    again = engine.set_boundary("alex", "sam", "pledge", duration=60.0)
    assert again.id == pledge.id and again.ends is None


def test_item12_http_answers_200_when_set_again(api: Api) -> None:
    """The API answers 201 when it creates a boundary and 200 when it updates one."""
    for person in ("alex", "sam"):
        api.post("/v1/persons", {"id": person})
    ask = {"owner": "alex", "target": "sam", "kind": "block"}
    made = api.post("/v1/boundaries", ask)
    assert made.status_code == 201
    updated = api.post("/v1/boundaries", {**ask, "disclosure": "unavailable"})
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert body["id"] == made.json()["id"] and body["disclosure"] == "unavailable"
    assert body["revision"] > made.json()["revision"]
    same = api.post("/v1/boundaries", {**ask, "disclosure": "unavailable"})
    assert same.status_code == 200 and same.json()["revision"] == body["revision"]
    d = api.post("/v1/decide", {"actor": "sam", "action": "message", "target": "alex"}).json()
    assert d["actor_sees"] == ActorSees.UNAVAILABLE.value


# -- item 13: boundary ids keyed with a secret of the database -----------------------------


def test_item13_the_same_boundary_has_another_id_in_another_database(
    make_engine: EngineFactory,
) -> None:
    """``alex blocks sam`` has a different id in every database (not the unkeyed
    hash), also through the bulk import, and setting it again finds it."""
    ids = []
    for name in ("a.db", "b.db"):
        engine = make_engine(name)
        engine.add_person("alex")
        engine.add_person("sam")
        ids.append(engine.set_boundary("alex", "sam", "block").id)
    assert ids[0] != ids[1] and plain_id("alex", "sam", 0) not in ids
    bulk = make_engine("bulk.db")
    bulk.bulk_import(["alex", "sam"], [0], [1], [0])
    [imported] = bulk.boundaries("alex")
    assert imported.id not in (*ids, plain_id("alex", "sam", 0))
    revision = bulk.revision
    assert bulk.set_boundary("alex", "sam", "block").id == imported.id
    assert bulk.revision == revision
    assert bulk.check("sam", "message", "alex").outcome is Outcome.DROP
