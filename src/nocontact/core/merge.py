"""Folding the overlay's plain boundaries into new edges, in steps a writer need not wait for.

A merge rebuilds every edge (about a second per ten million), so it is cut in
four steps, and only the light ones need the writers' lock:

1. ``Index.merge_start`` (under the lock, constant time): note the current edges
   and how long the ``PlainLog`` is.
2. ``build`` (no lock, the heavy numpy work): new edges from the live edges and
   the plain boundaries the log held at the start.
3. ``Index.merge_install`` (under the lock, time in the writes made during the
   build): reconcile those writes, then swap the edges in.
4. ``Index.merge_tidy`` (under the lock, in small chunks): drop from the overlay
   the boundaries now held as edges too.

``Index.merge`` runs the four at once. Nothing here imports beyond the core.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .edges import ABSENT, I64, NONE, U8, Edges

I16 = npt.NDArray[np.int16]
#: Python lists become arrays this many items at a time, so the GIL is never held long.
CHUNK = 1 << 16
LOW = 0xFFFFFFFF
#: ``Plain.pair`` when there is no edge either way (always this tuple: test it with ``is``).
NO_CODES = (NONE, NONE)


@dataclass(frozen=True, slots=True, eq=False)
class Plain:
    """The edges and the pairs removed from them since they were built.

    Always replaced whole (one reference assignment), so a reader that takes
    ``index.plain`` once sees edges and removals that belong together.
    """

    edges: Edges
    #: Pairs (owner << 32 | target) whose edge was removed; grows until the next merge.
    dead: set[int]

    def code(self, owner: int, target: int) -> int:
        """The code of ``owner``'s live edge toward ``target``, or ``NONE``."""
        code = self.edges.code(owner, target)
        if code != NONE and self.dead and (owner << 32 | target) in self.dead:
            return NONE
        return code

    def pair(self, a: int, b: int) -> tuple[int, int]:
        """The codes of ``a``'s live edge toward ``b`` and of ``b``'s toward ``a`` (``NONE``: none).

        One compiled call when the kernel is built; the removals are looked at
        only for a code found.
        """
        view = self.edges.view
        if view is None:
            if not self.edges.maybe(a, b):  # the signatures prove it
                return NO_CODES
            own, other = self.code(a, b), self.code(b, a)
            return NO_CODES if own == other == NONE else (own, other)
        both = view.pair(a, b)
        return NO_CODES if both < 0 else self.decoded(a, b, both)

    def decoded(self, a: int, b: int, both: int) -> tuple[int, int]:
        """``pair`` from ``EdgesView.pair``'s answer (not negative) for the same numbers."""
        own, other = divmod(both, ABSENT + 1)
        own = NONE if own == ABSENT else own
        other = NONE if other == ABSENT else other
        if self.dead:
            dead = self.dead
            if own != NONE and (a << 32 | b) in dead:
                own = NONE
            if other != NONE and (b << 32 | a) in dead:
                other = NONE
        return NO_CODES if own == other == NONE else (own, other)

    def dead_mask(self, owners: I64 | int, targets: I64 | int) -> npt.NDArray[np.bool_]:
        dead = list(self.dead)  # one C call: a writer cannot change the set meanwhile
        return np.isin((owners << 32) | targets, np.array(dead, np.int64))

    def drop_dead(self, owners: I64 | int, targets: I64 | int, codes: U8) -> None:
        """Mark as ``ABSENT`` the codes of edges removed since the edges were built."""
        if self.dead and codes.size:
            codes[self.dead_mask(owners, targets)] = ABSENT

    def live(self) -> tuple[I64, I64, U8]:
        """Every edge not removed, as (owners, targets, codes)."""
        owners, targets, codes = self.edges.pairs()
        if self.dead:
            alive = ~self.dead_mask(owners, targets)
            owners, targets, codes = owners[alive], targets[alive], codes[alive]
        return owners, targets, codes


class PlainLog:
    """Plain boundaries added to the overlay, or removed (from it or from the edges), in order.

    An entry is a pair, a code (``-1 - code`` for a removal) and, for an
    addition, the boundary's id. A plain boundary is one (pair, code), so the
    last entry of each says whether it is there. Appended under the writers'
    lock; a merge reads the entries up to its start without it.
    """

    __slots__ = ("codes", "extras", "ids", "pairs")

    def __init__(self) -> None:
        self.pairs: list[int] = []
        self.codes: list[int] = []
        self.ids: list[str] = []
        #: The first ``extras`` entries share their pair with an edge: no merge folds them.
        self.extras = 0

    def __len__(self) -> int:
        return len(self.pairs)

    def add(self, pair: int, code: int, boundary_id: str) -> None:
        self.pairs.append(pair)
        self.codes.append(code)
        self.ids.append(boundary_id)

    def remove(self, pair: int, code: int) -> None:
        self.pairs.append(pair)
        self.codes.append(-1 - code)
        self.ids.append("")

    def copy(self, at: list[int]) -> PlainLog:
        """A log of the entries at ``at``, in that order."""
        out = PlainLog()
        for i in at:
            out.add(self.pairs[i], self.codes[i], self.ids[i])
        return out

    def present(self, upto: int) -> I64:
        """Positions (ascending) of the additions among the first ``upto`` entries still there."""
        pairs: I64 = _array(self.pairs, upto, np.int64)
        codes: I16 = _array(self.codes, upto, np.int16)
        return _still_there(pairs, codes)

    def triples(self) -> tuple[I64, I64, U8]:
        """The plain boundaries the log holds, as (owners, targets, codes)."""
        pairs: I64 = _array(self.pairs, len(self), np.int64)
        codes: I16 = _array(self.codes, len(self), np.int16)
        at = _still_there(pairs, codes)
        return pairs[at] >> 32, pairs[at] & LOW, codes[at].astype(np.uint8)


def _array(values: list[int], upto: int, dtype: type[np.generic]) -> npt.NDArray[Any]:
    """``values[:upto]`` as an array, converted a chunk at a time."""
    parts = [np.array(values[lo : min(lo + CHUNK, upto)], dtype) for lo in range(0, upto, CHUNK)]
    return np.concatenate(parts) if parts else np.empty(0, dtype)


def _still_there(pairs: I64, codes: I16) -> I64:
    """Positions of the additions that are the last entry of their (pair, code)."""
    n = pairs.size
    if not n:
        return np.empty(0, np.int64)
    code = np.where(codes < 0, -1 - codes, codes)
    order = np.lexsort((np.arange(n), code, pairs))  # by pair, then code, then position
    p, c = pairs[order], code[order]
    last = np.ones(n, np.bool_)
    last[:-1] = (p[1:] != p[:-1]) | (c[1:] != c[:-1])
    keep = order[last]
    found: I64 = np.sort(keep[codes[keep] >= 0]).astype(np.int64)
    return found


@dataclass(frozen=True, slots=True, eq=False)
class MergeJob:
    """What a merge starts from: taken under the lock, read without it."""

    plain: Plain
    log: PlainLog
    #: The log's entries before this one were written before the start.
    upto: int
    #: The index's edge generation at the start: a later install or load voids the job.
    generation: int
    numbers: int


@dataclass(frozen=True, slots=True, eq=False)
class Built:
    """New edges for a job, and which log entries they took in (folded) or left (extras)."""

    job: MergeJob
    edges: Edges
    folded: I64
    extras: I64


def build(job: MergeJob) -> Built:
    """The heavy step: new edges from the job's edges, removals and log (takes no lock).

    Entries are taken in log order after the live edges, so a plain boundary
    that shares its pair with an edge (or an earlier one) stays an extra. Only
    the changes are sorted (``Edges.merged``), so the build holds the GIL in
    short pieces and writers keep running meanwhile.
    """
    dead = np.sort(np.array(list(job.plain.dead), np.int64))  # list(): one C call, atomic
    at = job.log.present(job.upto)
    pairs: I64 = _array(job.log.pairs, job.upto, np.int64)[at]
    codes = _array(job.log.codes, job.upto, np.int16)[at].astype(np.uint8)
    edges, taken = job.plain.edges.merged(job.numbers, pairs >> 32, pairs & LOW, codes, dead)
    return Built(job, edges, at[taken], at[~taken])
