"""The gateway's rules, checked without a browser: refill, frozen profiles, notifications."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from nocontact.engine import Engine
from nocontact.store.base import Store
from nocontact.store.postgres import PostgresStore
from nocontact.store.sqlite import SQLiteStore
from nocontact.web.app import WebConfig, create_app, web_of
from nocontact.web.demo import seed
from nocontact.web.gateway import Gateway
from nocontact.web.gateway.feed import Placeholder, Post
from nocontact.web.store import ContentStore
from tests.conftest import FakeClock
from tests.pg import fresh_schema


@pytest.fixture(params=["sqlite", "postgresql"])
def gateway(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Gateway]:
    """The gateway over the demo world, its content in the engine's store: a SQLite file,
    or PostgreSQL."""
    with ExitStack() as stack:
        store: Store
        if request.param == "postgresql":
            store = PostgresStore.open(stack.enter_context(fresh_schema()))
        else:
            store = SQLiteStore.open(tmp_path / "web.db", synchronous="OFF")
        engine = stack.enter_context(Engine(store, clock=clock))
        content = ContentStore(engine.store)
        g = web_of(create_app(lambda: engine, content, config=WebConfig(demo=True))).gateway
        seed(g)
        yield g


def test_a_page_is_refilled_past_hidden_items(gateway: Gateway) -> None:
    """A feed page holds its full size of shown posts, however many are hidden on the way."""
    g = gateway
    for n in range(30):
        g.feed.respond("kim", "repost", g.feed.post("alex", f"alex {n}"))
        g.feed.post("kim", f"kim {n}")
    g.ctx.engine.set_boundary("alex", "sam", "block")
    g.sync.run()
    page = g.feed.page("sam", size=10)
    shown = [e for e in page.entries if isinstance(e, Post)]
    assert len(shown) == 10
    assert all("alex" not in p.body and p.author != "alex" for p in shown)
    assert not [e for e in page.entries if isinstance(e, Placeholder)]  # Sam is told nothing
    older = g.feed.page("sam", before=page.older, size=10)
    assert len([e for e in older.entries if isinstance(e, Post)]) == 10


def test_the_owner_alone_sees_placeholders(gateway: Gateway) -> None:
    """Alex sees why Kim's repost of Sam is missing; Kim's other readers see nothing of it."""
    g = gateway
    g.feed.respond("kim", "repost", g.feed.post("sam", "sam's bread"))
    g.ctx.engine.set_boundary("alex", "sam", "block")
    g.sync.run()
    entries = g.feed.page("alex").entries
    reasons = [e.reason for e in entries if isinstance(e, Placeholder)]
    assert reasons and all(r.startswith("hidden: you blocked") for r in reasons)
    assert not [e for e in g.feed.page("jo").entries if isinstance(e, Placeholder)]


def test_a_limited_profile_is_frozen_when_the_block_began(gateway: Gateway) -> None:
    """After Alex blocks Sam and renames, Sam still sees the old name, and only it."""
    g = gateway
    g.ctx.engine.set_boundary("alex", "sam", "block")
    g.sync.run()
    g.people.rename("alex", "Alexandra")
    profile = g.people.profile("sam", "alex")
    assert profile is not None and profile.mode == "limited"
    assert (profile.name, profile.bio, profile.presence, profile.location) == ("Alex", "", "", "")
    assert g.people.name_for("sam", "alex") == "Alex"
    assert g.people.name_for("kim", "alex") == "Alexandra"


def test_a_notification_never_previews_what_its_click_through_hides(gateway: Gateway) -> None:
    """Kim's quote of Sam notified Sam; once Kim blocks Sam, the quote is hidden from Sam and
    so is its notification; Kim's older follow notification stays, as taking it back would tell.
    Sam's own block of Lee silences Lee's notifications for Sam."""
    g = gateway
    post = g.feed.post("sam", "my bread")
    g.feed.respond("kim", "quote", post, "kim on sam's bread")
    assert any("kim on sam's bread" in n.preview for n in g.notifications.list("sam"))
    g.ctx.engine.set_boundary("kim", "sam", "block")
    g.sync.run()
    notes = g.notifications.list("sam")
    assert not any("kim on sam's bread" in n.preview for n in notes)
    assert "Kim followed you" in [n.text for n in notes]
    assert any(n.text == "Lee followed you" for n in notes)
    g.ctx.engine.set_boundary("sam", "lee", "block")
    assert not any(n.text.startswith("Lee ") for n in g.notifications.list("sam"))


def test_presence_and_location_follow_the_engine_and_the_settings(gateway: Gateway) -> None:
    """Kim sees Alex online and in Oakland; after Alex's block Sam sees neither, as if hidden."""
    g = gateway
    g.people.save_settings("alex", g.people.settings("alex").__class__(True, True, True, "Oakland"))
    g.ctx.live.seen("alex", g.ctx.now())
    assert g.people.presence("kim", "alex") == "Online"
    assert g.people.location("kim", "alex") == "Oakland"
    g.ctx.engine.set_boundary("alex", "sam", "block")
    assert g.people.presence("sam", "alex") == "" and g.people.location("sam", "alex") == ""
    g.ctx.live.start_typing("alex", "dm:alex:sam", g.ctx.now())
    assert g.people.typing("sam", "dm:alex:sam") == []


def test_search_finds_what_the_engine_lets_one_find(gateway: Gateway) -> None:
    """Sam no longer finds Alex after Alex's block; Kim still does."""
    g = gateway
    g.ctx.engine.set_boundary("alex", "sam", "block")
    assert [c.person for c in g.people.search("kim", "ale")] == ["alex"]
    assert g.people.search("sam", "ale") == []


def test_an_invitation_warns_of_someone_blocked(gateway: Gateway) -> None:
    """Rin, invited to the climbing group, is warned that it holds Sam, whom Rin blocked;
    after joining, the warning stays; nobody else is warned."""
    g = gateway
    g.ctx.engine.set_boundary("rin", "sam", "block")
    warning = "Sam, whom you blocked, is in the group Saturday climbing."
    assert [c.title for c in g.messages.invitations("rin")] == ["Saturday climbing"]
    assert g.boundaries.group_warnings("rin") == [warning]
    assert g.messages.join("rin", 1)
    assert g.boundaries.group_warnings("rin") == [warning]
    assert g.boundaries.group_warnings("kim") == [] and g.boundaries.group_warnings("sam") == []


def test_a_follow_after_a_silent_block_waits_like_a_request(gateway: Gateway) -> None:
    """Sam's follow of Alex, who blocked him, shows Requested (as for a private account),
    and Alex never hears of it; taking it back leaves nothing."""
    g = gateway
    g.ctx.engine.set_boundary("alex", "sam", "block")
    g.sync.run()
    seen_before = [n.text for n in g.notifications.list("alex")]
    assert g.people.follow("sam", "alex") == "sent"
    profile = g.people.profile("sam", "alex")
    assert profile is not None and profile.requested and not profile.following
    assert not g.people.following("sam", "alex")
    assert [n.text for n in g.notifications.list("alex")] == seen_before
    g.people.unfollow("sam", "alex")
    profile = g.people.profile("sam", "alex")
    assert profile is not None and not profile.requested


def test_a_private_account_approves_its_followers(gateway: Gateway) -> None:
    """Rin goes private: Sam's follow waits for approval (Rin is told and approves), and
    until then Sam sees Rin's profile limited and none of Rin's posts, nor reposts of them."""
    g = gateway
    g.people.unfollow("sam", "rin")
    g.people.save_settings("rin", g.people.settings("rin").__class__(private_account=True))
    post = g.feed.post("rin", "rin's private thought")
    g.feed.respond("kim", "repost", post)
    assert g.people.follow("sam", "rin") == "sent"
    assert [c.person for c in g.people.follow_requests("rin")] == ["sam"]
    profile = g.people.profile("sam", "rin")
    assert profile is not None and profile.mode == "limited" and profile.requested
    feed = [e.body for e in g.feed.page("sam").entries if isinstance(e, Post)]
    assert "rin's private thought" not in feed
    assert g.people.approve("rin", "sam")
    feed = [e.body for e in g.feed.page("sam").entries if isinstance(e, Post)]
    assert "rin's private thought" in feed


def test_a_space_set_again_is_told_again_only_when_it_changed(gateway: Gateway) -> None:
    """Setting the same space twice tells Jo once; a new end date is told once more."""
    g = gateway
    week = 7 * 86400.0
    g.ctx.engine.set_boundary("alex", "jo", "space", duration=week, note="a week")
    g.sync.run()
    assert len(g.boundaries.notices("jo")) == 1
    g.ctx.engine.set_boundary("alex", "jo", "space", duration=week, note="a week")
    g.sync.run()
    assert g.boundaries.notices("jo") == []
    g.ctx.engine.set_boundary("alex", "jo", "space", duration=2 * week, note="two weeks")
    g.sync.run()
    (told,) = g.boundaries.notices("jo")
    assert "two weeks" in told
