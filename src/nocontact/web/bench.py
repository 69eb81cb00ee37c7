"""``nocontact bench --app``: the feed page, end to end, for a person with many boundaries.

A viewer who blocked 10,000 people and follows 1,000 opens their feed (50
posts a page) over real HTTP on 127.0.0.1: session cookie, routing, the
gateway's reads and ``visible``, the refill of hidden items, Jinja2, the
security headers. Half of what the people they follow share are reposts and
quotes of people the viewer blocked, so the page must refill. The same page
is measured on the same world with no boundary at all. The server runs in a
thread of this process (uvicorn), the client is a keep-alive ``httpx``
client in the main thread; each figure is over :data:`REQUESTS` requests
after a warm-up.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from nocontact.engine import Engine

from .app import WebConfig, create_app, web_of
from .store import ContentStore

SECTION = "bench-app"
BLOCKED = 10_000
FOLLOWED = 1_000
PAGE = 50
REQUESTS = 200
WARMUP = 20


@dataclass(frozen=True)
class Figures:
    p50_ms: float
    p99_ms: float
    shown: int


def _world(path: Path, *, blocks: bool) -> None:
    """The viewer, 11,000 others, blocks (or none), follows, posts, reposts and quotes."""
    people = [f"p{i}" for i in range(BLOCKED + FOLLOWED)]
    with Engine.open(path) as engine:
        owners = [0] * BLOCKED if blocks else []
        engine.bulk_import(
            ["viewer", *people], owners, list(range(1, BLOCKED + 1)) if blocks else [],
            [0] * len(owners),
        )  # fmt: skip
        store = ContentStore(engine.store)
        g = web_of(create_app(lambda: engine, store)).gateway
        g.people.adopt("viewer", "viewer", "bench passphrase", "+1 415 555 0000")
        followed = people[BLOCKED:]
        with g.ctx.batch():
            blocked_posts = [g.feed.post(people[i], f"post by blocked {i}") for i in range(500)]
            for n, person in enumerate(followed):
                g.people.follow("viewer", person)
                g.feed.post(person, f"post {n} by {person}")
                if n % 2 == 0:
                    g.feed.respond(person, "repost", blocked_posts[n % 500])
                else:
                    g.feed.respond(person, "quote", blocked_posts[n % 500], f"quote {n}")
        g.sync.run()


def _measure(path: Path) -> Figures:
    import httpx
    import uvicorn

    engine = Engine.open(path)
    store = ContentStore(engine.store)
    app = create_app(lambda: engine, store, config=WebConfig(demo=False, feed_page=PAGE))
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            page = client.get("/signin").text
            token = re.search(r'name="csrf" value="([^"]+)"', page)
            assert token is not None
            signed = client.post(
                "/signin",
                data={"csrf": token.group(1), "handle": "viewer", "passphrase": "bench passphrase"},
            )
            assert signed.status_code == 303, signed.status_code
            times = []
            shown = 0
            for n in range(WARMUP + REQUESTS):
                started = time.perf_counter()
                answer = client.get("/feed")
                elapsed = time.perf_counter() - started
                assert answer.status_code == 200
                if n >= WARMUP:
                    times.append(elapsed * 1000)
                shown = answer.text.count('class="post"')
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.close()
    times.sort()
    return Figures(statistics.median(times), times[int(len(times) * 0.99) - 1], shown)


def run() -> tuple[Figures, Figures]:
    """The feed page with 10,000 blocks and 1,000 follows, then with no boundaries."""
    with tempfile.TemporaryDirectory(prefix="nocontact-bench-app-") as folder:
        found = []
        for name, blocks in (("blocks.db", True), ("plain.db", False)):
            path = Path(folder) / name
            _world(path, blocks=blocks)
            found.append(_measure(path))
        return found[0], found[1]


def markdown(with_blocks: Figures, without: Figures, command: str) -> str:
    rows = [
        (f"{BLOCKED:,} blocked, {FOLLOWED:,} followed", with_blocks),
        ("the same world, no boundaries", without),
    ]
    table = "\n".join(
        f"| {name} | {f.p50_ms:.1f} ms | {f.p99_ms:.1f} ms | {f.shown} |" for name, f in rows
    )
    return f"""## The web app's feed page

`{command}`: the feed page (50 posts) of a person who blocked {BLOCKED:,} people and
follows {FOLLOWED:,}, rendered end to end over HTTP on 127.0.0.1 (session, gateway,
`visible`, refill, Jinja2), {REQUESTS} requests after {WARMUP} to warm up. Half of
what the people they follow share are reposts and quotes of blocked people,
so each page is refilled past them; with no boundaries those reposts and
quotes are shown instead, each with the post it carries, which is why that
page can take as long.

| feed page | p50 | p99 | posts shown |
|---|---|---|---|
{table}
"""
