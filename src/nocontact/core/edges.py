"""Plain boundaries between persons, packed into compressed sparse rows both ways.

Most boundaries a product holds are plain: a person toward a person, everywhere,
on every channel, with no end and no note (a block, a mute). Those are kept here
as integers only: for each owner the sorted target numbers with one code byte
each (kind, disclosure, evidence), the same edges filed by target, and per
person a 64-bit signature of everyone they share an edge with. About 13 bytes a
boundary where a dict of sets spends two hundred.

"Any boundary between A and B, either way?" is two signature words for almost
every pair (a clear bit proves there is none), and a binary search in a short
row for the rest, from Python or vectorised over whole batches.

The arrays never change once built; the index keeps later writes in its own
overlay and a set of removed pairs, and builds new ``Edges`` to merge them.
Boundaries that are not plain (patterns, addresses, scopes, channels, ends,
notes) live in the index's overlay, never here.
"""

from __future__ import annotations

import hashlib
import io
from bisect import bisect_left
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from .compiled import kernel
from .model import Boundary, Disclosure, Kind, is_person_id

_KERNEL = kernel("_kernel")
_IDS = kernel("_plainids")

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]
U64 = npt.NDArray[np.uint64]

T = TypeVar("T", bound=np.generic)

KINDS: tuple[Kind, ...] = tuple(Kind)
#: Codes run from 0 to CODES - 1: kind * 4 + 2 * (disclosure is unavailable) + evidence.
CODES = len(KINDS) * 4
NONE = -1
#: The vectorised reads' "no edge": one past the last code, so codes index tables directly.
ABSENT = CODES


def plain_code(kind: Kind, disclosure: Disclosure, keep_evidence: bool) -> int:
    return KINDS.index(kind) * 4 + 2 * (disclosure is Disclosure.UNAVAILABLE) + int(keep_evidence)


def kind_of(code: int) -> str:
    return KINDS[code // 4].value


def is_plain(b: Boundary) -> bool:
    """Whether a boundary can be an edge: person to person, everywhere, always, no note."""
    return (
        is_person_id(b.target)
        and b.scope == "everywhere"
        and b.channels is None
        and b.ends is None
        and b.note is None
        and b.target_person is None
        and b.on_end.value == "deliver"
    )


def edge_code(b: Boundary, key: bytes = b"") -> int | None:
    """The code of a boundary kept as an edge (set plain, under its plain id), or None."""
    if not is_plain(b):
        return None
    code = plain_code(b.kind, b.disclosure, b.keep_evidence)
    return code if b.id == plain_id(b.owner, b.target, code, key) else None


def plain_id(owner: str, target: str, code: int, key: bytes = b"") -> str:
    """A plain boundary's id follows from what it is, so edges need not store it.

    ``key`` is the database's secret: the same boundary has a different id in
    every database, so an id tells nobody outside it who holds what toward whom.
    """
    digest = _hasher(key).copy()  # a copy of a keyed state: a third cheaper than a new one
    digest.update(f"{owner}\0{target}\0{code}".encode())
    return "b_" + digest.hexdigest()


def plain_namer(key: bytes) -> Callable[[str, str, int], str]:
    """``plain_id`` with ``key`` given: the compiled one-call version when built."""
    if _IDS is None:
        return partial(_keyed_plain_id, key)
    return partial(_IDS.one, _hasher(key))


def _keyed_plain_id(key: bytes, owner: str, target: str, code: int) -> str:
    return plain_id(owner, target, code, key)


@cache
def _hasher(key: bytes) -> hashlib.blake2b:
    return hashlib.blake2b(digest_size=8, key=key)


def plain_boundary(owner: str, target: str, code: int, key: bytes = b"") -> Boundary:
    """The boundary an edge stands for, as the deciding code needs it."""
    kind, rest = divmod(code, 4)
    return Boundary(
        id=plain_id(owner, target, code, key),
        owner=owner,
        kind=KINDS[kind],
        target=target,
        disclosure=Disclosure.UNAVAILABLE if rest & 2 else Disclosure.SILENT,
        keep_evidence=bool(rest & 1),
    )


def _signatures(n: int, owners: I64, targets: I64) -> U64:
    """Per person, a 64-bit word with bit ``q % 64`` set for everyone ``q`` they share an edge with.

    An edge between ``a`` and ``b`` (either way) sets bit ``b % 64`` of ``a``'s word
    and bit ``a % 64`` of ``b``'s; a pair missing either bit has no edge at all.
    Eight bytes a person proves most pairs quiet with two word reads.
    """
    one = np.uint64(1)
    sig = np.zeros(n, np.uint64)
    np.bitwise_or.at(sig, owners, one << (targets & 63).astype(np.uint64))
    np.bitwise_or.at(sig, targets, one << (owners & 63).astype(np.uint64))
    return sig


def _rows(n: int, keys: I64, values: I64, codes: U8) -> tuple[I64, I32, U8]:
    """Sort edges by (key, value) and cut them into rows of ``n`` offsets."""
    order = np.lexsort((values, keys))
    keys = keys[order]
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(keys, minlength=n), out=offsets[1:])
    return offsets, values[order].astype(np.int32), codes[order]


@dataclass(frozen=True, eq=False)
class Edges:
    """``n`` numbers' plain boundaries: forward rows by owner, reverse rows by target."""

    n: int
    fwd_off: I64
    fwd_tgt: I32
    fwd_code: U8
    rev_off: I64
    rev_src: I32
    rev_code: U8
    #: Neighbour signatures: a clear bit proves no edge either way (see ``_signatures``).
    sig: U64

    signatures: memoryview = field(init=False, repr=False)
    sig_words: I64 = field(init=False, repr=False)
    #: The compiled batch reads' hold on these arrays (``_kernel.EdgesView``), or None.
    view: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # memoryviews index to plain ints an order of magnitude faster than numpy
        # scalars, which is what the single-decision path needs.
        object.__setattr__(self, "_off", self.fwd_off.data)
        object.__setattr__(self, "_rev", self.rev_off.data)
        object.__setattr__(self, "_tgt", self.fwd_tgt.data)
        object.__setattr__(self, "_code", self.fwd_code.data)
        object.__setattr__(self, "signatures", self.sig.data)
        # As signed words: shifting those right keeps every bit the batch paths test.
        object.__setattr__(self, "sig_words", self.sig.view(np.int64))
        object.__setattr__(self, "view", self._kernel_view())

    def _kernel_view(self) -> Any:
        """Made once per edges (they never change), so a batch read takes no buffer of its own."""
        if _KERNEL is None:
            return None
        try:
            return _KERNEL.EdgesView(*(getattr(self, name) for name in _ARRAYS), ABSENT)
        except (TypeError, ValueError, BufferError):  # arrays it cannot read: the numpy path
            return None

    @classmethod
    def empty(cls) -> Edges:
        return cls.build(0, np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.uint8))

    @classmethod
    def build(
        cls, n: int, owners: npt.ArrayLike, targets: npt.ArrayLike, codes: npt.ArrayLike
    ) -> Edges:
        """Edges from parallel arrays, at most one per (owner, target): see ``first_per_pair``."""
        o = np.asarray(owners, np.int64)
        t = np.asarray(targets, np.int64)
        c = np.asarray(codes, np.uint8)
        fwd_off, fwd_tgt, fwd_code = _rows(n, o, t, c)
        rev_off, rev_src, rev_code = _rows(n, t, o, c)
        sig = _signatures(n, o, t)
        return cls(n, fwd_off, fwd_tgt, fwd_code, rev_off, rev_src, rev_code, sig)

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> Edges:
        n = int(arrays["fwd_off"].size) - 1
        return cls(n, *(arrays[name] for name in _ARRAYS))

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in _ARRAYS}

    @property
    def size(self) -> int:
        return int(self.fwd_tgt.size)

    def nbytes(self) -> dict[str, int]:
        forward = self.fwd_off.nbytes + self.fwd_tgt.nbytes + self.fwd_code.nbytes
        reverse = self.rev_off.nbytes + self.rev_src.nbytes + self.rev_code.nbytes
        return {
            "forward rows": forward,
            "reverse rows": reverse,
            "signatures": self.sig.nbytes,
        }

    # -- one pair, from Python ------------------------------------------------

    def maybe(self, a: int, b: int) -> bool:
        """False proves there is no edge between ``a`` and ``b`` either way."""
        n = self.n
        if a >= n or b >= n:
            return False
        sig = self.signatures
        return bool(sig[a] >> (b & 63) & sig[b] >> (a & 63) & 1)

    def code(self, owner: int, target: int) -> int:
        """The code of ``owner``'s plain boundary toward ``target``, or ``NONE``."""
        if owner >= self.n:
            return NONE
        off: memoryview = self._off  # type: ignore[attr-defined]
        lo = off[owner]
        hi = off[owner + 1]
        if lo == hi:
            return NONE
        tgt: memoryview = self._tgt  # type: ignore[attr-defined]
        i = bisect_left(tgt, target, lo, hi)
        if i != hi and tgt[i] == target:
            return int(self._code[i])  # type: ignore[attr-defined]
        return NONE

    # -- whole batches ----------------------------------------------------------

    def maybe_many(self, a: I64, b: I64) -> npt.NDArray[np.bool_]:
        """For each pair, False proves there is no edge between them either way."""
        if not self.n:
            return np.zeros(a.size, np.bool_)
        # take(clip): a number past the edges has none, so any word gives a right "maybe".
        words = self.sig_words
        both = (words.take(a, mode="clip") >> (b & 63)) & (words.take(b, mode="clip") >> (a & 63))
        found: npt.NDArray[np.bool_] = (both & 1).astype(np.bool_)
        return found

    def codes(self, owners: I64, targets: I64) -> U8:
        """For each pair, the code of the owner's boundary toward the target, or ``ABSENT``."""
        out = np.full(owners.size, ABSENT, np.uint8)
        inside = np.flatnonzero(owners < self.n)
        if inside.size != owners.size:
            owners, targets = owners[inside], targets[inside]
        else:
            inside = np.arange(owners.size)
        lo = self.fwd_off[owners]
        end = self.fwd_off[owners + 1]
        live = lo < end
        who, lo, hi, want = inside[live], lo[live], end[live], targets[live]
        end = hi
        tgt = self.fwd_tgt
        # A binary search in every row at once; pairs leave as their row is exhausted.
        while who.size:
            mid = (lo + hi) >> 1
            less = tgt[mid] < want
            lo = np.where(less, mid + 1, lo)
            hi = np.where(less, hi, mid)
            done = lo >= hi
            if not done.any():
                continue
            at, stop, got, whom = lo[done], end[done], want[done], who[done]
            found = at < stop
            at, got, whom = at[found], got[found], whom[found]
            hit = tgt[at] == got
            out[whom[hit]] = self.fwd_code[at[hit]]
            going = ~done
            who, lo, hi, want, end = who[going], lo[going], hi[going], want[going], end[going]
        return out

    def row(self, owner: int) -> tuple[I32, U8]:
        """``owner``'s targets, sorted, and their codes."""
        if owner >= self.n:
            return _NO_ROW
        off: memoryview = self._off  # type: ignore[attr-defined]
        lo, hi = off[owner], off[owner + 1]
        return self.fwd_tgt[lo:hi], self.fwd_code[lo:hi]

    def column(self, target: int) -> tuple[I32, U8]:
        """Who holds a plain boundary toward ``target``, sorted, and their codes."""
        if target >= self.n:
            return _NO_ROW
        off: memoryview = self._rev  # type: ignore[attr-defined]
        lo, hi = off[target], off[target + 1]
        return self.rev_src[lo:hi], self.rev_code[lo:hi]

    def merged(
        self, n: int, owners: I64, targets: I64, codes: U8, dead: I64
    ) -> tuple[Edges, npt.NDArray[np.bool_]]:
        """These edges without the ``dead`` pairs (sorted), with the given ones added.

        What ``build`` gives for the live edges followed by the additions, but
        only the changes are sorted: the rows are spliced, and only the
        signatures of persons who lost an edge are computed again. An addition
        whose pair has a live edge, or an earlier addition, is not taken: the
        mask says which are.
        """
        n = max(n, self.n)
        d_o, d_t = dead >> 32, dead & _LOW
        at, hit = _find(self.fwd_off, self.fwd_tgt, d_o, d_t)
        gone_at, gone_o, gone_t = at[hit], d_o[hit], d_t[hit]
        found_at, found = _find(self.fwd_off, self.fwd_tgt, owners, targets)
        live = found & ~_member((owners << 32) | targets, dead)
        taken = first_per_pair(owners, targets) & ~live
        o, t, c = owners[taken], targets[taken], codes[taken]
        by_owner = np.lexsort((t, o))
        fwd = _splice(self.fwd_off, self.fwd_tgt, self.fwd_code, n, gone_at, gone_o,
                      found_at[taken][by_owner], o[by_owner], t[by_owner], c[by_owner])  # fmt: skip
        rev_gone, _ = _find(self.rev_off, self.rev_src, gone_t, gone_o)
        by_target = np.lexsort((o, t))
        rev_at, _ = _find(self.rev_off, self.rev_src, t[by_target], o[by_target])
        rev = _splice(self.rev_off, self.rev_src, self.rev_code, n, rev_gone, gone_t,
                      rev_at, t[by_target], o[by_target], c[by_target])  # fmt: skip
        sig = np.zeros(n, np.uint64)
        sig[: self.n] = self.sig
        _add_bits(sig, o, t)
        _add_bits(sig, t, o)
        if gone_at.size:  # those who lost an edge: their words from their rows again
            again = np.unique(np.concatenate((gone_o, gone_t)))
            sig[again] = 0
            for off, values in ((fwd[0], fwd[1]), (rev[0], rev[1])):
                lens = off[again + 1] - off[again]
                _add_bits(sig, np.repeat(again, lens), values[_ranges(off[again], lens)])
        return Edges(n, *fwd, *rev, sig), taken

    def pairs(self) -> tuple[I64, I64, U8]:
        """Every edge as (owners, targets, codes), sorted by owner then target."""
        owners = np.repeat(np.arange(self.n, dtype=np.int64), np.diff(self.fwd_off))
        return owners, self.fwd_tgt.astype(np.int64), self.fwd_code


def first_per_pair(owners: I64, targets: I64) -> npt.NDArray[np.bool_]:
    """Which entries are the first for their (owner, target): the others cannot be edges."""
    first = np.zeros(owners.size, np.bool_)
    if owners.size:
        _, at = np.unique((owners << 32) | targets, return_index=True)
        first[at] = True
    return first


_LOW = 0xFFFFFFFF


def _add_bits(sig: U64, people: I64, others: npt.NDArray[np.integer[Any]]) -> None:
    """Set bit ``other % 64`` in the word of each person (see ``_signatures``)."""
    if people.size:
        np.bitwise_or.at(sig, people, np.uint64(1) << (others & 63).astype(np.uint64))


def _ranges(starts: I64, lens: I64) -> I64:
    """The positions ``starts[i] .. starts[i] + lens[i] - 1`` of every range, in order."""
    total = int(lens.sum())
    shifts = np.repeat(starts - np.cumsum(lens) + lens, lens)
    found: I64 = np.arange(total, dtype=np.int64) + shifts
    return found


def _member(keys: I64, sorted_keys: I64) -> npt.NDArray[np.bool_]:
    """For each key, whether it is in ``sorted_keys``."""
    if not sorted_keys.size:
        return np.zeros(keys.size, np.bool_)
    at = sorted_keys.searchsorted(keys).clip(0, sorted_keys.size - 1)
    found: npt.NDArray[np.bool_] = sorted_keys[at] == keys
    return found


def _find(off: I64, values: I32, rows: I64, wanted: I64) -> tuple[I64, npt.NDArray[np.bool_]]:
    """Where each wanted value is, or would go, in its sorted row; and whether it is there."""
    n = off.size - 1
    lo = off[np.minimum(rows, n)]
    end = off[np.minimum(rows + 1, n)]
    hi = end.copy()
    active = np.flatnonzero(lo < hi)
    while active.size:  # a binary search in every row at once
        mid = (lo[active] + hi[active]) >> 1
        less = values[mid] < wanted[active]
        lo[active] = np.where(less, mid + 1, lo[active])
        hi[active] = np.where(less, hi[active], mid)
        active = active[lo[active] < hi[active]]
    inside = lo < end
    found = np.zeros(rows.size, np.bool_)
    found[inside] = values[lo[inside]] == wanted[inside]
    return lo, found


def _splice(
    off: I64, values: I32, codes: U8, n: int,
    gone: I64, gone_rows: I64, at: I64, rows: I64, new: I64, new_codes: U8,
) -> tuple[I64, I32, U8]:  # fmt: skip
    """Rows with the entries at ``gone`` taken out and ``new`` put in at ``at`` (sorted)."""
    counts = np.zeros(n, np.int64)
    counts[: off.size - 1] = np.diff(off)
    counts += np.bincount(rows, minlength=n) - np.bincount(gone_rows, minlength=n)
    new_off = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=new_off[1:])
    gone = np.sort(gone)
    spliced = _spliced(values, gone, at, new.astype(np.int32))
    return new_off, spliced, _spliced(codes, gone, at, new_codes)


#: Entries copied at a time: numpy holds the GIL while it copies, a millisecond or so here.
SPLICE_CHUNK = 1 << 20


def _spliced(values: npt.NDArray[T], gone: I64, at: I64, new: npt.NDArray[T]) -> npt.NDArray[T]:
    """``values`` without the entries at ``gone``, ``new`` put in before the entries at ``at``.

    ``gone`` and ``at`` are sorted. Done a chunk at a time so another thread
    (a writer) never waits long for the GIL.
    """
    out = np.empty(values.size - gone.size + new.size, values.dtype)
    cursor = 0
    for lo in range(0, values.size + 1, SPLICE_CHUNK):
        hi = min(lo + SPLICE_CHUNK, values.size)
        last = hi == values.size  # the last chunk also takes what goes at the very end
        g = gone[gone.searchsorted(lo) : gone.searchsorted(hi)]
        first, stop = at.searchsorted(lo), at.size if last else at.searchsorted(hi)
        where = at[first:stop]
        # After the removals, an insertion moves left by the removals before it.
        part = np.insert(np.delete(values[lo:hi], g - lo), where - lo - g.searchsorted(where),
                         new[first:stop])  # fmt: skip
        out[cursor : cursor + part.size] = part
        cursor += part.size
        if last:
            break
    return out


_ARRAYS = ("fwd_off", "fwd_tgt", "fwd_code", "rev_off", "rev_src", "rev_code", "sig")
_NO_ROW: tuple[I32, U8] = (np.empty(0, np.int32), np.empty(0, np.uint8))


def lookup(row: I32, codes: U8, wanted: I64) -> U8:
    """For each wanted number, its code in a sorted row, or ``ABSENT``."""
    if not row.size:
        return np.full(wanted.size, ABSENT, np.uint8)
    at = row.searchsorted(wanted)
    found: U8 = np.where(row.take(at, mode="clip") == wanted, codes.take(at, mode="clip"), ABSENT)
    return found


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """The index's plain boundaries as of one revision, and the numbering they use."""

    #: The index's numbering as arrays (``Index.numbering``): keys, persons, addresses.
    numbering: Mapping[str, npt.NDArray[Any]]
    edges: Edges
    #: Plain boundaries sharing a pair with an edge: (owners, targets, codes).
    extras: tuple[I64, I64, U8]

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        o, t, c = self.extras
        arrays: dict[str, Any] = {"extra_o": o, "extra_t": t, "extra_c": c}
        arrays.update(self.numbering)
        arrays.update(self.edges.arrays())
        np.savez(out, **arrays)
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Checkpoint:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            edges = Edges.from_arrays({name: arrays[name] for name in _ARRAYS})
            extras = (arrays["extra_o"], arrays["extra_t"], arrays["extra_c"])
            numbering = {
                name: arrays[name]
                for name in arrays.files
                if name not in _ARRAYS and not name.startswith("extra_")
            }
        if "keys" in numbering:  # written before: the keys joined by newlines
            blob = numbering.pop("keys")
            ends = np.flatnonzero(blob == ord("\n"))
            numbering["key_blob"] = np.delete(blob, ends)
            numbering["key_ends"] = np.append(ends - np.arange(ends.size), blob.size - ends.size)
            if not blob.size:
                numbering["key_ends"] = np.empty(0, np.int64)
        return cls(numbering, edges, extras)

    @property
    def names_persons(self) -> bool:
        """Whether it says who is a person (older checkpoints leave that to the rows)."""
        return "person_flags" in self.numbering
