"""The rows of a bulk import: new persons and plain boundaries, in the store's key order.

A store loads rows in the order of its key fastest: persons by id, boundaries
by (owner, id). Both orders are found here on numbers (each person's place
among the ids, each boundary's digest, see ``core.plain_ids``), and the rows
are made piece by piece as the store asks for them, with only the columns that
vary: every other column of a plain boundary is alike in all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise, repeat

import numpy as np
import numpy.typing as npt

from nocontact.core.edges import CODES, kind_of
from nocontact.core.model import Disclosure, Instant, OnEnd
from nocontact.core.plain_ids import U64, Digester
from nocontact.engine.hashing import AHEAD_FROM, digests_ahead
from nocontact.store.base import REVISION, Bulk

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]
Chunks = Iterator[Iterable[Sequence[object]]]

#: Boundaries written by one statement (``Bulk``): fewer statements run, each
#: binding more; about as fast from 32 to 128.
GROUP = 64

#: The columns of an imported boundary that are alike in every one.
PLAIN_SAME: dict[str, object] = {
    "scope": "everywhere",
    "channels": None,
    "ends": None,
    "disclosure": Disclosure.SILENT.value,
    "note": None,
    "keep_evidence": 0,
    "on_end": OnEnd.DELIVER.value,
    "target_person": None,
    "revision": REVISION,
    "plain": 1,
}


@dataclass(frozen=True, slots=True)
class _Again:
    """Chunks made anew each time they are iterated: a store may retry a transaction."""

    make: Callable[[], Chunks]

    def __iter__(self) -> Chunks:
        return self.make()


def import_bulks(
    ids: list[str],
    owners: I64,
    targets: I64,
    codes: U8,
    *,
    now: Instant,
    key: bytes,
    chunk: int,
    progress: Callable[[int], None] | None,
    ahead: bool | None = None,
) -> tuple[Bulk, Bulk]:
    """The persons ``ids`` and the plain boundaries ``owners[i]`` toward ``targets[i]``
    with ``codes[i]`` (indexes into ``ids``), as two bulks for ``Store.bulk_insert``.

    The boundaries come in pieces of about ``chunk``, an owner never cut across two,
    so each piece put in key order on its own keeps the whole in key order; their
    digests are hashed ahead in another process (``hashing``) when ``ahead`` says so
    (by default: from ``AHEAD_FROM`` boundaries). ``progress(n)`` hears how many
    boundaries are written so far (as the store asks for the next piece), not yet
    committed.
    """
    names = np.array(ids, dtype=object)
    rank = _ranks(ids)
    owner_rank = rank[owners]
    by_owner = np.argsort(owner_rank)
    cuts = _cuts(owner_rank[by_owner], chunk)
    pieces = [by_owner[lo:hi] for lo, hi in pairwise(cuts.tolist())]
    digester = Digester.of(ids, key)
    hashed = digests_ahead(
        digester,
        [(owners[part], targets[part], codes[part]) for part in pieces],
        ahead=owners.size >= AHEAD_FROM if ahead is None else ahead,
    )
    kinds = tuple(kind_of(c) for c in range(CODES))
    ordered: list[tuple[I64, U64]] = []  # each piece in key order, kept for a retry

    def in_order(i: int) -> tuple[I64, U64]:
        while len(ordered) <= i:
            part, digests = pieces[len(ordered)], next(hashed)
            order = _by_owner_then_id(owner_rank[part], digests)
            ordered.append((part[order], digests[order]))
        return ordered[i]

    def persons() -> Chunks:
        by_id = np.empty_like(rank)
        by_id[rank] = np.arange(rank.size)
        yield zip(names[by_id].tolist(), repeat(now))

    def boundaries() -> Chunks:
        written = 0
        for i in range(len(pieces)):
            part, digests = in_order(i)
            yield digester.rows(
                digests, owners[part], targets[part], codes[part],
                kinds=kinds, now=now, group=GROUP,
            )  # fmt: skip
            written += part.size
            if progress is not None:
                progress(written)

    return (
        Bulk("persons", ("id", "created"), _Again(persons), {"name": None}),
        Bulk(
            "boundaries",
            ("id", "owner", "kind", "target", "starts"),
            _Again(boundaries),
            PLAIN_SAME,
        ),
    )


def _cuts(sorted_owners: I64, chunk: int) -> I64:
    """Where each piece starts (and, last, where the rows end): about every ``chunk``
    rows, each moved on to where the next owner's rows begin."""
    n = sorted_owners.size
    owner_starts = np.flatnonzero(np.diff(sorted_owners)) + 1
    at = np.searchsorted(owner_starts, np.arange(chunk, n, chunk))
    starts = owner_starts[at[at < owner_starts.size]]
    return np.unique(np.concatenate(([0], starts, [n]))).astype(np.int64)


def _by_owner_then_id(owners: I64, digests: U64) -> I64:
    """The order of a piece's rows by owner (``owners`` come sorted), then by digest.

    One sort of a single key, each owner's place in the piece above the digest's
    top bits, is several times faster than sorting by two keys; should two such
    keys tie (digests alike in their top bits under one owner), by two keys."""
    place = np.zeros(owners.size, np.uint64)
    np.cumsum(owners[1:] != owners[:-1], out=place[1:])
    bits = max(1, int(place[-1]).bit_length()) if place.size else 1
    keys = (place << np.uint64(64 - bits)) | (digests >> np.uint64(bits))
    order = np.argsort(keys)
    keys = keys[order]
    if np.any(keys[1:] == keys[:-1]):
        order = np.lexsort((digests, owners))
    return order.astype(np.int64, copy=False)


def _ranks(ids: list[str]) -> I64:
    """Each person's place among ``ids`` in the store's order of text (by code point,
    which is the order of their UTF-8 bytes too)."""
    rank = np.empty(len(ids), np.int64)
    rank[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
    return rank
