"""What each kind of boundary does to each action, in each direction.

This module *is* the semantics table of ``docs/semantics.md`` (the doc is
generated from it and a test keeps the two equal). ``effect`` answers for one
boundary; ``strictest`` combines several by the precedence of DESIGN section 3:
the strictest outcome wins, then the strictest kind, then the actor's own
boundary (so an actor never learns of the other side's), then the quieter
disclosure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .model import (
    KIND_PRECEDENCE,
    OUTCOME_SEVERITY,
    Action,
    ActorSees,
    Direction,
    Disclosure,
    Kind,
    Outcome,
)


@dataclass(frozen=True, slots=True)
class Effect:
    outcome: Outcome
    actor_sees: ActorSees
    notify: bool
    #: For blocks kept as evidence: seal what was sent.
    evidence: bool = False


A = Action
Out = Outcome
S = ActorSees

DELIVERIES = (A.MESSAGE, A.CALL, A.SMS)
CONTENT = (A.MENTION, A.REPLY, A.QUOTE, A.REPOST)
TIES = (A.FOLLOW, A.GROUP_ADD)
FEEDS = (A.VIEW_POST, A.VIEW_PROFILE, A.SEARCH)
PRESENCE = (A.PRESENCE, A.READ_RECEIPT, A.LOCATION)

#: What happens with no boundary at all.
DEFAULT: Mapping[Action, Effect] = {
    **{a: Effect(Out.DELIVER, S.DELIVERED, True) for a in DELIVERIES},
    **{a: Effect(Out.ALLOW, S.NORMAL, True) for a in CONTENT + TIES},
    A.NOTIFY: Effect(Out.DELIVER, S.NORMAL, True),
    **{a: Effect(Out.SHOW, S.NORMAL, False) for a in FEEDS + PRESENCE},
}


def _rows(*groups: tuple[Iterable[Action], Effect]) -> dict[Action, Effect]:
    """Start from the default and override by groups of actions."""
    table = dict(DEFAULT)
    for actions, eff in groups:
        for action in actions:
            table[action] = eff
    return table


def _quiet(outcome: Outcome, sees: ActorSees = S.NORMAL) -> Effect:
    return Effect(outcome, sees, False)


#: What each action looks like to the actor when the owner has merely turned on
#: the ordinary privacy settings every product offers, with the setting it mimics.
#: A silent block shows the actor exactly this, so it cannot be told apart.
PRIVACY: Mapping[Action, tuple[Effect, str]] = {
    A.MESSAGE: (
        _quiet(Out.DELIVER_QUIETLY, S.DELIVERED),
        "read receipts off, not yet opened: delivered, never read",
    ),
    A.SMS: (
        _quiet(Out.DELIVER_QUIETLY, S.DELIVERED),
        "read receipts off, not yet opened: delivered, never read",
    ),
    A.CALL: (
        _quiet(Out.DELIVER_QUIETLY, S.DELIVERED),
        "calls silenced (do not disturb): it rings out unanswered",
    ),
    **{
        a: (_quiet(Out.ALLOW), "notifications of mentions and replies off: it is posted as usual")
        for a in CONTENT
    },
    A.FOLLOW: (
        _quiet(Out.DROP, S.SENT),
        "followers need approval: a request that waits, as for any private account",
    ),
    A.GROUP_ADD: (
        _quiet(Out.DROP, S.SENT),
        "group invitations need approval: an invitation that waits",
    ),
    A.NOTIFY: (_quiet(Out.DROP), "notifications off"),
    A.VIEW_POST: (_quiet(Out.HIDE), "posts for approved followers only: nothing to show"),
    A.SEARCH: (_quiet(Out.HIDE), "not shown in search"),
    A.VIEW_PROFILE: (_quiet(Out.LIMITED), "profile limited to approved followers"),
    A.PRESENCE: (_quiet(Out.HIDE), "last seen and online status off"),
    A.READ_RECEIPT: (_quiet(Out.HIDE), "read receipts off"),
    A.LOCATION: (_quiet(Out.HIDE), "location shared with nobody"),
}


def _block_inbound(disclosed: bool, evidence: bool) -> dict[Action, Effect]:
    # A silent block shows the blocked person only what the owner's ordinary
    # privacy settings would (``PRIVACY``); a disclosed one says unavailable
    # and refuses follows and group invitations visibly.
    def sees(action: Action) -> ActorSees:
        return S.UNAVAILABLE if disclosed else PRIVACY[action][0].actor_sees

    tie = Out.DENY if disclosed else Out.DROP
    table = _rows(
        (DELIVERIES + CONTENT, Effect(Out.DROP, S.NORMAL, False, evidence)),
        (TIES, _quiet(tie)),
        ((A.NOTIFY,), _quiet(Out.DROP)),
        ((A.VIEW_POST, A.SEARCH) + PRESENCE, _quiet(Out.HIDE)),
        # The target keeps a minimal profile, frozen as it was when the block began.
        ((A.VIEW_PROFILE,), _quiet(Out.LIMITED)),
    )
    return {
        a: Effect(e.outcome, S.NORMAL if a is A.NOTIFY else sees(a), e.notify, e.evidence)
        for a, e in table.items()
    }


_BLOCK_OUTBOUND = _rows(
    (DELIVERIES + CONTENT + TIES, _quiet(Out.DENY, S.YOU_BLOCKED)),
    ((A.NOTIFY,), _quiet(Out.DROP)),
    ((A.VIEW_POST,) + PRESENCE, _quiet(Out.HIDE, S.YOU_BLOCKED)),
    ((A.VIEW_PROFILE, A.SEARCH), _quiet(Out.LIMITED, S.YOU_BLOCKED)),
)

_MUTE = {
    Direction.INBOUND: _rows(
        (DELIVERIES, _quiet(Out.DELIVER_QUIETLY, S.DELIVERED)),
        (CONTENT + TIES, _quiet(Out.ALLOW)),
        ((A.NOTIFY,), _quiet(Out.DROP)),
    ),
    # Muted posts leave the owner's feeds; the profile stays one tap away.
    Direction.OUTBOUND: _rows(((A.VIEW_POST,), _quiet(Out.HIDE))),
}

_RESTRICT = {
    Direction.INBOUND: _rows(
        ((A.MESSAGE, A.SMS), _quiet(Out.REQUEST, S.DELIVERED)),
        ((A.CALL,), _quiet(Out.DELIVER_QUIETLY, S.DELIVERED)),
        (CONTENT + TIES, _quiet(Out.ALLOW)),
        ((A.NOTIFY,), _quiet(Out.DROP)),
        (PRESENCE, _quiet(Out.HIDE)),
    ),
    Direction.OUTBOUND: _rows(),
}

# A break is symmetric: both people see less of each other; messages still flow.
_BREAK_BOTH = _rows(
    (CONTENT + TIES, _quiet(Out.ALLOW)),
    ((A.NOTIFY,), _quiet(Out.DROP)),
    ((A.VIEW_POST, A.SEARCH) + PRESENCE, _quiet(Out.HIDE)),
)

_SPACE = {
    Direction.INBOUND: _rows(
        (DELIVERIES, _quiet(Out.HOLD, S.SPACE)),
        (CONTENT, _quiet(Out.ALLOW, S.SPACE)),
        (TIES, _quiet(Out.DENY, S.SPACE)),
        ((A.NOTIFY,), _quiet(Out.DROP)),
        (FEEDS + PRESENCE, _quiet(Out.HIDE, S.SPACE)),
    ),
    Direction.OUTBOUND: _rows((FEEDS + PRESENCE, _quiet(Out.HIDE))),
}

# A pledge binds its owner only: their attempts are diverted to their journal,
# their look-ups meet their own prompt, and the other person notices nothing.
_PLEDGE = {
    Direction.INBOUND: _rows(),
    Direction.OUTBOUND: _rows(
        (DELIVERIES + CONTENT + TIES, _quiet(Out.DIVERT, S.PLEDGE)),
        ((A.NOTIFY,), _quiet(Out.DROP)),
        ((A.VIEW_POST,) + PRESENCE, _quiet(Out.HIDE)),
        ((A.VIEW_PROFILE, A.SEARCH), _quiet(Out.HIDE, S.PLEDGE)),
    ),
}

_TABLE: dict[tuple[Kind, Direction, bool, bool], Mapping[Action, Effect]] = {}
for _disclosed in (False, True):
    for _evidence in (False, True):
        _key = (_disclosed, _evidence)
        _TABLE[(Kind.BLOCK, Direction.INBOUND, *_key)] = _block_inbound(*_key)
        _TABLE[(Kind.BLOCK, Direction.OUTBOUND, *_key)] = _BLOCK_OUTBOUND
        for _d in Direction:
            _TABLE[(Kind.MUTE, _d, *_key)] = _MUTE[_d]
            _TABLE[(Kind.RESTRICT, _d, *_key)] = _RESTRICT[_d]
            _TABLE[(Kind.BREAK, _d, *_key)] = _BREAK_BOTH
            _TABLE[(Kind.SPACE, _d, *_key)] = _SPACE[_d]
            _TABLE[(Kind.PLEDGE, _d, *_key)] = _PLEDGE[_d]


def effect(
    kind: Kind,
    direction: Direction,
    action: Action,
    disclosure: Disclosure = Disclosure.SILENT,
    keep_evidence: bool = False,
) -> Effect:
    """What one boundary of ``kind`` does to ``action`` in ``direction``."""
    disclosed = kind is Kind.BLOCK and disclosure is Disclosure.UNAVAILABLE
    evidence = kind is Kind.BLOCK and keep_evidence
    return _TABLE[(kind, direction, disclosed, evidence)][action]


_SEVERITY = {o: i for i, o in enumerate(OUTCOME_SEVERITY)}
_KIND_RANK = {k: i for i, k in enumerate(KIND_PRECEDENCE)}


def rank(eff: Effect, kind: Kind, direction: Direction, disclosure: Disclosure) -> tuple[int, ...]:
    """Sort key: the smallest wins (strictest outcome, kind, own boundary, quieter)."""
    return (
        _SEVERITY[eff.outcome],
        _KIND_RANK[kind],
        0 if direction is Direction.OUTBOUND else 1,
        0 if disclosure is Disclosure.SILENT else 1,
    )
