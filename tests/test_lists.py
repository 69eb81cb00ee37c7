"""Shared lists (moderation lists): DESIGN section 6 and issue 11, rule by rule."""

from __future__ import annotations

import numpy as np
import pytest

from nocontact.core.errors import InvalidInput, ListExists, UnknownList, UnknownPerson
from nocontact.core.model import Action, Interaction, Item, Kind, Outcome
from nocontact.engine import Engine

from .conftest import EngineFactory, FakeClock


@pytest.fixture
def world(engine: Engine) -> Engine:
    """Cara curates "Spam callers"; Alex subscribes as a block; Sam is a spammer."""
    for person, name in [("alex", "Alex"), ("cara", "Cara"), ("sam", "Sam"), ("kim", "Kim")]:
        engine.add_person(person, name=name)
    engine.link_address("sam", "+1 415 555 0123")
    engine.create_list("cara", "Spam callers", list_id="spam", members=["sam"])
    engine.subscribe("alex", "spam", "block")
    return engine


def test_subscribed_list_blocks_its_members(world: Engine) -> None:
    """A member of a list the owner subscribes to as a block is blocked, every address."""
    assert world.check("sam", "message", "alex").outcome == "drop"
    assert world.check("+14155550123", "call", "alex").outcome == "drop"
    assert world.check("kim", "message", "alex").outcome == "deliver"


def test_owner_view_names_the_list_and_target_learns_nothing(world: Engine) -> None:
    """The owner's view names the list; the target's view carries no explanation."""
    decision = world.check("sam", "message", "alex")
    assert decision.actor_sees == "delivered" and decision.explanation is None
    explanation = world.check("sam", "message", "alex", viewer="alex").explanation
    assert explanation is not None
    assert explanation.reason == "from the list Spam callers you subscribed to"
    assert world.check("sam", "message", "kim") == world.check("kim", "message", "sam")


def test_membership_change_applies_at_once_without_subscriber_writes(world: Engine) -> None:
    """Adding or removing a member changes the next decision, with one write for the list."""
    before = world.revision
    world.add_list_members("spam", ["kim"])
    assert world.revision == before + 1
    assert world.check("kim", "message", "alex").outcome == "drop"
    world.remove_list_members("spam", ["kim"])
    assert world.check("kim", "message", "alex").outcome == "deliver"


def test_address_member_covers_its_person_once_linked(world: Engine) -> None:
    """An address on a list covers the person it is linked to, even when linked later."""
    world.add_list_members("spam", ["+1 628 555 0199"])
    assert world.check("+16285550199", "sms", "alex").outcome == "drop"
    world.link_address("kim", "+1 628 555 0199")
    assert world.check("kim", "message", "alex").outcome == "drop"
    world.unlink_address("kim", "+1 628 555 0199")
    assert world.check("kim", "message", "alex").outcome == "deliver"


def test_deleted_list_stops_applying_but_subscription_stays(world: Engine) -> None:
    """A deleted list changes no decision; its subscribers still see and can remove it."""
    world.delete_list("spam")
    assert world.check("sam", "message", "alex").outcome == "deliver"
    [sub] = world.subscriptions("alex")
    assert sub.list_id == "spam" and not sub.applies
    world.unsubscribe("alex", "spam")
    assert world.subscriptions("alex") == []


def test_suspended_curator_lists_stop_applying(world: Engine) -> None:
    """While a curator is suspended their lists change nothing; reinstated, they apply again."""
    world.suspend_curator("cara")
    assert world.check("sam", "message", "alex").outcome == "deliver"
    assert world.subscriptions("alex")[0].applies is False
    world.suspend_curator("cara", False)
    assert world.check("sam", "message", "alex").outcome == "drop"


def test_owner_on_own_list_is_not_blocked_from_themself(world: Engine) -> None:
    """An owner who is on a list they subscribe to is never blocked from themself."""
    world.add_list_members("spam", ["alex"])
    assert world.check("alex", "message", "alex").outcome == "deliver"
    [shown] = world.visible("alex", [Item("p", author="alex")])
    assert shown.outcome == "show"
    alex = world.person_number("alex")
    assert world.visible_ids(alex, [alex]) == [True]
    assert world.audience_ids(alex, [alex]) == [True]


def test_direct_boundary_and_list_combine_by_precedence(world: Engine) -> None:
    """A direct mute and a list block: the block wins; a list mute and a direct block: block."""
    world.set_boundary("alex", "sam", "mute")
    assert world.check("sam", "message", "alex").outcome == "drop"
    world.subscribe("alex", "spam", "mute")  # now only a mute, twice
    assert world.check("sam", "message", "alex").outcome == "deliver_quietly"
    world.set_boundary("alex", "sam", "block")
    assert world.check("sam", "message", "alex").outcome == "drop"


def test_owner_toward_list_member_is_blocked_both_ways(world: Engine) -> None:
    """A list block cuts both ways: the owner's message to a member is denied, as a block's."""
    decision = world.check("alex", "message", "sam")
    assert decision.outcome == "deny" and decision.actor_sees == "you_blocked"


def test_batch_reads_honour_lists(world: Engine) -> None:
    """decide_many, decide_ids, visible, visible_ids and audience all apply lists."""
    alex, sam, kim = world.person_numbers(["alex", "sam", "kim"])
    outcomes = world.decide_ids([sam, kim], "message", [alex, alex])
    assert [list(Outcome)[o] for o in outcomes] == ["drop", "deliver"]
    assert world.visible_ids(alex, [sam, kim]) == [False, True]
    assert world.visible_ids(sam, [alex, kim]) == [False, True]
    assert world.audience_ids(alex, [sam, kim]) == [False, True]
    assert world.audience_ids(sam, [alex, kim]) == [False, True]
    assert world.audience("alex", ["sam", "kim"]) == ["kim"]
    items = [Item("1", author="kim", quoted="sam"), Item("2", author="kim")]
    assert [v.outcome for v in world.visible("alex", items)] == ["hide", "show"]
    checks = [Interaction("sam", Action.CALL, "alex"), Interaction("kim", Action.CALL, "alex"),
              Interaction("alex", Action.MESSAGE, "+1 415 555 0123")]  # fmt: skip
    assert [d.outcome for d in world.decide_many(checks)] == ["drop", "deliver", "deny"]


def test_list_mute_hides_from_owner_only(world: Engine) -> None:
    """A list mute hides the member's posts from the owner; the member still sees the owner."""
    world.subscribe("alex", "spam", "mute")
    alex, sam = world.person_numbers(["alex", "sam"])
    assert world.visible_ids(alex, [sam]) == [False]
    assert world.visible_ids(sam, [alex]) == [True]
    assert world.check("sam", "message", "alex").outcome == "deliver_quietly"


def test_lists_survive_reopening(make_engine: EngineFactory) -> None:
    """Lists, members, subscriptions and suspensions are stored, and rebuilt on open."""
    engine = make_engine("lists.db")
    for p in ("alex", "cara", "sam", "kim"):
        engine.add_person(p)
    engine.create_list("cara", "Spam", list_id="spam", members=["sam", "mailto:x@spam.example"])
    engine.create_list("cara", "Old", list_id="old", members=["kim"])
    engine.subscribe("alex", "spam")
    engine.subscribe("alex", "old", "mute")
    engine.delete_list("old")
    engine.close()
    again = make_engine("lists.db")
    assert again.check("sam", "message", "alex").outcome == "drop"
    assert again.check("mailto:x@spam.example", "message", "alex").outcome == "drop"
    assert again.check("kim", "message", "alex").outcome == "deliver"
    assert [s.list_id for s in again.subscriptions("alex")] == ["old", "spam"]
    assert again.list_members("spam") == ["mailto:x@spam.example", "sam"]


def test_every_list_write_is_an_event(world: Engine) -> None:
    """Each list write appends an event with its revision."""
    world.add_list_members("spam", ["kim"])
    world.unsubscribe("alex", "spam")
    world.suspend_curator("cara")
    world.delete_list("spam")
    types = [e.type for e in world.events()]
    for expected in ("list_created", "list_subscribed", "list_members_added",
                     "list_unsubscribed", "curator_suspended", "list_deleted"):  # fmt: skip
        assert expected in types


def test_bad_list_input_changes_nothing(world: Engine) -> None:
    """Bad input raises a domain error and writes nothing."""
    revision = world.revision
    with pytest.raises(UnknownList):
        world.add_list_members("nope", ["kim"])
    with pytest.raises(UnknownPerson):
        world.add_list_members("spam", ["kim", "nobody"])
    with pytest.raises(InvalidInput):
        world.subscribe("alex", "spam", "restrict")
    with pytest.raises(ListExists):
        world.create_list("cara", "Again", list_id="spam")
    with pytest.raises(InvalidInput):
        world.create_list("cara", "")
    with pytest.raises(UnknownList):
        world.unsubscribe("kim", "spam")
    assert world.revision == revision
    assert world.check("kim", "message", "alex").outcome == "deliver"


def test_subscribing_twice_changes_nothing(world: Engine) -> None:
    """Subscribing again with the same kind is no write."""
    revision = world.revision
    sub = world.subscribe("alex", "spam", Kind.BLOCK)
    assert world.revision == revision and sub.applies


def test_lists_pause_in_the_emergency_window(world: Engine, clock: FakeClock) -> None:
    """After the owner calls emergency services, list blocks pause for calls, like patterns."""
    world.record_emergency("alex")
    assert world.check("sam", "call", "alex").outcome == "deliver"
    assert world.check("sam", "message", "alex").outcome == "drop"
    clock.advance(2 * 3600 + 1)
    assert world.check("sam", "call", "alex").outcome == "drop"


@pytest.mark.parametrize(
    "members",
    [[3, 5, 7, 9], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1_000_000], [2, 500_000, 999_999], []],
    ids=["dense", "everyone", "one far", "sparse", "empty"],
)
def test_batch_membership_matches_the_set(members: list[int]) -> None:
    """A list's batch lookup (flags when dense, a sorted array when sparse) is its set."""
    from nocontact.core.lists import SharedList

    shared = SharedList("l", "L", "c")
    for m in members:
        shared.cover(m, 1)
    probe = np.array([0, 1, 2, 3, 5, 8, 9, 10, 499_999, 500_000, 999_999, 1_000_000, 2_000_000])
    expected = [int(n) in shared.covered for n in probe]
    assert shared.contains_many(probe).tolist() == expected
    shared.cover(3, -1)  # a change drops what was built
    assert shared.contains_many(np.array([3])).tolist() == [False]
