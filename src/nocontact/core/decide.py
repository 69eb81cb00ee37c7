"""Decisions: may this reach that person, and what does each side see?

Pure functions over an ``Index``: no I/O, no clock (the time is an argument).
For one interaction, every boundary that holds between the two people, in
either direction, contributes an effect from ``semantics``; the strictest wins
(``semantics.rank``), and the target is notified only if no holding boundary
says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from .edges import KINDS, NONE, plain_boundary
from .index import PATTERN_PREFIX, Index, Party, pattern_matches
from .lists import LIST_KINDS, ListBoundary, in_sorted
from .model import (
    PHONE_ACTIONS,
    Action,
    ActorSees,
    Boundary,
    Decision,
    Direction,
    Explanation,
    Instant,
    Item,
    Kind,
    Outcome,
    Visibility,
)
from .records import maker
from .semantics import DEFAULT, Effect, effect, rank

#: Outcomes after which nothing of the interaction reaches the other side.
STOPS = frozenset(
    {Outcome.DENY, Outcome.DROP, Outcome.HIDE, Outcome.HOLD, Outcome.DIVERT, Outcome.LIMITED}
)

#: The owner setting that lets the emergency window lift person blocks too.
LIFT_PERSON_BLOCKS = "emergency_lifts_person_blocks"


@dataclass(frozen=True, slots=True)
class Policy:
    """The parts of the configuration that decisions depend on."""

    #: After the owner contacts emergency services, call-back-blocking boundaries pause this long.
    emergency_window: float = 2 * 3600.0


_VERB = {
    Kind.BLOCK: "blocked",
    Kind.MUTE: "muted",
    Kind.RESTRICT: "restricted",
    Kind.BREAK: "are taking a break from",
    Kind.SPACE: "asked for space from",
    Kind.PLEDGE: "pledged no contact with",
}


#: A viewer that is nobody: the decision carries no explanation.
NOBODY_VIEWS = ""


def explain(boundary: Boundary, names: Mapping[str, str | None]) -> Explanation:
    """The owner-facing reason, naming people by display name: "you blocked Sam"."""
    if isinstance(boundary, ListBoundary):  # "from the list Spam callers you subscribed to"
        return Explanation(boundary.id, boundary.owner, boundary.kind, boundary.reason)
    target = boundary.target
    if target.startswith(PATTERN_PREFIX):
        target = target.removeprefix(PATTERN_PREFIX) + " senders"
    else:
        person = boundary.target_person or target
        target = names.get(person) or target
    scope = "" if boundary.scope == "everywhere" else f" ({boundary.scope})"
    reason = f"you {_VERB[boundary.kind]} {target}{scope}"
    return Explanation(boundary.id, boundary.owner, boundary.kind, reason)


def _default(action: Action, revision: int) -> Decision:
    eff = DEFAULT[action]
    return Decision(eff.outcome, eff.actor_sees, eff.notify, revision)


def _paused_by_emergency(
    index: Index, boundary: Boundary, owner: Party, at: Instant, policy: Policy
) -> bool:
    """Inside the call-back window, patterns pause; person blocks only if the owner chose so."""
    started = index.emergencies.get(boundary.owner)
    if started is None or not started <= at < started + policy.emergency_window:
        return False
    if boundary.target.startswith(PATTERN_PREFIX) or isinstance(boundary, ListBoundary):
        return True
    return index.settings.get((boundary.owner, LIFT_PERSON_BLOCKS)) == "true"


def decide_parties(
    index: Index,
    actor: Party,
    action: Action,
    target: Party,
    *,
    platform: str | None,
    at: Instant,
    revision: int,
    policy: Policy,
    viewer: str | None = None,
) -> Decision:
    """Decide one interaction between two resolved parties, as ``viewer`` may see it.

    ``viewer`` (by default the actor) is shown the explanation of their own
    strongest boundary in this interaction, chosen among their boundaries only:
    what the other side holds never changes what a viewer is told.
    """
    if index.quiet(actor, target):
        return _default(action, revision)
    if actor.principal is not None and actor.principal == target.principal:
        return _default(action, revision)
    # Emergency numbers are never blocked, whichever way the call goes.
    if (actor.parsed is not None and actor.parsed.emergency) or (
        target.parsed is not None and target.parsed.emergency
    ):
        return _default(action, revision)
    if platform is None:
        used = actor.parsed or target.parsed
        platform = used.platform if used is not None else None

    best: tuple[tuple[object, ...], Effect, Boundary] | None = None
    own: tuple[tuple[object, ...], Effect, Boundary] | None = None
    theirs: tuple[tuple[object, ...], Effect, Boundary] | None = None
    notify = True

    def consider(boundary: Boundary, direction: Direction, owner: Party) -> None:
        nonlocal best, own, theirs, notify
        if not boundary.holds_at(at) or not boundary.covers(action):
            return
        # With no platform named, a platform-scoped boundary holds (fail closed).
        scope_platform = boundary.platform
        if scope_platform is not None and platform is not None and scope_platform != platform:
            return
        if (
            direction is Direction.INBOUND
            and action in PHONE_ACTIONS
            and _paused_by_emergency(index, boundary, owner, at, policy)
        ):
            return
        eff = effect(boundary.kind, direction, action, boundary.disclosure, boundary.keep_evidence)
        notify = notify and eff.notify
        key = (*rank(eff, boundary.kind, direction, boundary.disclosure), boundary.id)
        if best is None or key < best[0]:
            best = (key, eff, boundary)
        if direction is Direction.OUTBOUND:
            if own is None or key < own[0]:
                own = (key, eff, boundary)
        elif theirs is None or key < theirs[0]:
            theirs = (key, eff, boundary)

    for boundary in index.between(target, actor):
        consider(boundary, Direction.INBOUND, target)
    for boundary in index.patterns_of(target):
        if target.principal is not None and pattern_matches(
            boundary.target, actor, index, target.principal
        ):
            consider(boundary, Direction.INBOUND, target)
    for boundary in index.between(actor, target):
        consider(boundary, Direction.OUTBOUND, actor)
    if index.lists.by_owner:  # shared lists the target or the actor subscribed to
        for sub in index.lists.holding(target.principal, (actor.principal, actor.address)):
            consider(sub, Direction.INBOUND, target)
        for sub in index.lists.holding(actor.principal, (target.principal, target.address)):
            consider(sub, Direction.OUTBOUND, actor)

    if best is None:
        return _default(action, revision)
    # When the actor's own boundary stops the interaction, nothing reaches the
    # other side, and the answer must not depend on the other side's boundaries:
    # otherwise a pledge or a block would reveal whether the other person blocked.
    if own is not None and own[1].outcome in STOPS:
        best = own
        notify = own[1].notify
    _, eff, boundary = best
    space = eff.actor_sees is ActorSees.SPACE
    if viewer is None:
        viewer = index.key(actor.principal) if actor.principal is not None else NOBODY_VIEWS
    reason = None
    for side in (own, theirs):
        if side is not None and side[2].owner == viewer:
            reason = explain(side[2], index.names)
    return Decision(
        outcome=eff.outcome,
        actor_sees=eff.actor_sees,
        notify=notify and eff.notify,
        revision=revision,
        evidence=eff.evidence,
        note=boundary.note if space else None,
        until=boundary.ends if space else None,
        explanation=reason,
    )


def decide_plain(index: Index, a: int, action: Action, b: int, revision: int) -> Decision | None:
    """``decide_parties`` for two persons by number, as the actor sees it, when every
    boundary between them is a plain edge; None when that is not so (or not known cheaply)."""
    codes = index.plain_codes(a, b)
    return None if codes is None else plain_decision(index, a, action, b, codes, revision)


def plain_decision(
    index: Index, a: int, action: Action, b: int, codes: tuple[int, int], revision: int
) -> Decision | None:
    """``decide_plain`` given the pair's two codes (``Index.plain_codes``).

    The answer depends only on the codes, so it is read from a table that
    ``decide_parties`` itself filled. A heavy user pays two binary searches, never a
    ``Boundary``, a resolution by id or a ranking. When the actor's own boundary
    decided, its explanation is worked out only when read (``Decision.__getattr__``):
    the display name is taken now, the id and the words then. None inside an
    emergency window, which the full path weighs.
    """
    if index.emergencies and action in PHONE_ACTIONS:
        return None
    own, other = codes
    t = _plain_template(action, own, other)
    if t.explanation is None:
        return _new_decision(
            t.outcome, t.actor_sees, t.notify, revision, t.evidence, None, None, None
        )
    later = (_explain_plain, index, a, b, own, index.names.name_of(b))
    return _new_unexplained(
        t.outcome, t.actor_sees, t.notify, revision, t.evidence, None, None, later
    )


def _explain_plain(index: Index, a: int, b: int, own: int, name: str | None) -> Explanation:
    """What ``explain`` says of ``a``'s plain edge toward ``b``, whose name was ``name``."""
    actor, target = index.key(a), index.key(b)
    kind = KINDS[own // 4]
    reason = f"you {_VERB[kind]} {name or target}"
    return Explanation(index.plain_id(actor, target, own), actor, kind, reason)


# A decision per call: their dataclass __init__ would cost more than the deciding.
_new_decision = maker(Decision)
_FIELDS = tuple(f for f in Decision.__dataclass_fields__ if f != "explanation")
_new_unexplained = maker(Decision, (*_FIELDS, "_later"))


@cache
def _plain_template(action: Action, own: int, other: int) -> Decision:
    """What ``decide_parties`` answers between two persons holding only these edges
    (``NONE``: none), at revision 0, with placeholder people in the explanation."""
    index = Index()
    for person in ("a", "b"):
        index.add_person(person, None)
    for owner, target, code in (("a", "b", own), ("b", "a", other)):
        if code != NONE:
            index.add_boundary(plain_boundary(owner, target, code))
    return decide_parties(
        index, index.resolve("a"), action, index.resolve("b"),
        platform=None, at=0.0, revision=0, policy=Policy(),
    )  # fmt: skip


def visible(
    index: Index,
    viewer: str,
    items: Sequence[Item],
    *,
    at: Instant,
    revision: int,
    policy: Policy,
) -> list[Visibility]:
    """Which items ``viewer`` may see: an item is hidden when anyone it carries is.

    A hidden item carries the viewer's own reason, when one of their boundaries hides it.
    """
    me = index.resolve(viewer)
    me_key = index.key(me.principal) if me.principal is not None else viewer
    parties: dict[str, Party] = {}

    def party(name: str) -> Party:
        found = parties.get(name)
        if found is None:
            found = parties[name] = index.resolve(name)
        return found

    by_list = None
    if index.lists.by_owner:
        carried = list(dict.fromkeys(p for item in items for p in item.carried()))
        by_list = _hidden_by_lists(index, me, carried, party, me_views=True)
    out: list[Visibility] = []
    for item in items:
        hidden = False
        for person in item.carried():
            if by_list is not None and person in by_list:
                hidden = True  # hiding is the strictest a view can get: no need to go on
                break
            other = party(person)
            if index.quiet(me, other):
                continue
            decision = decide_parties(
                index,
                me,
                Action.VIEW_POST,
                other,
                platform=None,
                at=at,
                revision=revision,
                policy=policy,
                viewer=NOBODY_VIEWS,
            )
            if decision.outcome is Outcome.HIDE:
                hidden = True
                break
        restricted = _restricted_reply(index, item, me, party, at)
        if not (hidden or restricted):
            out.append(Visibility(item.id, Outcome.SHOW))
            continue
        # The reason is chosen among the viewer's own boundaries only, never by
        # which of the other people's boundaries hid the item first.
        reason = _own_reason(index, me, me_key, item, party, at, restricted, by_list)
        out.append(Visibility(item.id, Outcome.HIDE, reason))
    return out


def _hidden_by_lists(
    index: Index, me: Party, names: list[str], party: Callable[[str], Party], *, me_views: bool
) -> dict[str, Explanation | None]:
    """Which of ``names`` a list subscription, either way, keeps apart from ``me``.

    ``me_views``: ``me`` views their posts (a feed); otherwise they view
    ``me``'s (a fan-out). Answered for all at once: one array search per
    subscription. The value is ``me``'s own reason (None when the list is the
    other side's subscription).
    """
    lists = index.lists
    mine, theirs = (
        (Direction.OUTBOUND, Direction.INBOUND)
        if me_views
        else (Direction.INBOUND, Direction.OUTBOUND)
    )
    parties = [party(n) for n in names]
    principals = np.fromiter(
        (-1 if p.principal is None else p.principal for p in parties), np.int64, len(parties)
    )
    addresses = np.fromiter(
        (-1 if p.address is None else p.address for p in parties), np.int64, len(parties)
    )
    known, has_address = principals >= 0, addresses >= 0
    others = known & (principals != (-1 if me.principal is None else me.principal))
    hidden = np.zeros(len(names), np.bool_)
    reasons: dict[int, Explanation] = {}
    for sub in lists.of_owner(me.principal):
        if sub.kind in _HIDING[mine] and lists.active(sub.list_id):
            shared = lists.lists[sub.list_id]
            hit = (shared.contains_many(principals) & known) | (
                shared.contains_many(addresses) & has_address
            )
            hit &= others & ~hidden
            reason = explain(sub, index.names)
            reasons.update((int(j), reason) for j in np.flatnonzero(hit))
            hidden |= hit
    covering = {i for n in (me.principal, me.address) if n is not None
                for i, _ in lists.covering(n)}  # fmt: skip
    for list_id in covering:
        for kind in _HIDING[theirs]:
            hidden |= in_sorted(lists.subscribers_of_kind(list_id, kind), principals) & others
    return {names[j]: reasons.get(j) for j in np.flatnonzero(hidden).tolist()}


#: The list kinds whose ``view_post`` effect hides, by direction.
_HIDING = {
    d: frozenset(k for k in LIST_KINDS if effect(k, d, Action.VIEW_POST).outcome is Outcome.HIDE)
    for d in Direction
}


def _own_reason(
    index: Index,
    me: Party,
    me_key: str,
    item: Item,
    party: Callable[[str], Party],
    at: Instant,
    restricted: Boundary | None,
    by_list: dict[str, Explanation | None] | None = None,
) -> Explanation | None:
    """The viewer's own boundary (or list subscription) that hides ``item``, if any."""
    for person in item.carried():
        listed = by_list.get(person) if by_list is not None else None
        if listed is not None:
            return listed
        for boundary in index.between(me, party(person)):
            if (
                boundary.holds_at(at)
                and boundary.covers(Action.VIEW_POST)
                and effect(boundary.kind, Direction.OUTBOUND, Action.VIEW_POST).outcome
                is Outcome.HIDE
            ):
                return explain(boundary, index.names)
    if restricted is not None and restricted.owner == me_key:
        return explain(restricted, index.names)
    return None


def _restricted_reply(
    index: Index,
    item: Item,
    me: Party,
    party: Callable[[str], Party],
    at: Instant,
) -> Boundary | None:
    """A restricted person's reply on the owner's post is seen by its author only."""
    author = party(item.author)
    if me.principal is not None and me.principal == author.principal:
        return None
    for parent in (item.reply_to, item.root):
        if parent is None:
            continue
        owner = party(parent)
        for boundary in index.between(owner, author):
            if (
                boundary.kind is Kind.RESTRICT
                and boundary.holds_at(at)
                and boundary.covers(Action.REPLY)
            ):
                return boundary
    return None


def audience(
    index: Index,
    author: str,
    candidates: Iterable[str],
    *,
    at: Instant,
    revision: int,
    policy: Policy,
) -> list[str]:
    """The candidates whose feeds may receive ``author``'s new post (fan-out on write)."""
    writer = index.resolve(author)
    if index.isolated(writer):
        return list(candidates)
    names = list(candidates)
    by_list: dict[str, Explanation | None] = {}
    if index.lists.by_owner:  # those a list keeps apart, found for all at once
        by_list = _hidden_by_lists(index, writer, names, index.resolve, me_views=False)
    kept: list[str] = []
    for candidate in names:
        if candidate in by_list:
            continue
        decision = decide_parties(
            index,
            index.resolve(candidate),
            Action.VIEW_POST,
            writer,
            platform=None,
            at=at,
            revision=revision,
            policy=policy,
        )
        if decision.outcome is Outcome.SHOW:
            kept.append(candidate)
    return kept
