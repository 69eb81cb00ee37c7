"""The leak crawl: in generated worlds, the blocked person follows every link and learns nothing.

For each world (hypothesis: who blocks whom, extra posts, replies, reposts and
quotes, other boundaries among the others, the owner's privacy settings),
the target signs in, follows every link the app renders, reads the live
event stream, and finds nothing of the owner's that a block hides: no post,
repost or quote of the owner, no profile beyond ``limited``, no presence,
last seen, typing or location. Then the same history is replayed in a twin
world where the owner did not block but turned every ordinary privacy
setting on (a private account, out of search, no read receipts, no presence,
no location), and the target's crawl must read exactly alike, page by page.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nocontact.web.gateway.people import Settings

from .conftest import Server, start_server

PEOPLE = ("alex", "sam", "jo", "kim", "lee", "rin")
LINK = re.compile(r'href="(/[^"#?]*(?:\?[^"#]*)?)"')
TOKEN = re.compile(r'name="csrf" value="([^"]+)"')
BIO, PLACE = "owner-bio-secret", "owner-place-secret"


@dataclass(frozen=True)
class World:
    owner: str
    target: str
    posts: tuple[tuple[str, str, int], ...]  # (author, kind, which earlier post)
    others: tuple[tuple[str, str, str], ...]  # other boundaries among the others
    evidence: bool
    receipts: bool
    presence: bool


@st.composite
def worlds(draw: st.DrawFn) -> World:
    owner, target = draw(st.permutations(PEOPLE))[:2]
    posts = draw(
        st.lists(
            st.tuples(
                st.sampled_from(PEOPLE),
                st.sampled_from(["post", "reply", "repost", "quote"]),
                st.integers(0, 30),
            ),
            max_size=8,
        )
    )
    rest = [p for p in PEOPLE if p not in (owner, target)]
    others = draw(
        st.lists(
            st.tuples(
                st.sampled_from(rest),
                st.sampled_from(PEOPLE),
                st.sampled_from(["mute", "restrict", "break", "block"]),
            ),
            max_size=3,
        )
    )
    return World(owner, target, tuple(posts), tuple((a, b, k) for a, b, k in others if a != b),
                 draw(st.booleans()), draw(st.booleans()), draw(st.booleans()))  # fmt: skip


def build(server: Server, world: World, *, block: bool) -> list[str]:
    """Play the world's history; the texts of the owner's posts (which must never leak)."""
    g = server.gateway
    owner, target = world.owner, world.target
    secrets = []
    ids = [g.feed.post(owner, f"owner-secret-{i}") for i in range(2)]
    secrets += ["owner-secret-0", "owner-secret-1"]
    for n, (author, kind, which) in enumerate(world.posts):
        if kind == "post" or not ids:
            body = f"{'owner-secret' if author == owner else 'post'}-x{n}"
            ids.append(g.feed.post(author, body))
            if author == owner:
                secrets.append(body)
        else:
            g.feed.respond(author, kind, ids[which % len(ids)], f"{kind}-by-{author}-{n}")
    for a, b, kind in world.others:
        g.ctx.engine.set_boundary(a, b, kind)
    g.people.set_bio(owner, BIO)
    g.sync.run()
    if block:
        g.boundaries.set(owner, _block(target, world.evidence))
        g.people.save_settings(
            owner, Settings(world.receipts, world.presence, share_location=True, location=PLACE)
        )
    else:  # the twin: no block, every ordinary privacy setting on, the same follows gone
        g.people.save_settings(owner, Settings(False, False, False, PLACE, True, False))
        g.people.unfollow(owner, target)
        g.people.unfollow(target, owner)
    g.sync.run()
    # After the block: friends repost and quote the owner, the owner is online and typing.
    friend = next(p for p in PEOPLE if p not in (owner, target))
    g.feed.respond(friend, "repost", ids[0])
    g.feed.respond(friend, "quote", ids[1], "friend-quote-of-owner")
    g.ctx.live.seen(owner, g.ctx.now())
    g.ctx.live.start_typing(owner, f"dm:{min(owner, target)}:{max(owner, target)}", g.ctx.now())
    g.messages.send(target, owner, "are you there")
    numbers = {p: g.phone.numbers(p)[0] for p in (owner, target)}
    g.phone.place(target, numbers[target], numbers[owner], "call")
    g.messages.mark_read(owner, f"dm:{min(owner, target)}:{max(owner, target)}")
    server.clock.advance(40)  # the call has rung out
    return secrets


def _block(target: str, evidence: bool):  # type: ignore[no-untyped-def]
    from nocontact.web.gateway.boundaries import Request

    return Request(target=target, kind="block", keep_evidence=evidence)


@contextmanager
def signed_in(server: Server, person: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, follow_redirects=True, timeout=10) as client:
        token = TOKEN.search(client.get("/signin").text).group(1)  # type: ignore[union-attr]
        assert client.post("/signin", data={"csrf": token, "person": person}).status_code == 200
        yield client


def crawl(client: httpx.Client) -> dict[str, str]:
    """Every page reachable by links from the feed, as the signed-in person gets it."""
    seen: dict[str, str] = {}
    queue = deque(["/feed", "/notifications", "/search?q=e", "/messages", "/phone"])
    while queue and len(seen) < 150:
        path = queue.popleft()
        if path in seen or path.startswith("/static/"):
            continue
        answer = client.get(path)
        assert answer.status_code < 500, path
        seen[path] = answer.text
        queue.extend(p for p in LINK.findall(answer.text) if p not in seen)
    return seen


def live_stream(client: httpx.Client, server: Server, seconds: float = 1.0) -> str:
    """What the live stream sends while the owner posts and their friend reposts it."""
    got = b""
    timeout = httpx.Timeout(10.0, read=seconds)
    with client.stream("GET", "/live", timeout=timeout) as stream:
        chunks = stream.iter_raw()
        got += next(chunks)
        server.gateway.ctx.live.changed()  # something moved: a refresh is sent
        started = time.monotonic()
        try:
            for chunk in chunks:
                got += chunk
                if time.monotonic() - started > seconds:
                    break
        except httpx.ReadTimeout:
            pass
    assert b"event: refresh" in got
    return got.decode()


def visible_text(html: str) -> str:
    body = html.split("<main", 1)[-1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
def test_the_blocked_person_learns_nothing(tmp_path_factory, world: World) -> None:  # type: ignore[no-untyped-def]
    """No page, fragment, stream or notification shows the target anything of the owner's that
    a block hides; the target's messages and calls read as if the owner had set privacy."""
    folder: Path = tmp_path_factory.mktemp("leak")
    server, stop = start_server(folder / "blocked")
    try:
        secrets = build(server, world, block=True)
        name = server.gateway.ctx.name(world.owner)
        with signed_in(server, world.target) as client:
            pages = crawl(client)
            stream = live_stream(client, server)
    finally:
        stop()
    assert len(pages) >= 10
    for path, html in [*pages.items(), ("/live", stream)]:
        for secret in [*secrets, BIO, PLACE, "friend-quote-of-owner"]:
            assert secret not in html, f"{path} shows {secret!r}"
        text = visible_text(html)
        assert f"{name} is typing" not in text, path
        assert "blocked you" not in text and f"{name} blocked" not in text, path
    profile = visible_text(pages.get(f"/people/{world.owner}", ""))
    assert "Online" not in profile and "Last seen" not in profile and "Follows you" not in profile

    twin, stop = start_server(folder / "twin")
    try:
        build(twin, world, block=False)
        with signed_in(twin, world.target) as client:
            private = crawl(client)
    finally:
        stop()
    assert sorted(pages) == sorted(private)
    for path in pages:
        assert visible_text(pages[path]) == visible_text(private[path]), path
