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

from .index import PATTERN_PREFIX, Index, Party, pattern_matches
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
    if boundary.target.startswith(PATTERN_PREFIX):
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

    out: list[Visibility] = []
    for item in items:
        hidden = False
        for person in item.carried():
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
        reason = _own_reason(index, me, me_key, item, party, at, restricted)
        out.append(Visibility(item.id, Outcome.HIDE, reason))
    return out


def _own_reason(
    index: Index,
    me: Party,
    me_key: str,
    item: Item,
    party: Callable[[str], Party],
    at: Instant,
    restricted: Boundary | None,
) -> Explanation | None:
    """The viewer's own boundary that hides ``item`` from them, if any."""
    for person in item.carried():
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
    kept: list[str] = []
    for candidate in candidates:
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
