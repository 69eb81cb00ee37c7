"""The ``/v1`` endpoints: each turns one request into engine calls.

Handlers hold no rules: validation is the schemas' and the engine's, errors
become problems in :mod:`.problems`. Every write answers with the new
revision; every read accepts ``min_revision`` and never answers from an older
state. Explanations (which boundary decided, and why) are for the owner's
eyes only: ``decide`` includes one only for the ``viewer`` it names.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import msgspec

from nocontact.core.model import Action, Boundary, Interaction, Item
from nocontact.engine import Engine
from nocontact.telephony.gate import Request, answer

from . import schemas as s
from .auth import Scope
from .events import event_page, stream
from .problems import edge
from .routing import Call, Param, Raw, Route

MIN_REVISION = Param(
    "min_revision",
    int,
    "Answer only from a state at least this fresh (a revision a write returned).",
    minimum=0,
)


def _at(value: Any) -> float | None:
    return None if value is None else float(value.timestamp())


# -- persons -------------------------------------------------------------------


async def add_person(call: Call) -> s.PersonOut:
    body: s.PersonIn = call.body
    p = await call.service.write(
        lambda e: e.add_person(body.id, name=body.name, addresses=body.addresses)
    )
    return s.person_out(p)


async def get_person(call: Call) -> s.PersonOut:
    engine = await call.service.fresh(call.query.get("min_revision"))
    return s.person_out(engine.person(call.path["id"]))


async def link_address(call: Call) -> s.PersonOut:
    body: s.AddressIn = call.body
    person = call.path["id"]
    return s.person_out(await call.service.write(lambda e: e.link_address(person, body.address)))


async def unlink_address(call: Call) -> s.PersonOut:
    person, address = call.path["id"], call.path["address"]
    return s.person_out(await call.service.write(lambda e: e.unlink_address(person, address)))


async def add_contact(call: Call) -> s.RevisionOut:
    body: s.ContactIn = call.body
    owner = call.path["id"]
    return s.RevisionOut(await call.service.write(lambda e: e.add_contact(owner, body.contact)))


# -- boundaries ----------------------------------------------------------------


async def set_boundary(call: Call) -> s.BoundaryOut | Raw:
    """201 with a new boundary; 200 when the owner's boundary of that aim was set again."""
    b: s.BoundaryIn = call.body

    def write(e: Engine) -> tuple[Boundary, bool]:
        return e.put_boundary(
            b.owner,
            b.target,
            b.kind,
            scope=b.scope,
            channels=b.channels,
            starts=b.starts,
            ends=b.ends,
            duration=b.duration,
            disclosure=b.disclosure,
            note=b.note,
            keep_evidence=b.keep_evidence,
            on_end=b.on_end,
        )

    boundary, created = await call.service.write(write)
    out = s.boundary_out(boundary)
    return out if created else Raw(msgspec.json.encode(out), "application/json", 200)


async def list_boundaries(call: Call) -> s.BoundaryPage:
    engine = await call.service.fresh(call.query.get("min_revision"))
    revision = engine.revision
    found = sorted(engine.boundaries(call.query["owner"]), key=lambda b: b.id)
    after: str | None = call.query.get("after")
    if after is not None:
        found = [b for b in found if b.id > after]
    limit: int = call.query["limit"]
    page = found[:limit]
    more = len(found) > limit
    return s.BoundaryPage(
        [s.boundary_out(b) for b in page], page[-1].id if more else None, revision
    )


async def get_boundary(call: Call) -> s.BoundaryOut:
    engine = await call.service.fresh(call.query.get("min_revision"))
    return s.boundary_out(engine.boundary(call.path["id"]))


async def lift_boundary(call: Call) -> s.LiftOut:
    boundary_id, restore = call.path["id"], bool(call.query["restore"])
    lifted = await call.service.write(lambda e: e.lift(boundary_id, restore=restore))
    b = lifted.boundary
    return s.LiftOut(b.id, lifted.ended, s.when(b.ends), lifted.revision)


# -- decisions -----------------------------------------------------------------


async def decide(call: Call) -> s.DecisionOut:
    body: s.DecideIn = call.body
    engine = await call.service.fresh(call.query.get("min_revision"))
    # No viewer named: nobody's view, so no explanation.
    d = engine.decide(
        Interaction(body.actor, body.action, body.target, body.platform, _at(body.at)),
        viewer=body.viewer if body.viewer is not None else "",
    )
    call.service.metrics.outcomes((d.outcome.value,))
    return s.decision_out(d)


async def decide_batch(call: Call) -> Raw:
    body: s.BatchIn = call.body
    limit = call.service.settings.max_batch
    if len(body.checks) > limit:
        raise edge(
            "body_too_large",
            f"a batch holds at most {limit} checks, not {len(body.checks)}",
            field="checks",
        )
    engine = await call.service.fresh(call.query.get("min_revision"))
    revision = engine.revision
    encoded, outcomes = await call.service.read(
        len(body.checks),
        lambda: s.batch_json(engine.decide_many(_interactions(body.checks)), revision),
    )
    call.service.metrics.outcome_counts(outcomes)
    return Raw(encoded, "application/json")


def _interactions(checks: list[s.Check]) -> list[Interaction]:
    """The checks as interactions, converted in C when no check names a time."""
    try:
        return msgspec.convert(checks, list[Interaction], from_attributes=True)
    except msgspec.ValidationError:  # an ``at``: a datetime here, seconds in an Interaction
        return [Interaction(c.actor, c.action, c.target, c.platform, _at(c.at)) for c in checks]


async def visible(call: Call) -> s.VisibleOut:
    body: s.VisibleIn = call.body
    engine = await call.service.fresh(call.query.get("min_revision"))
    revision = engine.revision
    items = [
        Item(i.id, i.author, i.reposted_by, i.quoted, i.reply_to, i.root, tuple(i.mentions))
        for i in body.items
    ]
    at = _at(body.at)
    return await call.service.read(
        len(items),
        lambda: s.VisibleOut(
            [s.visibility_out(v) for v in engine.visible(body.viewer, items, at=at)], revision
        ),
    )


async def audience(call: Call) -> s.AudienceOut:
    body: s.AudienceIn = call.body
    engine = await call.service.fresh(call.query.get("min_revision"))
    revision = engine.revision
    at = _at(body.at)
    found = await call.service.read(
        len(body.candidates), lambda: engine.audience(body.author, body.candidates, at=at)
    )
    return s.AudienceOut(found, revision)


async def emergency(call: Call) -> s.RevisionOut:
    body: s.EmergencyIn = call.body
    at = _at(body.at)
    return s.RevisionOut(await call.service.write(lambda e: e.record_emergency(body.owner, at)))


# -- phone networks ------------------------------------------------------------


async def phone_route(call: Call) -> s.PhoneRouteOut:
    body: s.PhoneRequestIn = call.body
    service = call.service
    request = Request(body.caller, body.callee, Action(body.action), body.withheld)
    found = answer(service.engine, service.attempts, request)
    if found.emergency_owner is not None:
        owner = found.emergency_owner
        await service.write(lambda e: e.record_emergency(owner))
    if found.keep is not None:
        keep, now = found.keep, service.engine.now()
        await service.on_writer(lambda _: service.attempts.record(**asdict(keep), at=now))
    d = found.directive
    return s.PhoneRouteOut(d.route, d.announce, service.engine.revision)


async def list_attempts(call: Call) -> s.AttemptPage:
    limit: int = call.query["limit"]
    found = call.service.attempts.list(call.query["owner"], after=call.query["after"], limit=limit)
    more = len(found) == limit
    return s.AttemptPage([s.attempt_out(a) for a in found], found[-1].id if more else None)


# -- the change feed, health, metrics ------------------------------------------------


async def events(call: Call) -> Any:
    after: int = call.query["after"]
    accept = call.headers.get("accept", "")
    if "text/event-stream" in accept:
        last = call.headers.get("last-event-id", "")
        start = int(last) if last.isascii() and last.isdigit() and len(last) < 18 else after
        return stream(call.service, start, call.allowed)
    return await event_page(call.service, after, call.query["limit"])


async def healthz(call: Call) -> s.Health:
    return s.Health("ok")


PARTY_PATH = "/v1/persons/{id}"

ROUTES: tuple[Route, ...] = (
    Route("POST", "/v1/persons", "addPerson", "Create a person, with addresses",
          add_person, s.PersonOut, body=s.PersonIn, status=201),
    Route("GET", PARTY_PATH, "getPerson", "A person and their addresses",
          get_person, s.PersonOut, query=(MIN_REVISION,)),
    Route("POST", PARTY_PATH + "/addresses", "linkAddress",
          "Link one more address; every `everywhere` boundary toward the person covers it",
          link_address, s.PersonOut, body=s.AddressIn),
    Route("DELETE", PARTY_PATH + "/addresses/{address}", "unlinkAddress",
          "Unlink an address; boundaries toward the person stay on them",
          unlink_address, s.PersonOut),
    Route("POST", PARTY_PATH + "/contacts", "addContact",
          "Remember a contact of the person (`pattern:unknown` spares contacts)",
          add_contact, s.RevisionOut, body=s.ContactIn),
    Route("POST", "/v1/boundaries", "setBoundary",
          "Set a boundary: 201 when new; 200 when the owner's boundary of that kind"
          " toward that person and scope is set again (updated, or unchanged)",
          set_boundary, s.BoundaryOut, body=s.BoundaryIn, status=201, also=(200,)),
    Route("GET", "/v1/boundaries", "listBoundaries", "The owner's boundaries that have not ended",
          list_boundaries, s.BoundaryPage, query=(
              Param("owner", str, "The owner's person id.", required=True),
              Param("limit", int, "Most boundaries on one page.", 100, 1, 1000),
              Param("after", str, "The `next` of the previous page."),
              MIN_REVISION)),
    Route("GET", "/v1/boundaries/{id}", "getBoundary", "One boundary",
          get_boundary, s.BoundaryOut, query=(MIN_REVISION,)),
    Route("DELETE", "/v1/boundaries/{id}", "liftBoundary",
          "Lift quietly: the target is never told. A pledge ends after its cool-down",
          lift_boundary, s.LiftOut, query=(
              Param("restore", bool, "For a block: bring back the follows it removed.", False),)),
    Route("POST", "/v1/decide", "decide",
          "May this reach that person, and what does each side see?",
          decide, s.DecisionOut, scope=Scope.DECIDE, body=s.DecideIn, query=(MIN_REVISION,)),
    Route("POST", "/v1/decide/batch", "decideBatch", "Up to 10,000 decisions in one call",
          decide_batch, s.BatchOut, scope=Scope.DECIDE, body=s.BatchIn, query=(MIN_REVISION,)),
    Route("POST", "/v1/visible", "visible",
          "Which feed items the viewer may see, through everyone each item carries",
          visible, s.VisibleOut, scope=Scope.DECIDE, body=s.VisibleIn, query=(MIN_REVISION,)),
    Route("POST", "/v1/audience", "audience",
          "Which candidates may receive the author's new post (fan-out on write)",
          audience, s.AudienceOut, scope=Scope.DECIDE, body=s.AudienceIn, query=(MIN_REVISION,)),
    Route("POST", "/v1/emergency", "recordEmergency",
          "The owner contacted emergency services: pause what could stop a call-back",
          emergency, s.RevisionOut, body=s.EmergencyIn),
    Route("POST", "/v1/phone/route", "phoneRoute",
          "A SIP proxy asks what to do with a call or message (see docs/telephony.md)",
          phone_route, s.PhoneRouteOut, scope=Scope.DECIDE, body=s.PhoneRequestIn),
    Route("GET", "/v1/attempts", "listAttempts",
          "An owner's held and sealed calls and messages, oldest first",
          list_attempts, s.AttemptPage, query=(
              Param("owner", str, "The owner's person id.", required=True),
              Param("after", int, "The `next` of the previous page.", 0, 0),
              Param("limit", int, "Most attempts on one page.", 100, 1, 1000))),
    Route("GET", "/v1/events", "events",
          "The change feed by revision; with `Accept: text/event-stream`, a live stream",
          events, s.EventPage, query=(
              Param("after", int, "Only events after this revision.", 0, 0),
              Param("limit", int, "Most events on one page.", 100, 1, 1000)),
          streams=True),
    Route("GET", "/healthz", "health", "Liveness", healthz, s.Health, scope=None, tag="ops"),
)  # fmt: skip
