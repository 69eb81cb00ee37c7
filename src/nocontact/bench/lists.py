"""``nocontact bench --lists``: shared lists at scale.

One owner subscribes to three lists of 50,000 members each and holds 10,000
direct boundaries. The same 1,000-candidate ``visible`` call (on person
numbers, and on ids with feed items) is timed before the owner subscribes and
after: lists must cost at most twice the call without them. Memory of the lists
is measured with 1 subscriber and with 10,000: it grows with subscriptions,
never with subscribers times members (a list is never expanded into edges). Every
answer with lists is checked against the scalar ``decide``.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nocontact.core.model import Item
from nocontact.engine import Engine

from .timing import time_each, timer_overhead_ns

SECTION = "bench-lists"


@dataclass(frozen=True, slots=True)
class ListsOptions:
    lists: int = 3
    members: int = 50_000
    direct: int = 10_000
    candidates: int = 1_000
    subscribers: int = 10_000
    strangers: int = 50_000
    repeats: int = 2_000
    seed: int = 42


@dataclass(frozen=True, slots=True)
class ListsResults:
    options: ListsOptions
    people: int
    ids_without_ns: float
    ids_with_ns: float
    items_without_ns: float
    items_with_ns: float
    hidden_share: float
    bytes_one: int
    bytes_many: int
    rss_growth: int | None
    agrees: bool

    @property
    def ids_ratio(self) -> float:
        return self.ids_with_ns / self.ids_without_ns

    @property
    def items_ratio(self) -> float:
        return self.items_with_ns / self.items_without_ns

    @property
    def per_subscription(self) -> float:
        extra = (self.options.subscribers - 1) * self.options.lists
        return (self.bytes_many - self.bytes_one) / extra if extra else 0.0


def _rss() -> int | None:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def run_lists(options: ListsOptions, folder: Path | None = None) -> ListsResults:
    o = options
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        engine = Engine.open(Path(tmp) / "lists.db")
        try:
            return _measure(engine, o)
        finally:
            engine.close(checkpoint=False)


def _measure(engine: Engine, o: ListsOptions) -> ListsResults:
    rng = np.random.default_rng(o.seed)
    members = [f"m{i}" for i in range(o.lists * o.members)]
    direct = [f"d{i}" for i in range(o.direct)]
    subs = [f"s{i}" for i in range(o.subscribers)]
    curators = [f"c{i}" for i in range(o.lists)]
    strangers = [f"x{i}" for i in range(o.strangers)]
    people = ["owner", *direct, *members, *subs, *curators, *strangers]
    engine.bulk_import(
        people, owners=np.zeros(o.direct, np.int64), targets=np.arange(1, o.direct + 1),
        kinds=np.zeros(o.direct, np.int64),
    )  # fmt: skip
    list_ids = [f"list{i}" for i in range(o.lists)]
    for i, (list_id, curator) in enumerate(zip(list_ids, curators, strict=True)):
        chunk = members[i * o.members : (i + 1) * o.members]
        engine.create_list(curator, f"List {i}", list_id=list_id, members=chunk)
    engine.checkpoint()
    # Candidates: people of every sort, the members in proportion.
    pool = [*direct, *members, *strangers]
    picked = [pool[i] for i in rng.choice(len(pool), o.candidates, replace=False)]
    owner = engine.person_number("owner")
    numbers = engine.person_numbers(picked)
    items = [Item(f"post{i}", author=p) for i, p in enumerate(picked)]
    overhead = timer_overhead_ns()

    def timed() -> tuple[float, float]:
        ids = time_each((engine.visible_ids, [(owner, numbers)] * o.repeats), overhead)
        feed = time_each((engine.visible, [("owner", items)] * max(1, o.repeats // 10)), overhead)
        return ids.p50_ns, feed.p50_ns

    ids_without, items_without = timed()
    for list_id in list_ids:
        engine.subscribe("owner", list_id, "block")
    ids_with, items_with = timed()
    shown = engine.visible_ids(owner, numbers)
    agrees = all(
        bool(s) == (engine.check(p, "view_post", "owner").outcome == "show")
        and bool(s) == (engine.check("owner", "view_post", p).outcome == "show")
        for p, s in zip(picked, shown.tolist(), strict=True)
    )
    agrees = agrees and [v.outcome == "show" for v in engine.visible("owner", items)] == list(
        shown.tolist()
    )
    bytes_one = engine.index_lists_nbytes()  # after the reads built their arrays
    before = _rss()
    with engine.transaction("bench_subscribe"):
        for sub in subs[1:]:
            for list_id in list_ids:
                engine.subscribe(sub, list_id, "block")
    after = _rss()
    bytes_many = engine.index_lists_nbytes()
    return ListsResults(
        options=o,
        people=len(people),
        ids_without_ns=ids_without,
        ids_with_ns=ids_with,
        items_without_ns=items_without,
        items_with_ns=items_with,
        hidden_share=1 - float(shown.mean()),
        bytes_one=bytes_one,
        bytes_many=bytes_many,
        rss_growth=None if before is None or after is None else after - before,
        agrees=agrees,
    )


def _us(ns: float) -> str:
    return f"{ns / 1000:.1f} µs"


def markdown(r: ListsResults, command: str) -> str:
    o = r.options
    expanded = o.subscribers * o.lists * o.members * 12  # 12 B an edge, if expanded
    rss = "n/a" if r.rss_growth is None else f"{r.rss_growth / 1e6:.1f} MB"
    verdict = "yes" if r.ids_ratio <= 2 and r.items_ratio <= 2 else "NO"
    calls = [
        (f"`visible_ids`, {o.candidates:,} person numbers", r.ids_without_ns, r.ids_with_ns),
        (f"`visible`, {o.candidates:,} feed items by id", r.items_without_ns, r.items_with_ns),
    ]
    rows = "\n".join(f"| {name} | {_us(a)} | {_us(b)} | {b / a:.2f}× |" for name, a, b in calls)
    memory = f"| {r.bytes_one / 1e6:.1f} MB | {r.bytes_many / 1e6:.1f} MB |"
    return f"""## Shared lists at scale

`{command}`: one owner subscribes to {o.lists} lists of {o.members:,} members each and
holds {o.direct:,} direct boundaries, among {r.people:,} people. The same
{o.candidates:,}-candidate `visible` is timed (p50) before the owner subscribes and after;
{r.hidden_share:.0%} of the candidates are hidden with the lists. Every answer agrees with
the scalar `decide`: {"yes" if r.agrees else "NO"}.

| call | without lists | with lists | ratio (target ≤ 2×) |
|---|---|---|---|
{rows}

Within 2×: {verdict}.

| memory of the lists (index estimate) | 1 subscriber | {o.subscribers:,} subscribers |
|---|---|---|
| members and subscriptions {memory}

Each further subscription costs {r.per_subscription:.0f} B (resident growth while
{o.subscribers - 1:,} owners subscribed: {rss}); the members are held once. Expanded into
per-subscriber edges at 12 B each, the same lists would take {expanded / 1e9:.1f} GB.
"""
