"""Plain boundaries' ids for whole arrays at once (a bulk import's millions).

``plain_id`` (``core.edges``) names one plain boundary by the keyed BLAKE2b-64
of what it is. Here the same digests come as one ``uint64`` array, each read as
a big-endian number so that numbers sort as the ids do (a store loads rows in
key order fastest), and become ids only when rows are written. The compiled
kernel ``_plainids`` runs the loop in C and hashes with hashlib's keyed state,
as the pure twin does; both answer alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, repeat

import numpy as np
import numpy.typing as npt

from .compiled import kernel

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]
U64 = npt.NDArray[np.uint64]

_KERNEL = kernel("_plainids")


def plain_digests(persons: Sequence[str], owners: I64, targets: I64, codes: U8, key: bytes) -> U64:
    """The digest of each plain boundary ``persons[owners[i]]`` toward
    ``persons[targets[i]]`` with ``codes[i]``; ``plain_ids`` makes them ids."""
    return Digester.of(persons, key)(owners, targets, codes)


@dataclass(frozen=True, slots=True)
class Digester:
    """``plain_digests`` over persons encoded once, for an import asked piece by piece
    (and sent whole to another process: it is three values)."""

    #: Every person id, ASCII (``check_person_id``), one after another.
    names: bytes
    #: int64, one more than persons: person ``i`` is ``names[offsets[i]:offsets[i + 1]]``.
    offsets: bytes
    key: bytes

    @classmethod
    def of(cls, persons: Sequence[str], key: bytes) -> Digester:
        encoded = [p.encode("ascii") for p in persons]
        offsets = np.zeros(len(encoded) + 1, np.int64)
        np.cumsum([len(n) for n in encoded], out=offsets[1:])
        return cls(b"".join(encoded), offsets.tobytes(), key)

    def _offsets(self) -> I64:
        return np.frombuffer(self.offsets, np.int64)

    def __call__(self, owners: I64, targets: I64, codes: U8) -> U64:
        o = np.ascontiguousarray(owners, np.int64)
        t = np.ascontiguousarray(targets, np.int64)
        c = np.ascontiguousarray(codes, np.uint8)
        keyed = hashlib.blake2b(digest_size=8, key=self.key)
        offsets = self._offsets()
        out = np.empty(o.size, np.uint64)
        if _KERNEL is None:
            names = self.names
            bounds = offsets.tolist()
            for i, (a, b, code) in enumerate(zip(o.tolist(), t.tolist(), c.tolist(), strict=True)):
                h = keyed.copy()
                owner, target = names[bounds[a] : bounds[a + 1]], names[bounds[b] : bounds[b + 1]]
                h.update(b"%s\0%s\0%d" % (owner, target, code))
                out[i] = int.from_bytes(h.digest(), "big")
        else:
            _KERNEL.digests(self.names, offsets, o, t, c, keyed, out)
        return out

    def rows(
        self, digests: U64, owners: I64, targets: I64, codes: U8, *,
        kinds: tuple[str, ...], now: object, group: int,
    ) -> list[tuple[object, ...]]:  # fmt: skip
        """The rows ``(id, owner, kind, target, now)`` of plain boundaries (``codes``
        index ``kinds``), ``group`` rows' values one after another in each tuple and
        the rest in the last: a store writes a tuple with one statement (``Bulk``)."""
        d = np.ascontiguousarray(digests, np.uint64)
        o = np.ascontiguousarray(owners, np.int64)
        t = np.ascontiguousarray(targets, np.int64)
        c = np.ascontiguousarray(codes, np.uint8)
        offsets = self._offsets()
        if group < 1 or not d.size == o.size == t.size == c.size:
            raise ValueError("rows: arrays of one length and a group of at least 1")
        if o.size and (min(o.min(), t.min()) < 0 or max(o.max(), t.max()) >= offsets.size - 1
                       or c.max() >= len(kinds)):  # fmt: skip
            raise ValueError("rows: owners, targets and codes must index the persons and kinds")
        if _KERNEL is not None:
            found: list[tuple[object, ...]] = _KERNEL.rows(
                d, o, t, c, self.names, offsets, kinds, now, group
            )
            return found
        bounds, names = offsets.tolist(), self.names

        def person(i: int) -> str:
            return names[bounds[i] : bounds[i + 1]].decode("ascii")

        values = list(chain.from_iterable(zip(
            plain_ids(d), map(person, o.tolist()), [kinds[i] for i in c.tolist()],
            map(person, t.tolist()), repeat(now),
        )))  # fmt: skip
        step = 5 * group
        return [tuple(values[i : i + step]) for i in range(0, len(values), step)]


def plain_ids(digests: U64) -> list[str]:
    """The ids (``b_`` and 16 hex digits) of ``digests``, as ``plain_id`` writes them."""
    numbers = np.ascontiguousarray(digests, np.uint64)
    if _KERNEL is None:
        return [f"b_{d:016x}" for d in numbers.tolist()]
    found: list[str] = _KERNEL.ids(numbers)
    return found
