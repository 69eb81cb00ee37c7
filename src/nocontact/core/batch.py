"""Decisions over whole arrays of person numbers: decide_many, feeds and fan-out.

The common path has no Python loop: a pair filter clears almost every pair at
once, the rest are looked up in the edges, and a small table turns the two codes
of a pair (the actor's edge toward the target, and the target's toward the
actor) into an outcome. That table is computed by ``decide_parties`` itself on
one pair at a time, so the vectorised and the scalar answers cannot disagree.
Pairs that touch the index's overlay (boundaries that are not plain) or an
owner inside an emergency window are answered by ``decide_parties``, one by one.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

from .decide import Policy, decide_parties
from .edges import ABSENT, CODES, I64, lookup, plain_boundary
from .index import Index, Party
from .lists import LIST_KINDS, in_sorted
from .model import PHONE_ACTIONS, Action, Direction, Instant, Kind, Outcome
from .semantics import effect

U8 = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]

OUTCOMES: tuple[Outcome, ...] = tuple(Outcome)
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
    return np.asarray(values, np.int64).ravel()


def _slow(index: Index, action: Action, *groups: I64, with_lists: bool = True) -> Mask:
    """Which entries need the scalar path: in the overlay, or inside an emergency window.

    ``with_lists``: owners with list subscriptions too (for callers that do not
    apply lists themselves).
    """
    slow = np.zeros(groups[0].size, np.bool_)
    paused: list[int] = []
    if action in PHONE_ACTIONS:
        found = (index.person_number(owner) for owner in index.emergencies)
        paused = [n for n in found if n is not None]
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
) -> U8:
    """Outcome indexes (into ``Outcome``) for each actor's ``action`` toward each target."""
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
        decision = decide_parties(
            index,
            Party(int(a[i]), None, None),
            action,
            Party(int(b[i]), None, None),
            platform=None,
            at=at,
            revision=revision,
            policy=policy,
        )
        out[i] = OUTCOMES.index(decision.outcome)
    return out


def shown_numbers(
    index: Index,
    viewer: int,
    authors: npt.ArrayLike,
    *,
    at: Instant,
    revision: int,
    policy: Policy,
) -> Mask:
    """For each author, whether ``viewer`` may see their posts (``view_post`` is ``show``)."""
    return _view(index, viewer, _numbers(authors), viewer_acts=True, at=at, revision=revision,
                 policy=policy)  # fmt: skip


def audience_numbers(
    index: Index,
    author: int,
    candidates: npt.ArrayLike,
    *,
    at: Instant,
    revision: int,
    policy: Policy,
) -> Mask:
    """For each candidate, whether ``author``'s new post may reach their feed."""
    return _view(index, author, _numbers(candidates), viewer_acts=False, at=at,
                 revision=revision, policy=policy)  # fmt: skip


def _view(
    index: Index,
    one: int,
    many: I64,
    *,
    viewer_acts: bool,
    at: Instant,
    revision: int,
    policy: Policy,
) -> Mask:
    """``view_post`` between one person and many: ``one`` views them, or they view ``one``."""
    plain = index.plain  # once: the edges and their removals together
    edges = plain.edges
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
        decision = decide_parties(
            index,
            Party(viewer, None, None),
            Action.VIEW_POST,
            Party(author, None, None),
            platform=None,
            at=at,
            revision=revision,
            policy=policy,
        )
        shown[i] = decision.outcome is Outcome.SHOW
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
