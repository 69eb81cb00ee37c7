"""The engine's rules, one test per rule, on a real SQLite store."""

from __future__ import annotations

from dataclasses import replace

import pytest

from nocontact.core.errors import (
    AddressTaken,
    EmergencyNumber,
    InvalidBoundary,
    InvalidInput,
    SelfBoundary,
    UnknownBoundary,
    UnknownPerson,
)
from nocontact.core.model import ActorSees, Decision, Item, Outcome
from nocontact.engine import Engine

from .conftest import T0, EngineFactory, FakeClock

HOUR = 3600.0
DAY = 86400.0


@pytest.fixture
def people(engine: Engine) -> Engine:
    """Olivia (who sets boundaries), Tom (toward whom), and Carol (a mutual friend)."""
    engine.add_person("olivia", name="Olivia", addresses=["+1 415 555 0100", "acct:chirp:olivia"])
    engine.add_person("tom", name="Tom", addresses=["(415) 555-0123", "acct:chirp:@Tom"])
    engine.add_person("carol", name="Carol", addresses=["acct:chirp:carol"])
    return engine


def outcome(engine: Engine, actor: str, action: str, target: str, **kw: object) -> Outcome:
    return engine.check(actor, action, target, **kw).outcome  # type: ignore[arg-type]


def assert_reaches(engine: Engine, actor: str, target: str, action: str = "message") -> None:
    assert outcome(engine, actor, action, target) in {Outcome.DELIVER, Outcome.ALLOW}


def assert_dropped(engine: Engine, actor: str, target: str, action: str = "message") -> None:
    assert outcome(engine, actor, action, target) is Outcome.DROP


# -- addresses ------------------------------------------------------------------


def test_every_spelling_of_a_number_is_one_address(people: Engine) -> None:
    """A block set on one spelling of a number holds for every other spelling."""
    people.set_boundary("olivia", "415-555-0123", "block", scope="address")
    for spelling in ["+14155550123", "tel:+1-415-555-0123", "(415) 555 0123", "+1 415 555 0123"]:
        assert_dropped(people, spelling, "olivia", "call")


def test_block_covers_every_address_of_the_person(people: Engine) -> None:
    """An everywhere block holds on every number and account of the target."""
    people.set_boundary("olivia", "tom", "block")
    for address in ["tom", "tel:+14155550123", "acct:chirp:tom", "acct:chirp:TOM"]:
        assert_dropped(people, address, "olivia")


def test_new_number_is_covered_at_once(people: Engine) -> None:
    """Linking a new address brings it under every everywhere boundary (no evasion)."""
    people.set_boundary("olivia", "tom", "block")
    assert_reaches(people, "+1 628 555 0199", "olivia")
    people.link_address("tom", "+1 628 555 0199")
    assert_dropped(people, "+1 628 555 0199", "olivia", "sms")


def test_block_on_a_number_covers_the_person_once_known(people: Engine) -> None:
    """A number nobody linked stands for a person; once linked, the block covers them."""
    people.set_boundary("olivia", "+1 628 555 0177", "block")
    people.add_person("mallory", addresses=["acct:chirp:mallory"])
    assert_reaches(people, "mallory", "olivia")
    people.link_address("mallory", "+1 628 555 0177")
    assert_dropped(people, "acct:chirp:mallory", "olivia")


def test_address_scope_holds_on_that_address_only(people: Engine) -> None:
    """Scope address blocks one number and leaves the person's other accounts alone."""
    people.set_boundary("olivia", "tel:+14155550123", "block", scope="address")
    assert_dropped(people, "tel:+14155550123", "olivia", "call")
    assert_reaches(people, "acct:chirp:tom", "olivia")
    assert_reaches(people, "tom", "olivia")


def test_platform_scope(people: Engine) -> None:
    """Scope platform:chirp holds on chirp and nowhere else."""
    people.set_boundary("olivia", "tom", "block", scope="platform:chirp")
    assert_dropped(people, "acct:chirp:tom", "olivia")
    assert_reaches(people, "tel:+14155550123", "olivia", "call")
    assert outcome(people, "tom", "message", "olivia", platform="chirp") is Outcome.DROP


def test_new_handle_keeps_the_address_boundary(people: Engine) -> None:
    """A boundary keyed on a handle keeps holding when the person changes handle."""
    people.set_boundary("olivia", "acct:chirp:tom", "block", scope="address")
    people.change_address("tom", "acct:chirp:tom", "acct:chirp:thomas")
    assert_dropped(people, "acct:chirp:thomas", "olivia")
    assert people.boundaries("olivia")[0].target == "acct:chirp:thomas"


def test_new_name_keeps_every_boundary(people: Engine) -> None:
    """Boundaries hold on ids, never on display names."""
    people.set_boundary("olivia", "tom", "block")
    people.rename_person("tom", "Thomas")
    assert_dropped(people, "tom", "olivia")


def test_an_address_belongs_to_one_person(people: Engine) -> None:
    """Linking someone else's address is refused and changes nothing."""
    revision = people.revision
    with pytest.raises(AddressTaken):
        people.link_address("carol", "(415) 555-0123")
    assert people.revision == revision
    assert people.person("tom").addresses == ("acct:chirp:tom", "tel:+14155550123")


# -- kinds ----------------------------------------------------------------------


def test_temporary_boundary_ends_exactly_on_time(people: Engine, clock: FakeClock) -> None:
    """A boundary ending at T holds until just before T and not at T, with no job to run."""
    ends = T0 + 2 * HOUR
    people.set_boundary("olivia", "tom", "block", ends=ends)
    assert_dropped(people, "tom", "olivia")
    assert outcome(people, "tom", "message", "olivia", at=ends - 0.001) is Outcome.DROP
    assert outcome(people, "tom", "message", "olivia", at=ends) is Outcome.DELIVER
    clock.now = ends
    assert_reaches(people, "tom", "olivia")


def test_expiry_is_written_to_the_event_log(people: Engine, clock: FakeClock) -> None:
    """The end of a temporary boundary becomes an event when a writer records it."""
    b = people.set_boundary("olivia", "tom", "space", duration=DAY, on_end="discard")
    clock.advance(DAY + 1)
    people.expire_due()
    expired = [e for e in people.events() if e.type == "boundary_expired"]
    assert [e.data["id"] for e in expired] == [b.id]
    assert expired[0].data["held"] == "discard"
    assert people.boundaries("olivia") == []


def test_boundary_may_start_later(people: Engine) -> None:
    """A boundary with a future start holds from then on."""
    people.set_boundary("olivia", "tom", "mute", starts=T0 + HOUR)
    assert outcome(people, "tom", "message", "olivia") is Outcome.DELIVER
    assert outcome(people, "tom", "message", "olivia", at=T0 + HOUR) is Outcome.DELIVER_QUIETLY


def test_space_tells_the_target_the_note_and_the_end(people: Engine) -> None:
    """The target's messages are held and they are told until when, with the note."""
    people.set_boundary("olivia", "tom", "space", duration=7 * DAY, note="I need a week")
    decision = people.check("tom", "message", "olivia")
    assert (decision.outcome, decision.actor_sees) == (Outcome.HOLD, ActorSees.SPACE)
    assert (decision.note, decision.until) == ("I need a week", T0 + 7 * DAY)
    told = next(e for e in people.events() if e.type == "boundary_set").data["tell_target"]
    assert told == {"target": "tom", "note": "I need a week", "until": T0 + 7 * DAY}


def test_space_needs_an_end(people: Engine) -> None:
    """Space is asked for a set time."""
    with pytest.raises(InvalidBoundary, match="ends"):
        people.set_boundary("olivia", "tom", "space")


def test_pledge_ends_only_after_a_cool_down(people: Engine, clock: FakeClock) -> None:
    """Ending a pledge early takes the cool-down; until then attempts are diverted."""
    pledge = people.set_boundary("tom", "olivia", "pledge")
    assert people.check("tom", "message", "olivia").actor_sees is ActorSees.PLEDGE
    lifted = people.lift(pledge.id)
    assert not lifted.ended and lifted.boundary.ends == T0 + 600
    clock.advance(599)
    assert outcome(people, "tom", "message", "olivia") is Outcome.DIVERT
    clock.advance(1)
    assert outcome(people, "tom", "message", "olivia") is Outcome.DELIVER


def test_pledge_cool_down_is_configurable(make_engine: EngineFactory, clock: FakeClock) -> None:
    """The cool-down is a setting of the engine."""
    engine = make_engine(pledge_cooldown=60.0)
    engine.add_person("a")
    engine.add_person("b")
    pledge = engine.set_boundary("a", "b", "pledge")
    assert engine.lift(pledge.id).boundary.ends == T0 + 60


def test_block_keeps_evidence(people: Engine) -> None:
    """With keep_evidence, what the target sends is sealed, never delivered."""
    people.set_boundary("olivia", "tom", "block", keep_evidence=True)
    decision = people.check("tom", "message", "olivia")
    assert (decision.outcome, decision.evidence, decision.notify) == (Outcome.DROP, True, False)
    assert not people.check("tom", "view_post", "olivia").evidence


def test_block_says_which_follows_to_remove_and_restore(people: Engine) -> None:
    """A block's event lists the follows to remove; a lift with restore brings them back."""
    block = people.set_boundary("olivia", "tom", "block")
    follows = [
        {"follower": "olivia", "followee": "tom", "platform": None},
        {"follower": "tom", "followee": "olivia", "platform": None},
    ]
    people.lift(block.id, restore=True)
    by_type = {e.type: e.data for e in people.events()}
    assert by_type["boundary_set"]["remove_follows"] == follows
    assert by_type["boundary_lifted"]["restore_follows"] == follows


def test_lift_is_quiet_and_complete(people: Engine) -> None:
    """A lifted boundary holds at no time, and the lift event tells nobody new."""
    block = people.set_boundary("olivia", "tom", "block")
    people.lift(block.id)
    assert_reaches(people, "tom", "olivia")
    with pytest.raises(UnknownBoundary):
        people.lift(block.id)


def test_restore_is_for_blocks(people: Engine) -> None:
    """Only a block removed follows, so only a block can restore them."""
    mute = people.set_boundary("olivia", "tom", "mute")
    with pytest.raises(InvalidInput, match="restore"):
        people.lift(mute.id, restore=True)


def test_same_boundary_twice_changes_nothing(people: Engine, clock: FakeClock) -> None:
    """Setting an identical boundary again returns the first and writes nothing."""
    first = people.set_boundary("olivia", "tom", "block", note="no")
    revision = people.revision
    clock.advance(5)
    again = people.set_boundary("olivia", "tom", "block", note="no")
    assert again == first and people.revision == revision
    assert len(people.boundaries("olivia")) == 1


def test_channels_limit_a_boundary(people: Engine) -> None:
    """A block on calls and SMS lets messages through."""
    people.set_boundary("olivia", "tom", "block", channels=["calls", "sms"])
    assert_dropped(people, "tom", "olivia", "call")
    assert_reaches(people, "tom", "olivia", "message")


@pytest.mark.parametrize("target", ["olivia", "tel:+14155550100", "acct:chirp:OLIVIA"])
def test_no_boundary_toward_oneself(people: Engine, target: str) -> None:
    """A boundary toward oneself (or one's own address) is refused."""
    with pytest.raises(SelfBoundary):
        people.set_boundary("olivia", target, "block")


def test_disclosure_is_a_block_choice(people: Engine) -> None:
    """Only a block can be disclosed as unavailable; the rest are never disclosed."""
    with pytest.raises(InvalidBoundary, match="disclosure"):
        people.set_boundary("olivia", "tom", "mute", disclosure="unavailable")


def test_note_is_at_most_280_characters(people: Engine) -> None:
    """A long note is refused with its length."""
    with pytest.raises(InvalidBoundary, match="281 characters"):
        people.set_boundary("olivia", "tom", "space", duration=DAY, note="x" * 281)


# -- precedence -------------------------------------------------------------------


def test_strictest_kind_wins(people: Engine) -> None:
    """With a mute and a block toward the same person, the block decides."""
    people.set_boundary("olivia", "tom", "mute")
    people.set_boundary("olivia", "tom", "block")
    assert_dropped(people, "tom", "olivia")


def test_strictest_outcome_wins_across_directions(people: Engine) -> None:
    """Tom's break never un-mutes Olivia's mute: the quieter outcome wins."""
    people.set_boundary("olivia", "tom", "mute")
    people.set_boundary("tom", "olivia", "break")
    decision = people.check("tom", "message", "olivia")
    assert (decision.outcome, decision.notify) == (Outcome.DELIVER_QUIETLY, False)


def test_actor_learns_only_of_their_own_block(people: Engine) -> None:
    """When both blocked each other, each is told only about their own block."""
    people.set_boundary("olivia", "tom", "block")
    people.set_boundary("tom", "olivia", "block")
    for actor, other in [("tom", "olivia"), ("olivia", "tom")]:
        decision = people.check(actor, "message", other)
        assert decision.actor_sees is ActorSees.YOU_BLOCKED
        assert decision.explanation is not None and decision.explanation.owner == actor


@pytest.mark.parametrize(
    ("mine", "action", "expected"),
    [
        ("pledge", "message", (Outcome.DIVERT, ActorSees.PLEDGE)),
        ("pledge", "view_profile", (Outcome.HIDE, ActorSees.PLEDGE)),
        ("block", "search", (Outcome.LIMITED, ActorSees.YOU_BLOCKED)),
        ("block", "message", (Outcome.DENY, ActorSees.YOU_BLOCKED)),
    ],
)
def test_own_boundary_hides_whether_the_other_side_blocked(
    people: Engine, mine: str, action: str, expected: tuple[Outcome, ActorSees]
) -> None:
    """When Tom's own boundary stops him, Olivia's block changes nothing Tom can see."""
    people.set_boundary("tom", "olivia", mine)
    alone = people.check("tom", action, "olivia")
    people.set_boundary("olivia", "tom", "block")
    both = people.check("tom", action, "olivia")
    assert (alone.outcome, alone.actor_sees) == expected
    assert replace(both.seen_by("tom"), revision=0) == replace(alone.seen_by("tom"), revision=0)


def test_explanation_is_for_the_owner_only(people: Engine) -> None:
    """A decision explains itself to the owner who asks for it, and to nobody else."""
    people.set_boundary("olivia", "tom", "block")
    assert people.check("tom", "message", "olivia").explanation is None
    owners = people.check("tom", "message", "olivia", viewer="olivia")
    assert owners.explanation is not None
    assert owners.explanation.reason == "you blocked Tom"


# -- patterns -----------------------------------------------------------------------


def test_unknown_callers_spare_contacts(people: Engine) -> None:
    """A block on unknown callers drops strangers and lets contacts ring."""
    people.set_boundary("olivia", "pattern:unknown", "block", channels=["calls"])
    people.add_contact("olivia", "carol")
    people.add_contact("olivia", "+1 212 555 0111")
    assert_dropped(people, "tom", "olivia", "call")
    assert_dropped(people, "+1 646 555 0100", "olivia", "call")
    assert_reaches(people, "carol", "olivia", "call")
    assert_reaches(people, "tel:+12125550111", "olivia", "call")
    assert_reaches(people, "tom", "olivia", "message")


def test_private_callers(people: Engine) -> None:
    """A block on private callers drops calls without caller id."""
    people.set_boundary("olivia", "pattern:private", "block")
    assert_dropped(people, "tel:anonymous", "olivia", "call")
    assert_reaches(people, "tom", "olivia", "call")


def test_senders_short_codes_and_domains(people: Engine) -> None:
    """Patterns cover alphanumeric senders, short codes and mail domains."""
    people.set_boundary("olivia", "pattern:sender", "block")
    people.set_boundary("olivia", "pattern:shortcode", "mute")
    people.set_boundary("olivia", "pattern:domain:spam.example", "block")
    assert_dropped(people, "sender:MyBank", "olivia", "sms")
    assert outcome(people, "tel:12345;phone-context=+1", "sms", "olivia") is Outcome.DELIVER_QUIETLY
    assert_dropped(people, "mailto:offers@Spam.Example", "olivia")
    assert_reaches(people, "mailto:friend@example.org", "olivia")


def test_a_sender_name_can_be_blocked(people: Engine) -> None:
    """An alphanumeric SMS sender is an address like any other."""
    people.set_boundary("olivia", "sender:PROMO", "block")
    assert_dropped(people, "sender:promo", "olivia", "sms")


# -- emergencies ----------------------------------------------------------------------


def test_emergency_numbers_are_never_blocked(people: Engine) -> None:
    """Emergency numbers cannot be a target and always get through, both ways."""
    with pytest.raises(EmergencyNumber):
        people.set_boundary("olivia", "911", "block")
    people.set_boundary("olivia", "pattern:unknown", "block")
    people.set_boundary("olivia", "pattern:shortcode", "block")
    assert outcome(people, "911", "call", "olivia") is Outcome.DELIVER
    assert outcome(people, "olivia", "call", "911") is Outcome.DELIVER


def test_call_back_window_pauses_patterns_not_people(people: Engine, clock: FakeClock) -> None:
    """After an emergency call, unknown callers ring for two hours; Tom stays blocked."""
    people.set_boundary("olivia", "pattern:unknown", "block")
    people.set_boundary("olivia", "tom", "block")
    people.record_emergency("olivia")
    stranger = "+1 646 555 0100"
    assert outcome(people, stranger, "call", "olivia") is Outcome.DELIVER
    assert outcome(people, stranger, "message", "olivia") is Outcome.DROP
    assert_dropped(people, "tom", "olivia", "call")
    assert outcome(people, stranger, "call", "olivia", at=T0 + 2 * HOUR) is Outcome.DROP


def test_owner_may_let_the_window_lift_person_blocks(people: Engine) -> None:
    """An owner who opted in gets person blocks paused too, for calls and SMS only."""
    people.set_boundary("olivia", "tom", "block")
    people.set_emergency_lifts_person_blocks("olivia", True)
    people.record_emergency("olivia")
    assert outcome(people, "tom", "call", "olivia") is Outcome.DELIVER
    assert_dropped(people, "tom", "olivia", "message")


# -- feeds and fan-out ------------------------------------------------------------------


def test_third_person_repost_of_the_owner_is_hidden_from_the_target(people: Engine) -> None:
    """Carol's repost of Olivia's post never reaches Tom, whom Olivia blocked."""
    people.set_boundary("olivia", "tom", "block")
    items = [
        Item("repost", author="olivia", reposted_by="carol"),
        Item("quote", author="carol", quoted="olivia"),
        Item("reply", author="carol", reply_to="olivia"),
        Item("mention", author="carol", mentions=("olivia",)),
        Item("plain", author="carol"),
    ]
    seen = {v.item: v.outcome for v in people.visible("tom", items)}
    assert seen == {
        "repost": Outcome.HIDE,
        "quote": Outcome.HIDE,
        "reply": Outcome.HIDE,
        "mention": Outcome.HIDE,
        "plain": Outcome.SHOW,
    }


def test_hidden_items_explain_themselves_to_the_owner(people: Engine) -> None:
    """The owner's placeholder says why; the target's says nothing."""
    people.set_boundary("olivia", "tom", "block")
    [mine] = people.visible("olivia", [Item("q", author="carol", quoted="tom")])
    [theirs] = people.visible("tom", [Item("q", author="carol", quoted="olivia")])
    assert mine.explanation is not None and mine.explanation.reason == "you blocked Tom"
    assert theirs.outcome is Outcome.HIDE and theirs.explanation is None


def test_restricted_reply_is_seen_by_its_author_only(people: Engine) -> None:
    """Tom's reply on Olivia's post is seen by Tom and hidden from everyone else."""
    people.set_boundary("olivia", "tom", "restrict")
    reply = Item("r", author="tom", reply_to="olivia", root="olivia")
    assert people.visible("tom", [reply])[0].outcome is Outcome.SHOW
    assert people.visible("carol", [reply])[0].outcome is Outcome.HIDE
    assert people.visible("olivia", [reply])[0].outcome is Outcome.HIDE


def test_mute_hides_from_the_owner_only(people: Engine) -> None:
    """Muted posts leave Olivia's feed and nobody else's."""
    people.set_boundary("olivia", "tom", "mute")
    post = [Item("p", author="tom")]
    assert people.visible("olivia", post)[0].outcome is Outcome.HIDE
    assert people.visible("carol", post)[0].outcome is Outcome.SHOW
    assert outcome(people, "olivia", "view_profile", "tom") is Outcome.SHOW


def test_audience_leaves_out_blocked_and_muting_people(people: Engine) -> None:
    """Fan-out on write skips the blocked target and whoever muted the author."""
    people.add_person("dan")
    people.set_boundary("olivia", "tom", "block")
    people.set_boundary("dan", "olivia", "mute")
    assert people.audience("olivia", ["tom", "carol", "dan", "stranger"]) == [
        "carol",
        "stranger",
    ]


# -- writes and events ------------------------------------------------------------------


def test_revisions_grow_with_every_write(people: Engine) -> None:
    """Every write returns a larger revision, and decisions carry the current one."""
    before = people.revision
    b = people.set_boundary("olivia", "tom", "block")
    assert b.revision == before + 1 == people.revision
    assert people.check("tom", "message", "olivia").revision == people.revision
    revisions = [e.revision for e in people.events()]
    assert revisions == sorted(revisions)


def test_unknown_owner_is_refused(people: Engine) -> None:
    """A boundary needs an owner the engine knows."""
    with pytest.raises(UnknownPerson):
        people.set_boundary("zed", "tom", "block")


def test_state_survives_reopening(make_engine: EngineFactory) -> None:
    """Everything written is there after the engine is closed and opened again."""
    engine = make_engine("same.db")
    engine.add_person("olivia", addresses=["+1 415 555 0100"])
    engine.add_person("tom", addresses=["+1 415 555 0123"])
    engine.set_boundary("olivia", "tom", "block")
    engine.add_contact("olivia", "carol@example.org")
    engine.close()
    again = make_engine("same.db")
    assert again.check("+1 415 555 0123", "call", "olivia").outcome is Outcome.DROP
    assert again.contacts("olivia") == ["mailto:carol@example.org"]


def test_decide_many_matches_decide(people: Engine) -> None:
    """A batch answers exactly as one call at a time."""
    from nocontact.core.model import Action, Interaction

    people.set_boundary("olivia", "tom", "block")
    batch = [
        Interaction(a, act, b)
        for a in ("tom", "olivia", "carol")
        for b in ("olivia", "tom")
        for act in Action
    ]
    answers: list[Decision] = people.decide_many(batch)
    assert answers == [people.decide(i) for i in batch]
