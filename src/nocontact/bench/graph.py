"""The benchmark's input: a heavy-tailed graph of boundaries and the queries asked of it.

Everything is drawn from ``numpy.random.default_rng`` with a fixed seed, so one seed gives
the same graph and the same queries on every machine.

Who sets boundaries and who receives them both follow power laws: person ``r`` (by a
random rank) is drawn with weight ``(r + 1) ** -exponent``, so a few people hold or
receive very many boundaries and most hold or receive a few. There are no self-loops and
at most one boundary per (owner, target) pair; the edges come sorted by owner, then
target. Kinds are mostly blocks and mutes, with some restricts, breaks and pledges
(``space`` needs an end, so it is not generated).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nocontact.core.model import Kind

I32 = npt.NDArray[np.int32]
U8 = npt.NDArray[np.uint8]
U64 = npt.NDArray[np.uint64]

#: Power-law exponents of the owners' and the targets' weights (in-degrees are the heavier).
OUT_EXPONENT = 0.7
IN_EXPONENT = 0.8
#: The share of each kind among generated boundaries.
KIND_MIX: dict[Kind, float] = {
    Kind.BLOCK: 0.45,
    Kind.MUTE: 0.35,
    Kind.RESTRICT: 0.08,
    Kind.BREAK: 0.06,
    Kind.PLEDGE: 0.06,
}
#: Kind codes as the engine's bulk path takes them: indexes into ``list(Kind)``.
KIND_CODES = {kind: list(Kind).index(kind) for kind in Kind}
#: Share of query pairs drawn from existing boundaries.
HIT_RATE = 0.01
FEED_SIZE = 1000
#: Rounds of weighted sampling before the remaining pairs are drawn uniformly.
_WEIGHTED_ROUNDS = 30


def person_id(number: int) -> str:
    """The person id of graph person ``number`` (ids need a letter)."""
    return f"u{number}"


@dataclass(frozen=True, eq=False)
class Graph:
    """``boundaries`` directed boundaries among ``people`` people, numbered 0..people-1."""

    people: int
    owners: I32
    targets: I32
    #: Indexes into ``list(Kind)``.
    kinds: U8
    seed: int

    @property
    def boundaries(self) -> int:
        return int(self.owners.size)

    def person_ids(self) -> list[str]:
        return [person_id(n) for n in range(self.people)]

    def keys(self) -> U64:
        """Each boundary packed as ``owner << 32 | target``, sorted (the generator's order)."""
        return pack(self.owners, self.targets)


@dataclass(frozen=True, eq=False)
class Workload:
    """The queries: pairs to decide, and feeds of candidate authors for viewers."""

    actors: I32
    targets: I32
    viewers: I32
    #: One row of candidate authors per viewer.
    candidates: I32

    @property
    def pairs(self) -> int:
        return int(self.actors.size)

    @property
    def feeds(self) -> int:
        return int(self.viewers.size)


def pack(owners: npt.NDArray[np.integer], targets: npt.NDArray[np.integer]) -> U64:
    return (owners.astype(np.uint64) << np.uint64(32)) | targets.astype(np.uint64)


def _heavy(
    rng: np.random.Generator, people: int, size: int, exponent: float, order: I32
) -> npt.NDArray[np.int64]:
    """``size`` people drawn with power-law weights (inverse CDF of ``x ** -exponent``)."""
    rise = 1.0 - exponent
    x = (1.0 + rng.random(size) * ((people + 1.0) ** rise - 1.0)) ** (1.0 / rise)
    rank = np.minimum(x.astype(np.int64) - 1, people - 1)
    drawn: npt.NDArray[np.int64] = order[rank].astype(np.int64)
    return drawn


def _distinct(keys: U64) -> U64:
    """Sorted distinct keys (a plain sort: faster here than ``np.unique``)."""
    keys.sort()
    keep = np.empty(keys.size, bool)
    keep[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    return keys[keep]


def _uniform(rng: np.random.Generator, people: int, size: int) -> U64:
    owners = rng.integers(0, people, size)
    targets = rng.integers(0, people - 1, size)
    targets += targets >= owners  # never the owner themself
    return pack(owners, targets)


def generate(
    people: int,
    boundaries: int,
    seed: int = 42,
    progress: Callable[[int], None] | None = None,
    *,
    out_exponent: float = OUT_EXPONENT,
) -> Graph:
    """The graph for ``seed``: ``boundaries`` distinct (owner, target) pairs, no self-loops.

    ``progress(n)`` is told how many distinct pairs have been drawn so far;
    ``out_exponent`` sets how heavy the owners' tail is (not 1).
    """
    if people < 2:
        raise ValueError("a graph needs at least 2 people")
    if boundaries < 1 or boundaries > people * (people - 1) // 2:
        raise ValueError(
            f"{boundaries:,} boundaries do not fit {people:,} people:"
            f" use at most {people * (people - 1) // 2:,} (half of all ordered pairs)"
        )
    rng = np.random.default_rng(seed)
    out_order = rng.permutation(people).astype(np.int32)
    in_order = rng.permutation(people).astype(np.int32)
    keys: U64 = np.empty(0, np.uint64)
    rounds = 0
    while keys.size < boundaries:
        size = int((boundaries - keys.size) * 1.1) + 64
        if rounds < _WEIGHTED_ROUNDS:
            owners = _heavy(rng, people, size, out_exponent, out_order)
            targets = _heavy(rng, people, size, IN_EXPONENT, in_order)
            fresh = pack(owners[owners != targets], targets[owners != targets])
        else:
            fresh = _uniform(rng, people, size)
        keys = _distinct(np.concatenate((keys, fresh)))
        rounds += 1
        if progress is not None:
            progress(min(int(keys.size), boundaries))
    if keys.size > boundaries:
        keys = np.sort(rng.choice(keys, boundaries, replace=False))
    kinds = rng.choice(
        np.array([KIND_CODES[k] for k in KIND_MIX], np.uint8),
        size=boundaries,
        p=np.array(list(KIND_MIX.values())),
    )
    return Graph(
        people=people,
        owners=(keys >> np.uint64(32)).astype(np.int32),
        targets=(keys & np.uint64(0xFFFFFFFF)).astype(np.int32),
        kinds=kinds.astype(np.uint8),
        seed=seed,
    )


def neighbours(graph: Graph, people: I32) -> list[I32]:
    """For each of ``people``: everyone they hold a boundary toward or receive one from."""
    by_target = np.argsort(graph.targets, kind="stable")
    sorted_targets = graph.targets[by_target]
    out_lo = np.searchsorted(graph.owners, people, "left")
    out_hi = np.searchsorted(graph.owners, people, "right")
    in_lo = np.searchsorted(sorted_targets, people, "left")
    in_hi = np.searchsorted(sorted_targets, people, "right")
    return [
        np.concatenate((graph.targets[a:b], graph.owners[by_target[c:d]]))
        for a, b, c, d in zip(out_lo, out_hi, in_lo, in_hi, strict=True)
    ]


def workload(
    graph: Graph,
    pairs: int,
    *,
    feeds: int | None = None,
    feed_size: int = FEED_SIZE,
    heavy: float = 0.0,
) -> Workload:
    """``pairs`` (actor, target) pairs, about 1% of them holding a boundary one way or the
    other, and ``feeds`` viewers (by default ``pairs // 100``, at least 20) with
    ``feed_size`` random candidate authors each, about 1% of them people the viewer has a
    boundary with, where the viewer has any.

    With ``heavy`` > 0, that share of the viewers and of the actors of the pairs without a
    boundary are owners of a random boundary instead: people drawn by their out-degree, so
    the heavy users are asked about as often as a product would ask about them.
    """
    rng = np.random.default_rng([graph.seed, 1])
    people = graph.people
    hits = min(round(pairs * HIT_RATE), pairs)
    edge = rng.integers(0, graph.boundaries, hits)
    flip = rng.random(hits) < 0.5
    hit_a = np.where(flip, graph.targets[edge], graph.owners[edge])
    hit_b = np.where(flip, graph.owners[edge], graph.targets[edge])
    miss = _uniform(rng, people, pairs - hits)
    miss_a = (miss >> np.uint64(32)).astype(np.int32)
    miss_b = (miss & np.uint64(0xFFFFFFFF)).astype(np.int32)
    if heavy > 0:
        _owners_of_random_boundaries(rng, graph, miss_a, heavy)
        miss_b[miss_b == miss_a] = (miss_b[miss_b == miss_a] + 1) % people  # never themself
    order = rng.permutation(pairs)
    actors = np.concatenate((hit_a, miss_a))[order]
    targets = np.concatenate((hit_b, miss_b))[order]

    feeds = max(20, pairs // 100) if feeds is None else feeds
    feed_size = min(feed_size, people - 1)
    viewers = rng.integers(0, people, feeds).astype(np.int32)
    if heavy > 0:
        _owners_of_random_boundaries(rng, graph, viewers, heavy)
    candidates = rng.integers(0, people - 1, (feeds, feed_size))
    candidates += candidates >= viewers[:, None]  # a viewer is not their own candidate
    related_share = max(1, feed_size // 100)
    for row, related in enumerate(neighbours(graph, viewers)):
        if related.size:
            slots = rng.choice(feed_size, min(related_share, related.size), replace=False)
            candidates[row, slots] = rng.choice(related, slots.size, replace=False)
    return Workload(
        actors=actors.astype(np.int32),
        targets=targets.astype(np.int32),
        viewers=viewers,
        candidates=candidates.astype(np.int32),
    )


def _owners_of_random_boundaries(
    rng: np.random.Generator, graph: Graph, people: I32, share: float
) -> None:
    """Replace ``share`` of ``people`` (in place) with owners of random boundaries."""
    chosen = np.flatnonzero(rng.random(people.size) < share)
    people[chosen] = graph.owners[rng.integers(0, graph.boundaries, chosen.size)]
