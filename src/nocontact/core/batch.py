"""Decisions over whole arrays of person numbers: decide_many, feeds and fan-out.

The common path has no Python loop: a pair filter clears almost every pair at
once, the rest are looked up in the edges, and a small table turns the two codes
of a pair (the actor's edge toward the target, and the target's toward the
actor) into an outcome. That table is computed by ``decide_parties`` itself on
one pair at a time, so the vectorised and the scalar answers cannot disagree.
Pairs that touch the index's overlay (boundaries that are not plain) or an
owner inside an emergency window are answered by ``decide_parties``, one by one.

When ``core/_kernel.c`` is built, it runs that common path in C, with no
array in between for a caller's lists; the numpy functions (``*_pure``) stay
the reference, and answer whatever the kernel leaves to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from .decide import Policy, decide_parties
from .edges import ABSENT, CODES, I64, lookup, plain_boundary
from .errors import InvalidInput
from .index import Index, Party
from .lists import LIST_KINDS, in_sorted
from .merge import Plain
from .model import PHONE_ACTIONS, Action, Direction, Instant, Kind, Outcome
from .semantics import effect

U8 = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]

OUTCOMES: tuple[Outcome, ...] = tuple(Outcome)
#: Person numbers the compiled kernel takes for ``one`` (an int64; others go the numpy way).
_NUMBERS = 1 << 62
_SHOW = OUTCOMES.index(Outcome.SHOW)


@cache
def outcome_table(action: Action) -> U8:
    """``table[own, other]``: the outcome index for a pair's two edge codes (or ``ABSENT``)."""
    table = np.empty((CODES + 1, CODES + 1), np.uint8)
    for own in range(CODES + 1):
        for other in range(CODES + 1):
            index = Index()
            index.add_person("a", None)
            index.add_person("b", None)
            if own != ABSENT:
                index.add_boundary(plain_boundary("a", "b", own))
            if other != ABSENT:
                index.add_boundary(plain_boundary("b", "a", other))
            decision = decide_parties(
                index,
                index.resolve("a"),
                action,
                index.resolve("b"),
                platform=None,
                at=0.0,
                revision=0,
                policy=Policy(),
            )
            table[own, other] = OUTCOMES.index(decision.outcome)
    return table


def _numbers(values: npt.ArrayLike) -> I64:
    """Person numbers as an array; a negative one is refused (numpy would count it from the end)."""
    numbers = np.asarray(values, np.int64).ravel()
    if numbers.size and numbers.min() < 0:
        raise InvalidInput("person numbers are never negative", field="person")
    return numbers


def _listed(values: object) -> bool:
    """Whether numbers came as a list (or tuple, or other sequence that is no array or text).

    Such numbers get their answer as a list too: the caller wants Python values,
    and the compiled path makes them without an array in between.
    """
    return isinstance(values, Sequence) and not isinstance(
        values, (str, bytes, bytearray, memoryview)
    )


def _items(values: Sequence[int]) -> list[int] | tuple[int, ...]:
    """A list or tuple as is (the compiled path reads their items in place), any other as a list."""
    return values if isinstance(values, (list, tuple)) else list(values)


def _paused(index: Index, action: Action) -> list[int]:
    """Numbers of the owners inside an emergency window, for a phone action."""
    if action not in PHONE_ACTIONS:
        return []
    found = (index.person_number(owner) for owner in index.emergencies)
    return [n for n in found if n is not None]


def _slow(index: Index, action: Action, *groups: I64, with_lists: bool = True) -> Mask:
    """Which entries need the scalar path: in the overlay, or inside an emergency window.

    ``with_lists``: owners with list subscriptions too (for callers that do not
    apply lists themselves).
    """
    slow = np.zeros(groups[0].size, np.bool_)
    paused = _paused(index, action)
    lists = index.lists if with_lists else None
    if not (index.has_overlay() or paused or lists):
        return slow
    for numbers in groups:
        slow |= index.not_plain_mask(numbers)
        if lists:  # an owner with subscriptions: decided one by one, lists included
            slow |= lists.subscriber_mask(numbers)
        if paused:
            slow |= np.isin(numbers, paused)
    return slow


def decide_numbers(
    index: Index,
    actors: npt.ArrayLike,
    action: Action,
    targets: npt.ArrayLike,
    *,
    at: Instant,
    revision: int,
    policy: Policy,
) -> U8 | list[int]:
    """Outcome indexes (into ``Outcome``) for each actor's ``action`` toward each target.

    Lists in (no numpy array among the two), a list of ints out; else an array.
    """
    listed = _listed(actors) and _listed(targets)
    found = _decide_compiled(index, actors, action, targets, listed, at, revision, policy)
    if found is not None:
        return found
    out = decide_numbers_pure(index, actors, action, targets, at=at, revision=revision,
                              policy=policy)  # fmt: skip
    return out.tolist() if listed else out


def _decide_compiled(
    index: Index, actors: Any, action: Action, targets: Any, listed: bool,
    at: Instant, revision: int, policy: Policy,
) -> U8 | list[int] | None:  # fmt: skip
    """``decide_numbers`` by the compiled kernel, or None where it cannot answer."""
    plain = index.plain  # once: the edges and their removals together
    view = plain.edges.view
    if view is None:
        return None
    a: Any
    b: Any
    if listed:
        a, b, out = _items(actors), _items(targets), None
    else:
        a, b = _numbers(actors), _numbers(targets)
        out = np.empty(a.size, np.uint8)
    flags = more = paused = None
    stopped = _paused(index, action)
    if index.has_overlay() or stopped or index.lists:
        flags = index.not_plain_flags
        more = index.lists.subscriber_flags if index.lists else None
        paused = np.sort(np.array(stopped, np.int64)).tobytes() if stopped else None
    done = view.pairs(a, b, _table_bytes(action), _dead_keys(plain), flags, more, paused, out)
    if done is None:  # an input the numpy path judges (and words its error)
        return None
    found, slow = done
    for i in slow or ():
        found[i] = _one_by_one(index, int(a[i]), action, int(b[i]), at, revision, policy)
    return found  # type: ignore[no-any-return]


def decide_numbers_pure(
    index: Index,
    actors: npt.ArrayLike,
    action: Action,
    targets: npt.ArrayLike,
    *,
    at: Instant,
    revision: int,
    policy: Policy,
) -> U8:
    """``decide_numbers`` in numpy alone (no compiled kernel): always an array."""
    a, b = _numbers(actors), _numbers(targets)
    table = outcome_table(action)
    out = np.full(a.size, table[ABSENT, ABSENT], np.uint8)
    plain = index.plain  # once: the edges and their removals together
    edges = plain.edges
    hits = np.flatnonzero(edges.maybe_many(a, b))
    if hits.size:
        owners = np.concatenate((a[hits], b[hits]))
        targets = np.concatenate((b[hits], a[hits]))
        both = edges.codes(owners, targets)
        plain.drop_dead(owners, targets, both)
        out[hits] = table[both[: hits.size], both[hits.size :]]
    for i in np.flatnonzero(_slow(index, action, a, b)).tolist():
        out[i] = _one_by_one(index, int(a[i]), action, int(b[i]), at, revision, policy)
    return out


def _one_by_one(
    index: Index, a: int, action: Action, b: int, at: Instant, revision: int, policy: Policy
) -> int:
    """The outcome index of one pair by the scalar path (the overlay, lists, emergencies)."""
    decision = decide_parties(
        index, Party(a, None, None), action, Party(b, None, None),
        platform=None, at=at, revision=revision, policy=policy,
    )  # fmt: skip
    return OUTCOMES.index(decision.outcome)


def shown_numbers(
    index: Index,
    viewer: int,
    authors: npt.ArrayLike,
    *,
    at: Instant,
    revision: int,
    policy: Policy,
) -> Mask | list[bool]:
    """For each author, whether ``viewer`` may see their posts (``view_post`` is ``show``).

    A list in, a list of bools out; an array in, a bool array out.
    """
    return _view(index, viewer, authors, viewer_acts=True, at=at, revision=revision,
                 policy=policy)  # fmt: skip


def audience_numbers(
    index: Index,
    author: int,
    candidates: npt.ArrayLike,
    *,
    at: Instant,
    revision: int,
    policy: Policy,
) -> Mask | list[bool]:
    """For each candidate, whether ``author``'s new post may reach their feed.

    A list in, a list of bools out; an array in, a bool array out.
    """
    return _view(index, author, candidates, viewer_acts=False, at=at, revision=revision,
                 policy=policy)  # fmt: skip


def _view(
    index: Index,
    one: int,
    many: npt.ArrayLike,
    *,
    viewer_acts: bool,
    at: Instant,
    revision: int,
    policy: Policy,
) -> Mask | list[bool]:
    listed = _listed(many)
    found = _view_compiled(index, one, many, listed, viewer_acts, at, revision, policy)
    if found is not None:
        return found
    shown = view_pure(index, one, _numbers(many), viewer_acts=viewer_acts, at=at,
                      revision=revision, policy=policy)  # fmt: skip
    return shown.tolist() if listed else shown


def _view_compiled(
    index: Index, one: int, many: Any, listed: bool, viewer_acts: bool,
    at: Instant, revision: int, policy: Policy,
) -> Mask | list[bool] | None:  # fmt: skip
    """``_view`` by the compiled kernel, or None where it cannot answer.

    It leaves to the numpy path shared lists and a ``one`` in the overlay: rare,
    and each the scalar path's for many entries anyway. (Emergencies pause phone
    actions only, never ``view_post``.)
    """
    plain = index.plain  # once: the edges and their removals together
    view = plain.edges.view
    if view is None or index.lists.by_owner or not 0 <= one < _NUMBERS:
        return None
    flags = None
    if index.has_overlay():
        flags = index.not_plain_flags
        if one < flags.size and flags[one]:
            return None
    numbers: Any
    if listed:
        numbers, out = _items(many), None
    else:
        numbers = _numbers(many)
        out = np.empty(numbers.size, np.bool_)
    done = view.view(one, numbers, viewer_acts, _show_bytes(), _dead_keys(plain), flags, out)
    if done is None:  # an input the numpy path judges (and words its error)
        return None
    shown, slow = done
    for i in slow or ():
        other = int(numbers[i])
        viewer, author = (one, other) if viewer_acts else (other, one)
        shown[i] = _one_by_one(index, viewer, Action.VIEW_POST, author, at, revision,
                               policy) == _SHOW  # fmt: skip
    return shown  # type: ignore[no-any-return]


def view_pure(
    index: Index,
    one: int,
    many: I64,
    *,
    viewer_acts: bool,
    at: Instant,
    revision: int,
    policy: Policy,
) -> Mask:
    """``view_post`` between one and many in numpy alone: ``one`` views them, or they ``one``."""
    plain = index.plain  # once: the edges and their removals together
    edges = plain.edges
    if one < 0:
        raise InvalidInput("person numbers are never negative", field="person")
    row, row_codes = edges.row(one)  # one's edges toward each of many
    column, column_codes = edges.column(one)  # each of many's edges toward one
    shown: Mask = np.ones(many.size, np.bool_)
    if row.size or column.size:
        # Only the many whose bit is set in one's signature, and whose own
        # signature has one's bit, can share an edge with one.
        words = edges.sig_words
        near = ((words[one : one + 1] >> (many & 63)) & 1).nonzero()[0]
        if near.size:
            # take(clip): a number past the edges has no edge, so any word will do.
            theirs = words.take(many[near], mode="clip")
            near = near[((theirs >> (one & 63)) & 1).nonzero()[0]]
        if near.size:
            some = many[near]
            from_one = lookup(row, row_codes, some)
            toward_one = lookup(column, column_codes, some)
            if plain.dead:
                plain.drop_dead(one, some, from_one)
                plain.drop_dead(some, one, toward_one)
            own, other = (from_one, toward_one) if viewer_acts else (toward_one, from_one)
            shown[near] = show_table()[own, other]
    if index.lists.by_owner:
        shown &= ~_list_hidden(index, one, many, viewer_acts=viewer_acts)
    if not index.has_overlay():
        return shown
    if index.not_plain_mask(np.array([one]))[0]:
        slow = np.ones(many.size, np.bool_)
    else:
        slow = _slow(index, Action.VIEW_POST, many, with_lists=False)
    for i in np.flatnonzero(slow).tolist():
        viewer, author = (one, int(many[i])) if viewer_acts else (int(many[i]), one)
        shown[i] = _one_by_one(index, viewer, Action.VIEW_POST, author, at, revision,
                               policy) == _SHOW  # fmt: skip
    return shown


def _list_hidden(index: Index, one: int, many: I64, *, viewer_acts: bool) -> Mask:
    """Which of ``many`` a shared list hides from ``one`` (or ``one`` from them).

    ``view_post`` only ever shows or hides, and hiding is the strictest, so
    what lists hide combines with what boundaries hide by "or". Per call: one
    look at ``one``'s few subscriptions and at the lists that cover ``one``,
    then a sorted-array search per list for all of ``many`` at once.
    """
    lists = index.lists
    hidden = np.zeros(many.size, np.bool_)
    # one's own subscriptions: one is the owner, the many are its targets.
    mine = Direction.OUTBOUND if viewer_acts else Direction.INBOUND
    for sub in lists.of_owner(one):
        if lists.active(sub.list_id) and _hides(sub.kind, mine):
            hidden |= lists.lists[sub.list_id].contains_many(many)
    # Lists that cover one, subscribed to by some of the many: they are the owners.
    theirs = Direction.INBOUND if viewer_acts else Direction.OUTBOUND
    for list_id, _ in lists.covering(one):
        for kind in (k for k in LIST_KINDS if _hides(k, theirs)):
            hidden |= in_sorted(lists.subscribers_of_kind(list_id, kind), many)
    hidden &= many != one  # never hidden from oneself by one's own list
    return hidden


@cache
def _hides(kind: Kind, direction: Direction) -> bool:
    return effect(kind, direction, Action.VIEW_POST).outcome is Outcome.HIDE


@cache
def show_table() -> Mask:
    """``show_table()[own, other]``: whether ``view_post`` shows, by the two codes."""
    shown: Mask = outcome_table(Action.VIEW_POST) == _SHOW
    return shown


@cache
def _table_bytes(action: Action) -> bytes:
    """``outcome_table(action)`` as the compiled kernel reads it: row by row."""
    return outcome_table(action).tobytes()


@cache
def _show_bytes() -> bytes:
    return show_table().astype(np.uint8).tobytes()


class _DeadKeys:
    """The removed pairs as sorted int64 bytes, made again only when the set changed.

    The set only grows until a merge replaces it, so the set itself and its
    size tell whether the bytes are current.
    """

    def __init__(self) -> None:
        self._last: tuple[set[int], int, bytes] | None = None

    def __call__(self, plain: Plain) -> bytes | None:
        dead = plain.dead
        if not dead:
            return None
        last = self._last
        if last is not None and last[0] is dead and last[1] == len(dead):
            return last[2]
        pairs = list(dead)  # one C call: a writer cannot change the set meanwhile
        keys = np.sort(np.array(pairs, np.int64)).tobytes()
        self._last = (dead, len(pairs), keys)
        return keys


_dead_keys = _DeadKeys()
