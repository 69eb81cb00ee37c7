"""Plain boundaries as packed edges: the same answers as the overlay, across folds and reopens."""

from __future__ import annotations

import numpy as np
import pytest

from nocontact.core.edges import NONE, Edges, first_per_pair, plain_id
from nocontact.core.errors import (
    InvalidBoundary,
    InvalidInput,
    InvalidPersonId,
    PersonExists,
    SelfBoundary,
)
from nocontact.core.model import Action, Kind, Outcome
from nocontact.engine import Engine

from .conftest import EngineFactory

OUTCOMES = list(Outcome)
KINDS = list(Kind)
PEOPLE = ("alex", "sam", "kim")
ACTIONS = (Action.MESSAGE, Action.VIEW_POST, Action.CALL)


def test_edges_answer_both_ways_and_prove_quiet_pairs() -> None:
    """Each edge is found from its owner and from its target; absent pairs are proved absent."""
    rng = np.random.default_rng(7)
    owners, targets = rng.integers(0, 300, 3000), rng.integers(0, 300, 3000)
    keep = first_per_pair(owners, targets) & (owners != targets)
    owners, targets = owners[keep], targets[keep]
    codes = rng.integers(0, 24, owners.size).astype(np.uint8)
    edges = Edges.build(300, owners, targets, codes)
    truth = {(int(o), int(t)): int(c) for o, t, c in zip(owners, targets, codes, strict=True)}
    a, b = rng.integers(0, 320, 5000), rng.integers(0, 320, 5000)
    vectorised = edges.codes(a, b).tolist()
    maybe = edges.maybe_many(a, b).tolist()
    for x, y, got, might in zip(a.tolist(), b.tolist(), vectorised, maybe, strict=True):
        want = truth.get((x, y), NONE)
        assert edges.code(x, y) == want
        assert got == (want if want != NONE else 24)
        if (x, y) in truth or (y, x) in truth:
            assert might and edges.maybe(x, y), "the signatures must never hide an edge"
    row, row_codes = edges.row(5)
    assert [truth[(5, int(t))] for t in row] == row_codes.tolist()
    column, _ = edges.column(5)
    assert sorted(o for (o, t) in truth if t == 5) == column.tolist()


@pytest.fixture
def folded(make_engine: EngineFactory) -> Engine:
    """alex blocks sam and mutes kim; both folded into edges."""
    engine = make_engine()
    for p in ("alex", "sam", "kim", "jo"):
        engine.add_person(p, addresses=[f"acct:chirp:{p}"])
    engine.set_boundary("alex", "sam", "block")
    engine.set_boundary("alex", "kim", "mute")
    engine.checkpoint()
    assert engine.index_nbytes()["forward rows"] > 0
    return engine


def _block_id(engine: Engine) -> str:
    """The plain id of alex's block on sam: keyed with this database's secret."""
    return plain_id("alex", "sam", 0, engine._store.secret("boundary_ids"))


def test_a_folded_block_still_decides_and_explains(folded: Engine) -> None:
    """After the fold the block drops sam's message and explains itself to alex by its id."""
    d = folded.check("acct:chirp:sam", "message", "alex", viewer="alex")
    assert (d.outcome, d.actor_sees) == (Outcome.DROP, "delivered")
    assert d.explanation is not None
    assert d.explanation.boundary_id == _block_id(folded)
    assert d.seen_by("sam").explanation is None


def test_setting_a_folded_boundary_again_changes_nothing(folded: Engine) -> None:
    """The plain id finds the edge: same boundary, same revision."""
    before = folded.revision
    again = folded.set_boundary("alex", "sam", "block")
    assert again.id == _block_id(folded) and folded.revision == before
    assert [b.kind for b in folded.boundaries("alex")] == [Kind.BLOCK, Kind.MUTE]


def test_lifting_a_folded_block_lets_messages_through(folded: Engine) -> None:
    """A lift of an edge is a tombstone until the next fold, and survives a reopen."""
    block = folded.boundary(_block_id(folded))
    folded.lift(block.id)
    assert folded.check("sam", "message", "alex").outcome is Outcome.DELIVER
    sam, alex = folded.person_number("sam"), folded.person_number("alex")
    assert OUTCOMES[folded.decide_ids([sam], "message", [alex])[0]] is Outcome.DELIVER
    folded.checkpoint()
    assert folded.check("sam", "message", "alex").outcome is Outcome.DELIVER


@pytest.mark.parametrize("crash", [False, True], ids=["checkpoint", "rows"])
def test_reopening_keeps_every_answer(make_engine: EngineFactory, crash: bool) -> None:
    """From the checkpoint or, after a crash, from the rows: the same decisions."""
    engine = make_engine("reopen.db")
    for p in PEOPLE:
        engine.add_person(p)
    engine.set_boundary("alex", "sam", "block", disclosure="unavailable")
    engine.set_boundary("alex", "sam", "mute")  # a second plain boundary on the same pair
    engine.set_boundary("kim", "alex", "pledge")
    engine.checkpoint()
    engine.set_boundary("sam", "kim", "restrict")  # after the checkpoint: in the rows only
    asked = [(a, act, t) for a in PEOPLE for t in PEOPLE if a != t for act in ACTIONS]
    before = [engine.check(*x) for x in asked]
    engine.close(checkpoint=not crash)
    again = make_engine("reopen.db")
    after = [again.check(*x) for x in asked]
    assert [(d.outcome, d.actor_sees, d.notify) for d in after] == [
        (d.outcome, d.actor_sees, d.notify) for d in before
    ]
    assert len(again.boundaries("alex")) == 2


def test_an_address_known_only_to_the_checkpoint_stays_an_address(
    make_engine: EngineFactory,
) -> None:
    """An address no boundary names any more is still read as an address after a reopen."""
    engine = make_engine("address.db")
    engine.add_person("ana")
    engine.add_person("cy", addresses=["+1 415 555 0101"])
    stranger = "acct:mastodon:kim@social.example"
    engine.lift(engine.set_boundary("ana", stranger, "block").id)
    engine.close()
    again = make_engine("address.db")
    again.set_boundary("cy", "pattern:domain:social.example", "restrict")
    assert again.check(stranger, "message", "cy").outcome is Outcome.REQUEST


def test_vectorised_reads_agree_with_decide(folded: Engine) -> None:
    """decide_ids, visible_ids and audience_ids give decide's answers, overlay included."""
    folded.set_boundary("jo", "alex", "break", ends=folded.now() + 3600)  # in the overlay
    people = ["alex", "sam", "kim", "jo"]
    numbers = folded.person_numbers(people)
    for action in Action:
        pairs = [(a, b) for a in people for b in people if a != b]
        got = folded.decide_ids(
            [numbers[people.index(a)] for a, _ in pairs], action,
            [numbers[people.index(b)] for _, b in pairs],
        )  # fmt: skip
        assert [OUTCOMES[c] for c in got] == [folded.check(a, action, b).outcome for a, b in pairs]
    for one in people:
        shown = folded.visible_ids(folded.person_number(one), numbers).tolist()
        reach = folded.audience_ids(folded.person_number(one), numbers).tolist()
        for other, s, r in zip(people, shown, reach, strict=True):
            if other != one:
                assert s == (folded.check(one, "view_post", other).outcome is Outcome.SHOW)
                assert r == (folded.check(other, "view_post", one).outcome is Outcome.SHOW)


def test_bulk_import_refuses_bad_input_and_keeps_nothing(make_engine: EngineFactory) -> None:
    """Each malformed import is refused with a domain error, before anything is written."""
    engine = make_engine()
    people = ["p0", "p1", "p2"]
    cases = [
        (InvalidInput, [0, 1], [1], [0]),  # lengths differ
        (InvalidInput, [0], [3], [0]),  # not a person
        (SelfBoundary, [1], [1], [0]),
        (InvalidBoundary, [0], [1], [KINDS.index(Kind.SPACE)]),  # a space needs an end
        (InvalidInput, [0, 0], [1, 1], [0, 1]),  # two on one pair
    ]
    for error, owners, targets, kinds in cases:
        with pytest.raises(error):
            engine.bulk_import(people, owners, targets, kinds)
        assert engine.revision == 0
    for bad in ("+14155550123", "a b", "", 7, None):  # an address, a space, not text
        with pytest.raises(InvalidPersonId, match="is not a person id"):
            engine.bulk_import([*people, bad], [0], [1], [0])  # type: ignore[list-item]
        assert engine.revision == 0
    engine.bulk_import(people, [0, 2], [1, 0], [0, 1])
    with pytest.raises(PersonExists):
        engine.bulk_import(["p1"], [], [], [])
    assert engine.check("p1", "message", "p0").outcome is Outcome.DROP
    assert engine.check("p2", "view_post", "p0").outcome is Outcome.HIDE  # p2 muted p0


def test_people_numbered_after_the_fold_are_read_as_having_no_edges(folded: Engine) -> None:
    """A person added after the edges were built can be asked about in every batch read."""
    folded.add_person("zoe")
    alex, sam, zoe = folded.person_numbers(["alex", "sam", "zoe"])
    assert folded.visible_ids(sam, [alex, zoe]) == [False, True]
    assert folded.visible_ids(zoe, [alex, sam]) == [True, True]
    assert folded.audience_ids(alex, [sam, zoe]) == [False, True]
    outcomes = folded.decide_ids([zoe, sam], "message", [alex, alex])
    assert [OUTCOMES[o] for o in outcomes] == [Outcome.DELIVER, Outcome.DROP]
    assert folded.decide_number(zoe, "message", alex).outcome is Outcome.DELIVER
