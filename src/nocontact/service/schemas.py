"""The JSON shapes of the ``/v1`` API, as msgspec structs.

Requests are decoded strictly (unknown fields are rejected, types are exact)
straight into these structs; the OpenAPI document's schemas are generated from
them, so the document and the validation cannot disagree. Times are RFC 3339
strings with a zone; durations are seconds.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from nocontact.core.model import (
    Action,
    ActorSees,
    Boundary,
    Channel,
    Decision,
    Disclosure,
    Event,
    Explanation,
    Kind,
    OnEnd,
    Outcome,
    Visibility,
)
from nocontact.engine import Person
from nocontact.telephony.attempts import Attempt
from nocontact.telephony.directive import Route

Time = Annotated[datetime, Meta(tz=True, description="RFC 3339 time with a zone")]
Text = Annotated[str, Meta(max_length=1024)]
Id = Annotated[str, Meta(min_length=1, max_length=64)]
Party = Annotated[
    str,
    Meta(min_length=1, max_length=256, description="A person id or an address URI"),
]
Note = Annotated[str, Meta(max_length=280)]
Name = Annotated[str, Meta(max_length=200)]
Revision = Annotated[int, Meta(ge=0)]
Seconds = Annotated[float, Meta(gt=0, le=3.2e9)]


class Strict(
    msgspec.Struct, forbid_unknown_fields=True, kw_only=True, gc=False, omit_defaults=True
):
    """A request body: unknown fields are an error.

    Encoded without its defaults (``omit_defaults``): written back, a body holds
    each key it was sent with (unless sent with its default value), which the
    duplicate-key check in :mod:`.bodies` counts against the bytes received.

        Not tracked by the garbage collector (``gc=False``): a decoded body holds
        only strings, numbers, times and lists of them, so it can be in no cycle,
        and a batch of 10,000 checks then sets off no collections.
    """


# -- requests ------------------------------------------------------------------


class PersonIn(Strict):
    id: Id | None = None
    name: Name | None = None
    addresses: Annotated[list[Party], Meta(max_length=100)] = []


class AddressIn(Strict):
    address: Party


class ContactIn(Strict):
    contact: Party


class BoundaryIn(Strict):
    owner: Id
    target: Party
    kind: Kind = Kind.BLOCK
    scope: Annotated[str, Meta(max_length=64)] = "everywhere"
    channels: Annotated[list[Channel], Meta(min_length=1, max_length=9)] | None = None
    starts: Time | None = None
    ends: Time | None = None
    duration: Seconds | None = None
    disclosure: Disclosure = Disclosure.SILENT
    note: Note | None = None
    keep_evidence: bool = False
    on_end: OnEnd = OnEnd.DELIVER


class Check(Strict):
    actor: Party
    action: Action
    target: Party
    platform: Annotated[str, Meta(max_length=32)] | None = None
    at: Time | None = None


class DecideIn(Check):
    #: Who will read the decision: the explanation of their own boundary, if any;
    #: none without a viewer.
    viewer: Party | None = None


class BatchIn(Strict):
    checks: list[Check]


class ItemIn(Strict):
    id: Annotated[str, Meta(min_length=1, max_length=256)]
    author: Party
    reposted_by: Party | None = None
    quoted: Party | None = None
    reply_to: Party | None = None
    root: Party | None = None
    mentions: Annotated[list[Party], Meta(max_length=100)] = []


class VisibleIn(Strict):
    viewer: Party
    items: Annotated[list[ItemIn], Meta(max_length=10_000)]
    at: Time | None = None


class AudienceIn(Strict):
    author: Party
    candidates: Annotated[list[Party], Meta(max_length=100_000)]
    at: Time | None = None


class PhoneRequestIn(Strict):
    #: The caller as the network asserts it: the P-Asserted-Identity URI, else the From URI.
    caller: Annotated[str, Meta(min_length=1, max_length=512)]
    #: Whom the request is for: the Request-URI (``sip:+14155550123@...`` or ``tel:...``).
    callee: Annotated[str, Meta(min_length=1, max_length=512)]
    #: ``call`` for an INVITE, ``sms`` for a MESSAGE.
    action: Literal["call", "sms"]
    #: The caller withheld their id (``Privacy: id``, or an anonymous From).
    withheld: bool = False


class EmergencyIn(Strict):
    owner: Id
    at: Time | None = None


# -- responses -----------------------------------------------------------------


class PersonOut(msgspec.Struct):
    id: str
    name: str | None
    addresses: list[str]
    revision: int


class BoundaryOut(msgspec.Struct):
    id: str
    owner: str
    kind: Kind
    target: str
    target_person: str | None
    scope: str
    channels: list[Channel] | None
    starts: datetime
    ends: datetime | None
    disclosure: Disclosure
    note: str | None
    keep_evidence: bool
    on_end: OnEnd
    revision: int


class BoundaryPage(msgspec.Struct):
    items: list[BoundaryOut]
    #: Pass as ``after`` for the next page; null on the last page.
    next: str | None
    revision: int


class LiftOut(msgspec.Struct):
    id: str
    #: False for a pledge: its cool-down started, and it ends at ``ends``.
    ended: bool
    ends: datetime | None
    revision: int


class ExplanationOut(msgspec.Struct):
    boundary_id: str
    owner: str
    kind: Kind
    reason: str


class DecisionOut(msgspec.Struct):
    outcome: Outcome
    actor_sees: ActorSees
    notify: bool
    revision: int
    evidence: bool
    note: str | None
    until: datetime | None
    explanation: ExplanationOut | None


class BatchDecision(msgspec.Struct):
    outcome: Outcome
    actor_sees: ActorSees
    notify: bool
    evidence: bool
    note: str | None
    until: datetime | None


class BatchOut(msgspec.Struct):
    decisions: list[BatchDecision]
    revision: int


class VisibilityOut(msgspec.Struct):
    item: str
    outcome: Outcome
    explanation: ExplanationOut | None


class VisibleOut(msgspec.Struct):
    items: list[VisibilityOut]
    revision: int


class AudienceOut(msgspec.Struct):
    audience: list[str]
    revision: int


class RevisionOut(msgspec.Struct):
    revision: int


class EventOut(msgspec.Struct):
    revision: int
    at: datetime
    type: str
    data: Annotated[
        dict[str, Any],
        Meta(description="What changed: times are RFC 3339 strings, flags are booleans"),
    ]


class EventPage(msgspec.Struct):
    events: list[EventOut]
    #: Pass as ``after`` for the next page.
    next_after: int


class PhoneRouteOut(msgspec.Struct):
    #: The proxy's branch: deliver, quiet, no_answer, unreachable, mailbox or refuse.
    route: Route
    #: What the caller is told, once: the space message; empty otherwise.
    announce: str
    revision: int


class AttemptOut(msgspec.Struct):
    id: int
    owner: str
    caller: str
    channel: str
    outcome: str
    sealed: bool
    boundary: str
    announced: bool
    at: datetime


class AttemptPage(msgspec.Struct):
    attempts: list[AttemptOut]
    #: Pass as ``after`` for the next page; null on the last one.
    next: int | None


class Health(msgspec.Struct):
    status: str


# -- conversions -----------------------------------------------------------------


def when(at: float | None) -> datetime | None:
    return None if at is None else datetime.fromtimestamp(at, UTC)


def person_out(p: Person) -> PersonOut:
    return PersonOut(p.id, p.name, list(p.addresses), p.revision)


def boundary_out(b: Boundary) -> BoundaryOut:
    return BoundaryOut(
        id=b.id,
        owner=b.owner,
        kind=b.kind,
        target=b.target,
        target_person=b.target_person,
        scope=b.scope,
        channels=sorted(b.channels) if b.channels is not None else None,
        starts=datetime.fromtimestamp(b.starts, UTC),
        ends=when(b.ends),
        disclosure=b.disclosure,
        note=b.note,
        keep_evidence=b.keep_evidence,
        on_end=b.on_end,
        revision=b.revision,
    )


def explanation_out(e: Explanation | None) -> ExplanationOut | None:
    return None if e is None else ExplanationOut(e.boundary_id, e.owner, e.kind, e.reason)


def decision_out(d: Decision) -> DecisionOut:
    return DecisionOut(
        d.outcome,
        d.actor_sees,
        d.notify,
        d.revision,
        d.evidence,
        d.note,
        when(d.until),
        explanation_out(d.explanation),
    )


def batch_decision(d: Decision) -> BatchDecision:
    return BatchDecision(d.outcome, d.actor_sees, d.notify, d.evidence, d.note, when(d.until))


_encode = msgspec.json.Encoder().encode


def batch_json(decided: list[Decision], revision: int) -> tuple[bytes, Counter[str]]:
    """``BatchOut(decisions, revision)`` as JSON bytes, and the decisions by outcome.

    The same bytes msgspec writes for the struct, built faster: the engine
    answers every pair with no boundary with one shared ``Decision`` object per
    action, so each distinct object (by identity; ``decided`` keeps them all
    alive, so no id is reused while this runs) is encoded once and the batch
    is a join of bytes. A batch decision carries no explanation, so no
    privacy rule applies here.
    """
    ids = list(map(id, decided))
    distinct = dict(zip(ids, decided, strict=True))
    encoded = {key: _encode(batch_decision(d)) for key, d in distinct.items()}
    # A few distinct objects (the usual batch) are counted by a scan each, in C.
    counts = {k: ids.count(k) for k in distinct} if len(distinct) <= 8 else Counter(ids)
    outcomes: Counter[str] = Counter()
    for key, n in counts.items():
        outcomes[distinct[key].outcome.value] += n
    parts = list(map(encoded.__getitem__, ids))
    head, tail = b'{"decisions":[', b'],"revision":' + str(revision).encode() + b"}"
    if not parts:
        return head + tail, outcomes
    parts[0] = head + parts[0]  # one join, not a second copy of the whole answer
    parts[-1] += tail
    return b",".join(parts), outcomes


def visibility_out(v: Visibility) -> VisibilityOut:
    return VisibilityOut(v.item, v.outcome, explanation_out(v.explanation))


#: Keys of event data that hold a time (stored as seconds), a flag (stored as 0 or 1),
#: or a list of channels (stored comma-separated): shown as the rest of the API shows them.
EVENT_TIMES = frozenset({"at", "starts", "ends", "until"})
EVENT_FLAGS = frozenset({"keep_evidence"})


def event_data(data: Any) -> Any:
    """Event data as the API speaks: RFC 3339 times, booleans, lists of channels."""
    if isinstance(data, list):
        return [event_data(v) for v in data]
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in EVENT_TIMES and isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = datetime.fromtimestamp(value, UTC).isoformat()
        elif key in EVENT_FLAGS and value in (0, 1):
            out[key] = bool(value)
        elif key == "channels" and isinstance(value, str):
            out[key] = value.split(",") if value else []
        else:
            out[key] = event_data(value)
    return out


def event_out(e: Event) -> EventOut:
    return EventOut(e.revision, datetime.fromtimestamp(e.at, UTC), e.type, event_data(e.data))


def attempt_out(a: Attempt) -> AttemptOut:
    at = datetime.fromtimestamp(a.at, UTC)
    return AttemptOut(
        a.id, a.owner, a.caller, a.channel, a.outcome, a.sealed, a.boundary, a.announced, at
    )
