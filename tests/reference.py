"""A deliberately simple reference model of the engine, for the model-based test.

Written without ``core/index.py`` or ``core/decide.py``: plain lists and dicts,
linear scans, every rule spelled out once. The only things it shares with the
engine are the spec itself (the semantics table ``effect``/``DEFAULT`` and the
orderings in ``core/model.py``) and the address parser (``parse_address``), which
turns every spelling of an address into its one URI and says what kind of
address it is.

Every write validates first and changes nothing when it raises :class:`Invalid`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from nocontact.core.addresses import Address, AddressKind, parse_address
from nocontact.core.errors import InvalidAddress
from nocontact.core.model import (
    CHANNEL_OF,
    KIND_PRECEDENCE,
    OUTCOME_SEVERITY,
    PHONE_ACTIONS,
    Action,
    ActorSees,
    Channel,
    Direction,
    Disclosure,
    Item,
    Kind,
    OnEnd,
    Outcome,
)
from nocontact.core.semantics import DEFAULT, effect

EMERGENCY_WINDOW = 2 * 3600.0
PLEDGE_COOLDOWN = 600.0
NOTE_LIMIT = 280
PATTERN = "pattern:"
SIMPLE_PATTERNS = ("unknown", "private", "shortcode", "sender")
#: Outcomes that stop an interaction: the actor's own boundary with one decides alone.
STOPS = frozenset(
    {Outcome.DENY, Outcome.DROP, Outcome.HIDE, Outcome.HOLD, Outcome.DIVERT, Outcome.LIMITED}
)
DISCLOSING_TO_BLOCKED = frozenset({ActorSees.UNAVAILABLE, ActorSees.YOU_BLOCKED, ActorSees.SPACE})

#: Person ids are plain words with at least one letter; anything else is an address.
_PERSON_ID = re.compile(r"(?=[^:]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")


class Invalid(Exception):
    """The model's verdict that an input is bad (the engine must raise too)."""


def valid_person_id(text: str) -> bool:
    return _PERSON_ID.fullmatch(text) is not None


def looks_like_address(text: str) -> bool:
    return not valid_person_id(text)


def parse(text: str) -> Address:
    try:
        return parse_address(text, region="US")
    except InvalidAddress as exc:
        raise Invalid(str(exc)) from None


@dataclass(frozen=True)
class RBoundary:
    id: str
    owner: str
    kind: Kind
    target: str  # a person id, a canonical address URI or a normalised pattern
    scope: str
    channels: frozenset[Channel] | None
    starts: float
    ends: float | None
    disclosure: Disclosure
    note: str | None
    keep_evidence: bool
    on_end: OnEnd
    #: For an address target with a scope other than ``address``: its person, once known.
    target_person: str | None = None

    def holds(self, at: float) -> bool:
        return self.starts <= at and (self.ends is None or at < self.ends)

    def alive(self, now: float) -> bool:
        """Not yet ended (it may still be waiting to start)."""
        return self.ends is None or now < self.ends

    def covers(self, action: Action) -> bool:
        return self.channels is None or CHANNEL_OF[action] in self.channels

    def same_as(self, other: RBoundary) -> bool:
        """Everything but id and start is equal."""
        return replace(self, id="", starts=0.0) == replace(other, id="", starts=0.0)


@dataclass(frozen=True)
class RParty:
    text: str
    #: A person id, or the URI of an address nobody has linked (a person of its own).
    principal: str
    #: The canonical URI of the address used, when the party was given as one.
    address: str | None
    parsed: Address | None


@dataclass(frozen=True)
class Holding:
    boundary: RBoundary
    direction: Direction


@dataclass(frozen=True)
class RDecision:
    outcome: Outcome
    actor_sees: ActorSees
    notify: bool
    evidence: bool
    note: str | None
    until: float | None
    boundary_id: str | None
    #: The actor's own strongest boundary: the only one explained to the actor.
    explained_to_actor: str | None = None
    #: Every boundary that held and covered (after the emergency pause), for invariants.
    holding: tuple[Holding, ...] = ()
    emergency: bool = False


_SEVERITY = {o: i for i, o in enumerate(OUTCOME_SEVERITY)}
_KIND_RANK = {k: i for i, k in enumerate(KIND_PRECEDENCE)}


def aim(b: RBoundary) -> str:
    """Whom a boundary is toward: the person an address stands for, unless scoped to it."""
    return b.target if b.scope == "address" else (b.target_person or b.target)


def default_decision(action: Action, *, emergency: bool = False) -> RDecision:
    eff = DEFAULT[action]
    return RDecision(
        eff.outcome, eff.actor_sees, eff.notify, False, None, None, None, emergency=emergency
    )


def check_scope(scope: str | None) -> str:
    if scope is None:
        return "everywhere"
    if scope in ("everywhere", "address"):
        return scope
    if scope.startswith("platform:"):
        name = scope[len("platform:") :].strip().lower()
        if 1 <= len(name) <= 32 and all(c.isalnum() or c == "-" for c in name):
            return "platform:" + name
    raise Invalid(f"bad scope {scope!r}")


def check_pattern(target: str) -> str:
    name = target[len(PATTERN) :]
    if name in SIMPLE_PATTERNS:
        return target
    if name.startswith("domain:"):
        domain = name[len("domain:") :].strip().lower()
        if domain and "." in domain and " " not in domain and "@" not in domain:
            return PATTERN + "domain:" + domain
    raise Invalid(f"bad pattern {target!r}")


def check_note(note: str | None) -> str | None:
    if note is None:
        return None
    note = note.strip()
    if len(note) > NOTE_LIMIT:
        raise Invalid("note too long")
    return note or None


class Reference:
    """The whole engine state, as lists and dicts."""

    def __init__(
        self, *, emergency_window: float = EMERGENCY_WINDOW, cooldown: float = PLEDGE_COOLDOWN
    ) -> None:
        self.window = emergency_window
        self.cooldown = cooldown
        self.persons: list[str] = []
        self.linked: dict[str, str] = {}  # address uri -> person
        self.boundaries: list[RBoundary] = []  # every boundary not lifted (ended ones too)
        self.contacts: list[tuple[str, str]] = []  # (owner, person id or address uri)
        self.emergencies: dict[str, float] = {}  # owner -> last emergency contact
        self.lifts_person_blocks: dict[str, bool] = {}
        #: Shared lists: id -> (curator, deleted, members as person ids or address URIs).
        self.lists: dict[str, tuple[str, bool, set[str]]] = {}
        #: (owner, list id) -> the subscription, as the boundary it stands for.
        self.subscriptions: dict[tuple[str, str], RBoundary] = {}
        self.suspended: set[str] = set()

    # -- persons and addresses ---------------------------------------------------

    def _person(self, person: str) -> str:
        if not valid_person_id(person) or person not in self.persons:
            raise Invalid(f"no person {person!r}")
        return person

    def _linkable(self, text: str) -> Address:
        parsed = parse(text)
        if parsed.emergency or parsed.kind is AddressKind.PRIVATE:
            raise Invalid(f"{parsed.uri} cannot belong to anyone")
        return parsed

    def addresses_of(self, person: str) -> list[str]:
        return sorted(uri for uri, p in self.linked.items() if p == person)

    def _link(self, uri: str, person: str) -> None:
        """Link, then re-point: boundaries set on the address while nobody had it
        (wider than ``address``) cover the whole person from now on."""
        self.linked[uri] = person
        for i, b in enumerate(self.boundaries):
            if (
                b.target == uri
                and b.scope != "address"
                and b.target_person is None
                and b.owner != person
            ):
                self.boundaries[i] = replace(b, target_person=person)

    def add_person(self, person: str, addresses: Sequence[str]) -> None:
        if not valid_person_id(person):
            raise Invalid("bad person id")
        if person in self.persons:
            raise Invalid("person exists")
        parsed = [self._linkable(a) for a in addresses]
        for a in parsed:
            if self.linked.get(a.uri, person) != person:
                raise Invalid(f"{a.uri} is taken")
        self.persons.append(person)
        for a in parsed:
            self._link(a.uri, person)

    def link_address(self, person: str, text: str) -> bool:
        """Whether anything changed."""
        self._person(person)
        uri = self._linkable(text).uri
        holder = self.linked.get(uri)
        if holder == person:
            return False
        if holder is not None:
            raise Invalid(f"{uri} is taken")
        self._link(uri, person)
        return True

    def unlink_address(self, person: str, text: str) -> None:
        self._person(person)
        uri = self._linkable(text).uri
        if self.linked.get(uri) != person:
            raise Invalid(f"{uri} is not {person}'s")
        del self.linked[uri]

    def change_address(self, person: str, old: str, new: str) -> None:
        """A new number for the same person: boundaries on the old address itself
        (those that never resolved to a person) move to the new one."""
        self._person(person)
        before, after = self._linkable(old).uri, self._linkable(new).uri
        if self.linked.get(before) != person:
            raise Invalid(f"{before} is not {person}'s")
        if self.linked.get(after, person) != person:
            raise Invalid(f"{after} is taken")
        del self.linked[before]
        for i, b in enumerate(self.boundaries):
            if b.target == before and b.target_person is None:
                self.boundaries[i] = replace(b, target=after)
        self._link(after, person)

    def add_contact(self, owner: str, contact: str) -> bool:
        self._person(owner)
        key = self._linkable(contact).uri if looks_like_address(contact) else self._person(contact)
        if (owner, key) in self.contacts:
            return False
        self.contacts.append((owner, key))
        return True

    def record_emergency(self, owner: str, at: float) -> None:
        self._person(owner)
        self.emergencies[owner] = at

    def set_lifts_person_blocks(self, owner: str, lifts: bool) -> None:
        self._person(owner)
        self.lifts_person_blocks[owner] = lifts

    # -- shared lists ------------------------------------------------------------------

    def _member(self, text: str) -> str:
        return self._linkable(text).uri if looks_like_address(text) else self._person(text)

    def _list(self, list_id: str) -> tuple[str, bool, set[str]]:
        if list_id not in self.lists:
            raise Invalid(f"no list {list_id!r}")
        return self.lists[list_id]

    def create_list(self, curator: str, list_id: str, members: Sequence[str]) -> None:
        self._person(curator)
        if list_id in self.lists:
            raise Invalid("list exists")
        self.lists[list_id] = (curator, False, {self._member(m) for m in members})

    def change_members(self, list_id: str, members: Sequence[str], *, add: bool) -> bool:
        """Whether anything changed."""
        _, _, current = self._list(list_id)
        wanted = {self._member(m) for m in members}
        changing = wanted - current if add else wanted & current
        if add:
            current |= changing
        else:
            current -= changing
        return bool(changing)

    def subscribe(self, owner: str, list_id: str, kind: Kind, sub_id: str, now: float) -> bool:
        self._person(owner)
        self._list(list_id)
        if kind not in (Kind.BLOCK, Kind.MUTE):
            raise Invalid("a list is subscribed to as a block or a mute")
        found = self.subscriptions.get((owner, list_id))
        if found is not None and found.kind is kind:
            return False
        self.subscriptions[(owner, list_id)] = RBoundary(
            sub_id, owner, kind, "list:" + list_id, "everywhere", None, now, None,
            Disclosure.SILENT, None, False, OnEnd.DELIVER,
        )  # fmt: skip
        return True

    def unsubscribe(self, owner: str, list_id: str) -> None:
        self._person(owner)
        if (owner, list_id) not in self.subscriptions:
            raise Invalid("not subscribed")
        del self.subscriptions[(owner, list_id)]

    def delete_list(self, list_id: str) -> bool:
        curator, deleted, _ = self._list(list_id)
        if deleted:
            return False
        self.lists[list_id] = (curator, True, set())
        return True

    def suspend(self, curator: str, suspended: bool) -> bool:
        self._person(curator)
        if (curator in self.suspended) == suspended:
            return False
        if suspended:
            self.suspended.add(curator)
        else:
            self.suspended.discard(curator)
        return True

    def applies(self, list_id: str) -> bool:
        curator, deleted, _ = self.lists[list_id]
        return not deleted and curator not in self.suspended

    def on_list(self, list_id: str, party: RParty) -> bool:
        """A member covers the party by id or address, and a member address its person."""
        for m in self.lists[list_id][2]:
            if m in (party.principal, party.address) or self.linked.get(m) == party.principal:
                return True
        return False

    # -- boundaries ------------------------------------------------------------------

    def spec(
        self,
        owner: str,
        target: str,
        kind: Kind,
        *,
        scope: str | None,
        channels: Iterable[Channel] | None,
        starts: float | None,
        ends: float | None,
        disclosure: Disclosure,
        note: str | None,
        keep_evidence: bool,
        on_end: OnEnd,
        now: float,
    ) -> RBoundary:
        """The boundary a ``set_boundary`` call describes (id left empty), or Invalid."""
        self._person(owner)
        scope = check_scope(scope)
        target_person = None
        if target.startswith(PATTERN):
            target = check_pattern(target)
            if scope == "address":
                raise Invalid("a pattern has no single address")
            if kind is Kind.PLEDGE:
                raise Invalid("a pledge is toward one person")
        elif looks_like_address(target):
            parsed = parse(target)
            if parsed.emergency:
                raise Invalid("emergency numbers are never blocked")
            if parsed.kind is AddressKind.PRIVATE:
                raise Invalid("private callers are a pattern")
            target = parsed.uri
            holder = self.linked.get(target)
            if holder == owner:
                raise Invalid("one's own address")
            if scope != "address":
                target_person = holder
        else:
            self._person(target)
            if target == owner:
                raise Invalid("a boundary toward oneself")
            if scope == "address":
                raise Invalid("scope address needs an address")
        start = now if starts is None else starts
        if ends is not None and not ends > start:
            raise Invalid("ends before it starts")
        if kind is Kind.SPACE and ends is None:
            raise Invalid("space needs an end")
        chosen = None if channels is None else frozenset(channels)
        if chosen is not None and not chosen:
            raise Invalid("no channels")
        if disclosure is Disclosure.UNAVAILABLE and kind is not Kind.BLOCK:
            raise Invalid("only blocks disclose")
        if keep_evidence and kind is not Kind.BLOCK:
            raise Invalid("only blocks keep evidence")
        return RBoundary(
            id="",
            owner=owner,
            kind=kind,
            target=target,
            scope=scope,
            channels=chosen,
            starts=start,
            ends=ends,
            disclosure=disclosure,
            note=check_note(note),
            keep_evidence=keep_evidence,
            on_end=on_end,
            target_person=target_person,
        )

    def existing(self, spec: RBoundary, now: float) -> RBoundary | None:
        """The owner's boundary, not ended, of ``spec``'s kind and scope toward the same one."""
        for b in self.boundaries:
            if (
                b.owner == spec.owner
                and b.alive(now)
                and b.kind is spec.kind
                and b.scope == spec.scope
                and aim(b) == aim(spec)
            ):
                return b
        return None

    def put(self, spec: RBoundary, now: float) -> tuple[str, RBoundary]:
        """Set ``spec``: ``created``, or the one boundary of its aim ``updated`` or ``unchanged``.

        Setting again keeps the id and a start already in force; a pledge's end
        only ever moves later (it ends early only through its cool-down).
        """
        b = self.existing(spec, now)
        if b is None:
            return "created", spec
        ends = spec.ends
        if b.kind is Kind.PLEDGE:
            ends = None if b.ends is None or spec.ends is None else max(spec.ends, b.ends)
        starts = b.starts if b.starts <= now else min(b.starts, spec.starts)
        new = replace(spec, id=b.id, starts=starts, ends=ends)
        if new == b:
            return "unchanged", b
        if new.ends is not None and not new.ends > new.starts:
            raise Invalid("a boundary must end after it starts")
        self.boundaries[self.boundaries.index(b)] = new
        return "updated", new

    def add_boundary(self, boundary: RBoundary) -> None:
        assert boundary.id and all(b.id != boundary.id for b in self.boundaries)
        self.boundaries.append(boundary)

    def find(self, boundary_id: str, now: float) -> RBoundary | None:
        for b in self.boundaries:
            if b.id == boundary_id and b.alive(now):
                return b
        return None

    def lift(self, boundary_id: str, *, restore: bool, now: float) -> str:
        """``removed``, ``ending`` (a pledge's cool-down began) or ``unchanged``."""
        b = self.find(boundary_id, now)
        if b is None:
            raise Invalid("no such boundary")
        if restore and b.kind is not Kind.BLOCK:
            raise Invalid("restore is for blocks")
        i = self.boundaries.index(b)
        if b.kind is Kind.PLEDGE:
            end = max(now, b.starts) + self.cooldown
            if b.ends is not None and b.ends <= end:
                return "unchanged"
            self.boundaries[i] = replace(b, ends=end)
            return "ending"
        del self.boundaries[i]
        return "removed"

    def alive_of(self, owner: str, now: float) -> list[RBoundary]:
        return [b for b in self.boundaries if b.owner == owner and b.alive(now)]

    # -- reads -------------------------------------------------------------------------

    def resolve(self, text: str) -> RParty:
        if looks_like_address(text):
            parsed = parse(text)
            return RParty(text, self.linked.get(parsed.uri, parsed.uri), parsed.uri, parsed)
        return RParty(text, text, None, None)

    def is_contact(self, owner: str, party: RParty) -> bool:
        for who, contact in self.contacts:
            if who != owner:
                continue
            if contact in (party.principal, party.address):
                return True
            if self.linked.get(contact) == party.principal:
                return True
        return False

    def toward(self, b: RBoundary, other: RParty) -> bool:
        """Whether ``b``'s person or address target is ``other`` (patterns: no)."""
        if b.target.startswith(PATTERN):
            return False
        if b.scope == "address":
            return other.address == b.target
        if b.target_person is not None:
            return other.principal == b.target_person
        # A person id, or an address standing for a person of its own.
        return b.target in (other.principal, other.address)

    def matches_pattern(self, b: RBoundary, actor: RParty) -> bool:
        name = b.target[len(PATTERN) :]
        parsed = actor.parsed
        if name == "unknown":
            return not self.is_contact(b.owner, actor)
        if parsed is None:
            return False
        if name == "private":
            return parsed.kind is AddressKind.PRIVATE
        if name == "shortcode":
            return parsed.short_code
        if name == "sender":
            return parsed.kind is AddressKind.SENDER
        if name.startswith("domain:"):
            return parsed.domain == name[len("domain:") :]
        return False

    def paused(self, b: RBoundary, at: float) -> bool:
        """Inside the owner's emergency call-back window (inbound calls and SMS only)."""
        e = self.emergencies.get(b.owner)
        if e is None or not e <= at < e + self.window:
            return False
        if b.target.startswith((PATTERN, "list:")):
            return True
        return self.lifts_person_blocks.get(b.owner, False)

    def holding(
        self, actor: RParty, action: Action, target: RParty, platform: str | None, at: float
    ) -> list[Holding]:
        """Every boundary in force on this interaction, either way."""
        out: list[Holding] = []
        for b in self.boundaries:
            if not b.holds(at) or not b.covers(action):
                continue
            # A decision that names no platform honours every platform's boundaries.
            scoped = b.scope[len("platform:") :] if b.scope.startswith("platform:") else None
            if scoped is not None and platform is not None and scoped != platform:
                continue
            if b.owner == target.principal:
                if b.target.startswith(PATTERN):
                    applies = self.matches_pattern(b, actor)
                else:
                    applies = self.toward(b, actor)
                if applies and not (action in PHONE_ACTIONS and self.paused(b, at)):
                    out.append(Holding(b, Direction.INBOUND))
            elif b.owner == actor.principal and self.toward(b, target):
                out.append(Holding(b, Direction.OUTBOUND))
        for (owner, list_id), b in self.subscriptions.items():
            if not self.applies(list_id) or not b.holds(at):
                continue
            if owner == target.principal and self.on_list(list_id, actor):
                if not (action in PHONE_ACTIONS and self.paused(b, at)):
                    out.append(Holding(b, Direction.INBOUND))
            elif owner == actor.principal and self.on_list(list_id, target):
                out.append(Holding(b, Direction.OUTBOUND))
        return out

    def decide(
        self,
        actor_text: str,
        action: Action,
        target_text: str,
        *,
        platform: str | None,
        at: float,
    ) -> RDecision:
        actor, target = self.resolve(actor_text), self.resolve(target_text)
        if actor.principal == target.principal:
            return default_decision(action)
        if any(p.parsed is not None and p.parsed.emergency for p in (actor, target)):
            return default_decision(action, emergency=True)
        if platform is None:
            used = actor.parsed or target.parsed
            platform = used.platform if used is not None else None
        holding = self.holding(actor, action, target, platform, at)
        if not holding:
            return default_decision(action)

        def key(h: Holding) -> tuple[object, ...]:
            b = h.boundary
            eff = effect(b.kind, h.direction, action, b.disclosure, b.keep_evidence)
            return (
                _SEVERITY[eff.outcome],
                _KIND_RANK[b.kind],
                0 if h.direction is Direction.OUTBOUND else 1,
                0 if b.disclosure is Disclosure.SILENT else 1,
                b.id,
            )

        # docs/semantics.md: when the actor's own boundary stops the interaction,
        # it decides alone (so it never reveals the other side's boundaries).
        own = [h for h in holding if h.direction is Direction.OUTBOUND]
        deciding = holding
        if own:
            own_winner = min(own, key=key)
            b = own_winner.boundary
            eff = effect(b.kind, Direction.OUTBOUND, action, b.disclosure, b.keep_evidence)
            if eff.outcome in STOPS:
                deciding = own
        winner = min(deciding, key=key)
        b = winner.boundary
        eff = effect(b.kind, winner.direction, action, b.disclosure, b.keep_evidence)
        notify = DEFAULT[action].notify
        for h in deciding:
            hb = h.boundary
            notify = (
                notify
                and effect(hb.kind, h.direction, action, hb.disclosure, hb.keep_evidence).notify
            )
        space = eff.actor_sees is ActorSees.SPACE
        return RDecision(
            outcome=eff.outcome,
            actor_sees=eff.actor_sees,
            notify=notify,
            evidence=eff.evidence,
            note=b.note if space else None,
            until=b.ends if space else None,
            boundary_id=b.id,
            explained_to_actor=min(own, key=key).boundary.id if own else None,
            holding=tuple(holding),
        )

    def visible(self, viewer: str, items: Sequence[Item], at: float) -> list[Outcome]:
        me = self.resolve(viewer)
        out: list[Outcome] = []
        for item in items:
            out.append(self._visibility(me, viewer, item, at))
        return out

    def _visibility(self, me: RParty, viewer: str, item: Item, at: float) -> Outcome:
        carried = [item.author, item.reposted_by, item.quoted, item.reply_to, item.root]
        carried += list(item.mentions)
        for person in carried:
            if person is None or self.resolve(person).principal == me.principal:
                continue
            seen = self.decide(viewer, Action.VIEW_POST, person, platform=None, at=at)
            if seen.outcome is Outcome.HIDE:
                return Outcome.HIDE
        author = self.resolve(item.author)
        if author.principal == me.principal:
            return Outcome.SHOW
        for parent in (item.reply_to, item.root):
            if parent is None:
                continue
            owner = self.resolve(parent).principal
            for b in self.boundaries:
                if (
                    b.owner == owner
                    and b.kind is Kind.RESTRICT
                    and b.holds(at)
                    and b.covers(Action.REPLY)
                    and self.toward(b, author)
                ):
                    return Outcome.HIDE
        return Outcome.SHOW

    def audience(self, author: str, candidates: Sequence[str], at: float) -> list[str]:
        return [
            c
            for c in candidates
            if self.decide(c, Action.VIEW_POST, author, platform=None, at=at).outcome
            is Outcome.SHOW
        ]
