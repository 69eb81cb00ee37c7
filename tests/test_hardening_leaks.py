"""Leaks found by the hardening review: what each side is shown, as properties.

Item 1: the explanation a viewer is shown is a function of the viewer's own
boundaries only, on every face (``decide``, ``decide_many``, ``visible``, HTTP).
Item 2: a silent block cannot be told apart from the owner's ordinary privacy
settings; ``unavailable`` appears only where the owner chose it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nocontact.core.model import (
    Action,
    ActorSees,
    Disclosure,
    Explanation,
    Interaction,
    Item,
    Kind,
    Outcome,
)
from nocontact.core.semantics import PRIVACY
from nocontact.engine import Engine

from .conftest import T0, EngineFactory
from .service_helpers import Api, make_api

#: What a person may hold toward the other: nothing, each kind, and a disclosed block.
HOLDS: tuple[tuple[Kind, Disclosure] | None, ...] = (
    None,
    *((k, Disclosure.SILENT) for k in Kind),
    (Kind.BLOCK, Disclosure.UNAVAILABLE),
)
WEEK = 7 * 86400.0


def _label(hold: tuple[Kind, Disclosure] | None) -> str:
    return "none" if hold is None else f"{hold[0].value}-{hold[1].value}"


@dataclass(frozen=True)
class Pair:
    """Sam and Alex of one combination: what each holds toward the other."""

    sam: str
    alex: str


def _pair(sam_holds: int, alex_holds: int) -> Pair:
    return Pair(f"sam{sam_holds}x{alex_holds}", f"alex{sam_holds}x{alex_holds}")


def _populate(engine: Engine) -> None:
    """Every combination of holds, each on its own pair; every Sam is named Sam."""
    for i, mine in enumerate(HOLDS):
        for j, theirs in enumerate(HOLDS):
            pair = _pair(i, j)
            engine.add_person(pair.sam, name="Sam")
            engine.add_person(pair.alex, name="Alex")
            for owner, target, hold in ((pair.sam, pair.alex, mine), (pair.alex, pair.sam, theirs)):
                if hold is not None:
                    kind, disclosure = hold
                    engine.set_boundary(owner, target, kind, disclosure=disclosure, ends=T0 + WEEK)


@pytest.fixture
def world(make_engine: EngineFactory) -> Engine:
    engine = make_engine()
    _populate(engine)
    return engine


def _shown(explanation: Explanation | None) -> tuple[str, str, str] | None:
    """What the viewer reads: whose, which kind, the words (ids differ per pair)."""
    if explanation is None:
        return None
    return explanation.owner[:3], explanation.kind.value, explanation.reason


def _own_ids(engine: Engine, viewer: str) -> set[str]:
    return {b.id for b in engine.boundaries(viewer)}


# Draw: the viewer's own hold, the other side's hold, the action, who acts, who views.
case = st.tuples(
    st.integers(0, len(HOLDS) - 1),
    st.integers(0, len(HOLDS) - 1),
    st.sampled_from(list(Action)),
    st.booleans(),
    st.booleans(),
)


def _roles(pair: Pair, sam_acts: bool, sam_views: bool) -> tuple[str, str, str]:
    actor, target = (pair.sam, pair.alex) if sam_acts else (pair.alex, pair.sam)
    return actor, target, pair.sam if sam_views else pair.alex


def _index(own: int, other: int, sam_views: bool) -> tuple[int, int]:
    """The pair where the viewer holds ``own`` and the other side holds ``other``."""
    return (own, other) if sam_views else (other, own)


def test_item1_explanation_depends_only_on_the_viewers_own_boundaries(world: Engine) -> None:
    """``decide`` and ``decide_many`` show a viewer the same explanation whatever the
    other person holds toward them, and only ever one of the viewer's own boundaries."""

    @given(case)
    def prop(drawn: tuple[int, int, Action, bool, bool]) -> None:
        own, other, action, sam_acts, sam_views = drawn
        answers = []
        for theirs in (0, other):  # the other side holds nothing, then what was drawn
            pair = _pair(*_index(own, theirs, sam_views))
            actor, target, viewer = _roles(pair, sam_acts, sam_views)
            one = world.check(actor, action, target, viewer=viewer)
            [many] = world.decide_many([Interaction(actor, action, target)], viewer=viewer)
            assert _shown(one.explanation) == _shown(many.explanation)
            if one.explanation is not None:
                assert one.explanation.boundary_id in _own_ids(world, viewer)
            answers.append(_shown(one.explanation))
        assert answers[0] == answers[1], (_label(HOLDS[own]), _label(HOLDS[other]), action)

    prop()


def test_item1_visible_explains_only_the_viewers_own_boundary(world: Engine) -> None:
    """A hidden feed item explains itself to the viewer by their own boundary only,
    whatever the people it carries hold toward the viewer."""

    @given(st.integers(0, len(HOLDS) - 1), st.integers(0, len(HOLDS) - 1), st.booleans())
    def prop(own: int, other: int, sam_views: bool) -> None:
        answers = []
        for theirs in (0, other):
            pair = _pair(*_index(own, theirs, sam_views))
            viewer, author = (pair.sam, pair.alex) if sam_views else (pair.alex, pair.sam)
            items = [
                Item("post", author=author),
                Item("quote", author="nobody", quoted=author),
                Item("mention", author="nobody", mentions=(author,)),
            ]
            seen = world.visible(viewer, items)
            for v in seen:
                if v.explanation is not None:
                    assert v.explanation.boundary_id in _own_ids(world, viewer)
            answers.append([_shown(v.explanation) for v in seen])
        assert answers[0] == answers[1], (_label(HOLDS[own]), _label(HOLDS[other]))

    prop()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from make_api(tmp_path, revision_wait=0.2)


def test_item1_http_decide_explains_only_the_viewers_own_boundary(api: Api) -> None:
    """``POST /v1/decide`` with a viewer shows the same explanation whatever the other
    side holds; with no viewer it shows none."""
    _populate(api.engine)

    @given(case)
    def prop(drawn: tuple[int, int, Action, bool, bool]) -> None:
        own, other, action, sam_acts, sam_views = drawn
        answers: list[Any] = []
        for theirs in (0, other):
            pair = _pair(*_index(own, theirs, sam_views))
            actor, target, viewer = _roles(pair, sam_acts, sam_views)
            ask = {"actor": actor, "action": action.value, "target": target}
            body = api.post("/v1/decide", {**ask, "viewer": viewer}, key="decide").json()
            why = body["explanation"]
            answers.append(None if why is None else (why["owner"][:3], why["kind"], why["reason"]))
            assert api.post("/v1/decide", ask, key="decide").json()["explanation"] is None
        assert answers[0] == answers[1], (_label(HOLDS[own]), _label(HOLDS[other]), action)

    prop()


def test_item1_space_explanation_survives_the_other_sides_mute(engine: Engine) -> None:
    """Sam asked for space from Alex: Sam is told so whether or not Alex mutes Sam."""
    engine.add_person("sam", name="Sam")
    engine.add_person("alex", name="Alex")
    engine.set_boundary("sam", "alex", "space", duration=WEEK)
    before = engine.check("sam", "message", "alex", viewer="sam").explanation
    engine.set_boundary("alex", "sam", "mute")
    after = engine.check("sam", "message", "alex", viewer="sam").explanation
    assert before is not None and after is not None
    assert before.reason == after.reason == "you asked for space from Alex"


# -- item 2: silent means private ----------------------------------------------------

#: What the actor sees when the owner merely uses the ordinary privacy settings every
#: product offers, written here independently of the engine's table.
PRIVATE_OWNER_SHOWS: dict[Action, ActorSees] = {
    Action.MESSAGE: ActorSees.DELIVERED,  # read receipts off, not opened yet
    Action.SMS: ActorSees.DELIVERED,  # read receipts off, not opened yet
    Action.CALL: ActorSees.DELIVERED,  # calls silenced: it rings out
    Action.MENTION: ActorSees.NORMAL,  # mention notifications off: posted as usual
    Action.REPLY: ActorSees.NORMAL,
    Action.QUOTE: ActorSees.NORMAL,
    Action.REPOST: ActorSees.NORMAL,
    Action.FOLLOW: ActorSees.SENT,  # followers need approval: the request waits
    Action.GROUP_ADD: ActorSees.SENT,  # invitations need approval: it waits
    Action.NOTIFY: ActorSees.NORMAL,  # notifications off
    Action.VIEW_POST: ActorSees.NORMAL,  # posts for approved followers: nothing there
    Action.VIEW_PROFILE: ActorSees.NORMAL,  # a limited profile
    Action.SEARCH: ActorSees.NORMAL,  # not in search
    Action.PRESENCE: ActorSees.NORMAL,  # last seen off
    Action.READ_RECEIPT: ActorSees.NORMAL,  # read receipts off
    Action.LOCATION: ActorSees.NORMAL,  # location shared with nobody
}


@pytest.fixture
def private(make_engine: EngineFactory) -> Engine:
    """Alex blocks Sam silently; Olivia blocks Tom saying unavailable; each kim_K
    holds a boundary of kind K toward lee_K."""
    engine = make_engine()
    for person, address in (
        ("alex", "acct:chirp:alex"),
        ("sam", "+1 415 555 0123"),
        ("olivia", "acct:chirp:olivia"),
        ("tom", "+1 415 555 0124"),
    ):
        engine.add_person(person, addresses=[address])
    engine.set_boundary("alex", "sam", "block")
    engine.set_boundary("olivia", "tom", "block", disclosure="unavailable")
    for kind in Kind:
        engine.add_person(f"kim_{kind.value}")
        engine.add_person(f"lee_{kind.value}")
        engine.set_boundary(f"kim_{kind.value}", f"lee_{kind.value}", kind, duration=WEEK)
    return engine


def test_item2_privacy_baseline_is_the_engines_table() -> None:
    """The engine's privacy baseline is the one modelled here, for every action."""
    assert {a: e.actor_sees for a, (e, _) in PRIVACY.items()} == PRIVATE_OWNER_SHOWS


def test_item2_silent_block_looks_like_ordinary_privacy(private: Engine) -> None:
    """For every action, whichever way the blocked person is named, they see exactly
    what an owner with ordinary privacy settings shows: a message is ``delivered``,
    never ``sent`` alone, and never ``unavailable``; and when the owner acts toward
    them, they are told nothing, as if the owner had not acted."""

    @given(st.sampled_from(list(Action)), st.sampled_from(["sam", "tel:+14155550123"]))
    def prop(action: Action, sam: str) -> None:
        toward_owner = private.check(sam, action, "alex")
        assert toward_owner.actor_sees is PRIVATE_OWNER_SHOWS[action]
        assert not toward_owner.notify and toward_owner.explanation is None
        from_owner = private.check("alex", action, sam)
        assert not from_owner.notify
        assert from_owner.outcome in {Outcome.DENY, Outcome.DROP, Outcome.HIDE, Outcome.LIMITED}

    prop()


def test_item2_unavailable_only_where_the_owner_chose_it(private: Engine) -> None:
    """No boundary but a block whose owner chose ``unavailable`` ever shows
    ``unavailable``, in either direction; that block shows it on every action the
    silent one answers with privacy (everything but ``notify``)."""

    @given(st.sampled_from(list(Action)), st.sampled_from(list(Kind)), st.booleans())
    def prop(action: Action, kind: Kind, inbound: bool) -> None:
        kim, lee = f"kim_{kind.value}", f"lee_{kind.value}"
        actor, target = (lee, kim) if inbound else (kim, lee)
        assert private.check(actor, action, target).actor_sees is not ActorSees.UNAVAILABLE
        disclosed = private.check("tom", action, "olivia").actor_sees
        assert (disclosed is ActorSees.UNAVAILABLE) == (action is not Action.NOTIFY)

    prop()


def test_item2_silent_message_never_shows_sent(private: Engine) -> None:
    """The single-tick tell is gone: a silently dropped message shows ``delivered``."""
    d = private.check("sam", "message", "alex")
    assert (d.outcome, d.actor_sees) == (Outcome.DROP, ActorSees.DELIVERED)
