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
    #: int64: person ``i`` is ``names[ends[i - 1]:ends[i]]`` (from 0 for the first).
    ends: bytes
    key: bytes

    @classmethod
    def of(cls, persons: Sequence[str], key: bytes) -> Digester:
        encoded = [p.encode("ascii") for p in persons]
        ends = np.cumsum([len(n) for n in encoded], dtype=np.int64)
        return cls(b"".join(encoded), ends.tobytes(), key)

    def __call__(self, owners: I64, targets: I64, codes: U8) -> U64:
        o = np.ascontiguousarray(owners, np.int64)
        t = np.ascontiguousarray(targets, np.int64)
        c = np.ascontiguousarray(codes, np.uint8)
        keyed = hashlib.blake2b(digest_size=8, key=self.key)
        offsets = np.concatenate(([0], np.frombuffer(self.ends, np.int64)))
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


def plain_ids(digests: U64) -> list[str]:
    """The ids (``b_`` and 16 hex digits) of ``digests``, as ``plain_id`` writes them."""
    numbers = np.ascontiguousarray(digests, np.uint64)
    if _KERNEL is None:
        return [f"b_{d:016x}" for d in numbers.tolist()]
    found: list[str] = _KERNEL.ids(numbers)
    return found
