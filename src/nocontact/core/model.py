"""The words of DESIGN section 2 as types: kinds, actions, outcomes, boundaries,
interactions, decisions, feed items and events.

Pure data. Times are floats (seconds since the Unix epoch, UTC) inside the
core; the engine converts ``datetime`` values at its edge.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar, cast

from .errors import InvalidInput, InvalidPersonId

Instant = float
E = TypeVar("E", bound=StrEnum)
Clock = Callable[[], Instant]


class Kind(StrEnum):
    BLOCK = "block"
    MUTE = "mute"
    RESTRICT = "restrict"
    BREAK = "break"
    SPACE = "space"
    PLEDGE = "pledge"


#: DESIGN section 3: where several boundaries hold, the strictest kind wins.
KIND_PRECEDENCE: tuple[Kind, ...] = (
    Kind.BLOCK,
    Kind.SPACE,
    Kind.PLEDGE,
    Kind.RESTRICT,
    Kind.BREAK,
    Kind.MUTE,
)


class Action(StrEnum):
    MESSAGE = "message"
    CALL = "call"
    SMS = "sms"
    MENTION = "mention"
    REPLY = "reply"
    QUOTE = "quote"
    REPOST = "repost"
    FOLLOW = "follow"
    GROUP_ADD = "group_add"
    VIEW_POST = "view_post"
    VIEW_PROFILE = "view_profile"
    SEARCH = "search"
    PRESENCE = "presence"
    READ_RECEIPT = "read_receipt"
    LOCATION = "location"
    NOTIFY = "notify"


class Channel(StrEnum):
    """Groups of actions a boundary can be limited to."""

    CALLS = "calls"
    SMS = "sms"
    MESSAGES = "messages"
    GROUPS = "groups"
    MENTIONS = "mentions"
    POSTS = "posts"
    PRESENCE = "presence"
    LOCATION = "location"
    NOTIFICATIONS = "notifications"


CHANNEL_OF: Mapping[Action, Channel] = {
    Action.MESSAGE: Channel.MESSAGES,
    Action.CALL: Channel.CALLS,
    Action.SMS: Channel.SMS,
    Action.MENTION: Channel.MENTIONS,
    Action.REPLY: Channel.MENTIONS,
    Action.QUOTE: Channel.MENTIONS,
    Action.REPOST: Channel.MENTIONS,
    Action.FOLLOW: Channel.POSTS,
    Action.GROUP_ADD: Channel.GROUPS,
    Action.VIEW_POST: Channel.POSTS,
    Action.VIEW_PROFILE: Channel.POSTS,
    Action.SEARCH: Channel.POSTS,
    Action.PRESENCE: Channel.PRESENCE,
    Action.READ_RECEIPT: Channel.PRESENCE,
    Action.LOCATION: Channel.LOCATION,
    Action.NOTIFY: Channel.NOTIFICATIONS,
}

#: Actions whose decision is a visibility (show, limited, hide).
VIEW_ACTIONS = frozenset(
    {
        Action.VIEW_POST,
        Action.VIEW_PROFILE,
        Action.SEARCH,
        Action.PRESENCE,
        Action.READ_RECEIPT,
        Action.LOCATION,
    }
)
#: Actions that carry something to the other person's device and show a status.
DELIVERY_ACTIONS = frozenset({Action.MESSAGE, Action.CALL, Action.SMS})
#: Telephone actions: the ones the emergency call-back window protects.
PHONE_ACTIONS = frozenset({Action.CALL, Action.SMS})


class Outcome(StrEnum):
    DELIVER = "deliver"
    DELIVER_QUIETLY = "deliver_quietly"
    REQUEST = "request"
    HOLD = "hold"
    DIVERT = "divert"
    DROP = "drop"
    DENY = "deny"
    ALLOW = "allow"
    SHOW = "show"
    LIMITED = "limited"
    HIDE = "hide"


#: Strictest first: among effects on one interaction, the earliest here wins.
OUTCOME_SEVERITY: tuple[Outcome, ...] = (
    Outcome.DENY,
    Outcome.DROP,
    Outcome.HIDE,
    Outcome.HOLD,
    Outcome.DIVERT,
    Outcome.LIMITED,
    Outcome.REQUEST,
    Outcome.DELIVER_QUIETLY,
    Outcome.ALLOW,
    Outcome.DELIVER,
    Outcome.SHOW,
)


class ActorSees(StrEnum):
    """The only thing the product may show the actor."""

    DELIVERED = "delivered"
    SENT = "sent"
    NORMAL = "normal"
    UNAVAILABLE = "unavailable"
    SPACE = "space"
    PLEDGE = "pledge"
    YOU_BLOCKED = "you_blocked"


#: What tells an actor that a boundary exists. A silent block must never show these.
DISCLOSING = frozenset({ActorSees.UNAVAILABLE, ActorSees.SPACE})


class Disclosure(StrEnum):
    SILENT = "silent"
    UNAVAILABLE = "unavailable"


class OnEnd(StrEnum):
    """What happens to messages a ``space`` held, once it ends."""

    DELIVER = "deliver"
    DISCARD = "discard"


class Direction(StrEnum):
    INBOUND = "inbound"  # the target acts toward the owner
    OUTBOUND = "outbound"  # the owner acts toward the target


#: At least one letter, so that a bare number such as 4155550123 is always an address.
_PERSON_ID = re.compile(r"(?=[^:]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")


def is_person_id(value: str) -> bool:
    """Person ids are plain words; anything else (``+1 415…``, ``a@b.org``) is an address."""
    return isinstance(value, str) and _PERSON_ID.fullmatch(value) is not None


def check_person_id(value: str) -> str:
    """Person ids are opaque but plain, so they never look like an address."""
    if not isinstance(value, str) or not _PERSON_ID.fullmatch(value):
        raise InvalidPersonId(
            f"{value!r} is not a person id: use 1-64 letters, digits, '_', '.' or '-',"
            " starting with a letter or digit and with at least one letter",
            field="person",
        )
    return value


def check_person_ids(values: Sequence[object]) -> None:
    """``check_person_id`` for many (a bulk import's million): one C call each, and the
    loop only to name the first that is not a person id."""
    try:
        if all(map(_PERSON_ID.fullmatch, values)):  # type: ignore[arg-type]
            return
    except TypeError:  # not text: the loop says which
        pass
    for value in values:
        check_person_id(value)  # type: ignore[arg-type]


def parse_enum(kind: type[E], value: object, field_name: str) -> E:
    try:
        return kind(cast(str, value))
    except ValueError:
        choices = ", ".join(m.value for m in kind)
        raise InvalidInput(
            f"{field_name} must be one of {choices}; got {value!r}", field=field_name
        ) from None


@dataclass(frozen=True, slots=True)
class Boundary:
    """One boundary, as stored. ``target`` is a person id, an address URI or a pattern."""

    id: str
    owner: str
    kind: Kind
    target: str
    scope: str = "everywhere"
    channels: frozenset[Channel] | None = None
    starts: Instant = 0.0
    ends: Instant | None = None
    disclosure: Disclosure = Disclosure.SILENT
    note: str | None = None
    keep_evidence: bool = False
    on_end: OnEnd = OnEnd.DELIVER
    #: For an address target with a wider scope: the person it was resolved to.
    target_person: str | None = None
    revision: int = 0

    def holds_at(self, at: Instant) -> bool:
        return self.starts <= at and (self.ends is None or at < self.ends)

    def covers(self, action: Action) -> bool:
        return self.channels is None or CHANNEL_OF[action] in self.channels

    @property
    def platform(self) -> str | None:
        return self.scope.partition(":")[2] if self.scope.startswith("platform:") else None


@dataclass(frozen=True, slots=True)
class Interaction:
    """``actor`` does ``action`` toward ``target`` (person ids or address URIs)."""

    actor: str
    action: Action
    target: str
    platform: str | None = None
    at: Instant | None = None


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a decision was made: shown only to the owner of the boundary it names."""

    boundary_id: str
    owner: str
    kind: Kind
    reason: str


class _Later:
    """A slot, not a field: what a decision left to be worked out (``Decision.__getattr__``)."""

    __slots__ = ("_later",)


@dataclass(frozen=True, slots=True)
class Decision(_Later):
    outcome: Outcome
    actor_sees: ActorSees
    notify: bool
    revision: int
    #: Seal what the actor sent in the owner's evidence archive (blocks with keep_evidence).
    evidence: bool = False
    #: For ``space``: the owner's note and the end, which the actor is told.
    note: str | None = None
    until: Instant | None = None
    #: The viewer's own boundary that decided, for the viewer the decision was made
    #: for (the actor unless asked otherwise); never one of the other side's.
    explanation: Explanation | None = field(default=None, compare=False)

    if not TYPE_CHECKING:  # to a type checker, ``explanation`` is a field like the others

        def __getattr__(self, name: str) -> object:
            """Only for a slot never set: the explanation that a single decision between
            two persons by number (``decide.plain_decision``) left in ``_later``, to be
            worked out when first read. Naming a plain boundary is a keyed hash, and
            most decisions are never explained to anyone."""
            if name != "explanation":
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            work, *args = self._later
            value = work(*args)
            object.__setattr__(self, name, value)
            return value

    def seen_by(self, person: str) -> Decision:
        """The decision as ``person`` may see it: the explanation only for its owner."""
        if self.explanation is None or self.explanation.owner == person:
            return self
        return replace(self, explanation=None)


@dataclass(frozen=True, slots=True)
class Item:
    """A feed item and everyone it carries."""

    id: str
    author: str
    reposted_by: str | None = None
    quoted: str | None = None
    reply_to: str | None = None
    root: str | None = None
    mentions: tuple[str, ...] = ()

    def carried(self) -> tuple[str, ...]:
        people = [self.author, self.reposted_by, self.quoted, self.reply_to, self.root]
        return tuple(p for p in people if p is not None) + self.mentions


@dataclass(frozen=True, slots=True)
class Visibility:
    item: str
    outcome: Outcome
    explanation: Explanation | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Event:
    revision: int
    at: Instant
    type: str
    data: Mapping[str, object]
