"""The rows of a bulk import: new persons and plain boundaries, in the store's key order.

A store loads rows in the order of its key fastest: persons by id, boundaries
by (owner, id). Both orders are found here on numbers (each person's place
among the ids, each boundary's digest, see ``core.plain_ids``), and the rows
are made chunk by chunk as the store asks for them, with only the columns that
vary: every other column of a plain boundary is alike in all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat

import numpy as np
import numpy.typing as npt

from nocontact.core.edges import CODES, kind_of
from nocontact.core.model import Disclosure, Instant, OnEnd
from nocontact.core.plain_ids import plain_digests, plain_ids
from nocontact.store.base import REVISION, Bulk

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]
Chunks = Iterator[Iterable[Sequence[object]]]

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
) -> tuple[Bulk, Bulk]:
    """The persons ``ids`` and the plain boundaries ``owners[i]`` toward ``targets[i]``
    with ``codes[i]`` (indexes into ``ids``), as two bulks for ``Store.bulk_insert``.

    ``progress(n)`` hears how many boundaries are written so far (as the store
    asks for the next ``chunk`` of them), not yet committed.
    """
    names = np.array(ids, dtype=object)
    rank = _ranks(ids)
    digests = plain_digests(ids, owners, targets, codes, key)
    order = np.argsort(_key_order(rank[owners], digests))
    kinds = np.array([kind_of(c) for c in range(CODES)], dtype=object)

    def persons() -> Chunks:
        by_id = np.empty_like(rank)
        by_id[rank] = np.arange(rank.size)
        yield zip(names[by_id].tolist(), repeat(now))

    def boundaries() -> Chunks:
        for lo in range(0, order.size, chunk):
            part = order[lo : lo + chunk]
            yield zip(
                plain_ids(digests[part]),
                names[owners[part]].tolist(),
                kinds[codes[part]].tolist(),
                names[targets[part]].tolist(),
                repeat(now),
            )
            if progress is not None:
                progress(min(lo + chunk, order.size))

    return (
        Bulk("persons", ("id", "created"), _Again(persons), {"name": None}),
        Bulk(
            "boundaries",
            ("id", "owner", "kind", "target", "starts"),
            _Again(boundaries),
            PLAIN_SAME,
        ),
    )


def _key_order(owner_rank: I64, digests: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """One number per boundary that sorts as (owner, id) do: the owner's place in the
    high bits, the digest's first bits below (a tie only leaves two rows unsorted)."""
    bits = max(int(owner_rank.max(initial=0)).bit_length(), 1)
    return (owner_rank.astype(np.uint64) << np.uint64(64 - bits)) | (digests >> np.uint64(bits))


def _ranks(ids: list[str]) -> I64:
    """Each person's place among ``ids`` in the store's order of text (by code point,
    which is the order of their UTF-8 bytes too)."""
    rank = np.empty(len(ids), np.int64)
    rank[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
    return rank
