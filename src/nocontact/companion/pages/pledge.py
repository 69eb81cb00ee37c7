"""The pledge, the urge pause and slips.

A pledge is the person's own ``pledge`` boundary, set and ended through the
engine. Whatever the person then tries toward the other person (a message, a
call, a look at their profile) the engine answers with ``divert``; the web
app's routes hand the attempt to :func:`caught`, which keeps any draft as an
unsent letter and opens the pause: name the urge, rate it, breathe, write
instead, or leave having sent nothing; a few minutes later, rate it again.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nocontact.companion import tools
from nocontact.companion.chart import urge_chart
from nocontact.companion.records import PledgeNote, Slip, Urge
from nocontact.companion.vault import Vault
from nocontact.core.errors import InvalidInput
from nocontact.core.model import Boundary, Kind
from nocontact.web.pages import back, form, person, text, web

from .base import care_next, engine, names, now, page, vault, with_vault

#: What each kind of attempt asks the engine.
ACTIONS = {"message": "message", "call": "call", "sms": "sms", "look": "view_profile"}


def caught(
    request: Request, actor: str, action: str, target: str, draft: str = ""
) -> Response | None:
    """If the person's own pledge stops this attempt, the pause instead; else None.

    Called by the web app's message, phone and profile routes before they act.
    The engine answers a pledge the same way whatever the other person has set
    (the actor's own boundary decides), so the pause itself tells nothing.
    """
    decision = engine(request).check(actor, ACTIONS[action], target)
    if decision.actor_sees.value != "pledge":
        return None
    found = vault(request)
    if found is None:
        return page(request, "locked.html", {}, 423)
    kind = "message" if action == "sms" else action
    urge = tools.catch_urge(found, kind, now(request), draft or None)
    return back(f"/companion/pause/{urge.id}")


def pledged(request: Request, query: str) -> bool:
    """Whether ``query`` names someone under the person's own pledge, as they can see them.

    Matched on the person id and the name the person is shown (frozen where a
    block froze it), never on anything newer, so the offer itself tells nothing.
    """
    q = query.strip().lower().lstrip("@")
    me = person(request)
    people = web(request).gateway.people
    at = now(request)
    for b in engine(request).boundaries(me):
        if b.kind is not Kind.PLEDGE or not b.holds_at(at):
            continue
        target = b.target_person or b.target
        if q and (q == target.lower() or q in people.name_for(me, target).lower()):
            return True
    return False


@with_vault
async def pledge_page(request: Request, v: Vault) -> Response:
    me = person(request)
    at = now(request)
    notes = tools.pledges(engine(request), v, at, names(request))
    held = {b.id: b for b in engine(request).boundaries(me) if b.kind is Kind.PLEDGE}
    people = web(request).gateway.people
    choices = [
        (c.person, people.name_for(me, c.person)) for c in people.directory() if c.person != me
    ]
    urges = v.all(Urge)
    return page(
        request,
        "pledge.html",
        {
            "holding": [(n, _cooling(held.get(n.boundary_id), n)) for n in notes if not n.ended],
            "ended": [n for n in notes if n.ended],
            "progress": tools.current_progress(notes, v, at) if notes else None,
            "slips": v.all(Slip)[-5:],
            "choices": choices,
            "today": tools.day_of(at).isoformat(),
            "cooldown_minutes": round(engine(request).config.pledge_cooldown / 60),
            "urge_chart": urge_chart([(u.before, u.after) for u in urges if u.before is not None]),
            "urges": [u for u in urges if u.before is not None],
        },
    )


def _cooling(boundary: Boundary | None, note: PledgeNote) -> str:
    """When a pledge asked to end early stops holding (its cool-down), as a time; else ""."""
    if boundary is None or boundary.ends is None:
        return ""
    end = datetime.fromtimestamp(boundary.ends, UTC)
    if note.last_day is not None and (end.hour, end.minute, end.second) == (0, 0, 0):
        return ""  # the planned end: midnight after the last day
    return end.strftime("%H:%M UTC on %d %b")


@with_vault
async def start(request: Request, v: Vault) -> Response:
    me = person(request)
    data = await form(request)
    who = text(data, "who", limit=80)
    people = web(request).gateway.people
    if who == me or not people.exists(who):
        return page(request, "oops.html", {"detail": "Choose someone from the list."}, 400)
    label = text(data, "label", limit=200) or people.name_for(me, who)
    tools.start_pledge(engine(request), v, who, label, text(data, "ends", limit=20), now(request))
    return back("/companion/pledge")


@with_vault
async def end_early(request: Request, v: Vault) -> Response:
    data = await form(request)
    tools.end_pledge(engine(request), v, text(data, "id", limit=40))
    return back("/companion/pledge")


@with_vault
async def slip(request: Request, v: Vault) -> Response:
    data = await form(request)
    trigger, helped = text(data, "trigger", limit=2000), text(data, "helped", limit=2000)
    tools.log_slip(v, text(data, "day", limit=20), trigger, helped, now(request))
    care_next(request, trigger, helped)
    return back("/companion/pledge#progress")


# -- the pause -----------------------------------------------------------------------


@with_vault
async def pause_new(request: Request, v: Vault) -> Response:
    """The pause, asked for by the person themself ("I want to reach out")."""
    data = await form(request)
    action = text(data, "action", limit=20)
    urge = tools.catch_urge(v, action if action in tools.URGE_ACTIONS else "message", now(request))
    return back(f"/companion/pause/{urge.id}")


@with_vault
async def pause_page(request: Request, v: Vault) -> Response:
    urge = tools.urge(v, request.path_params["urge"])
    letter = tools.letter(v, urge.letter) if urge.letter else None
    return page(request, "pause.html", {"urge": urge, "letter": letter})


@with_vault
async def pause_choose(request: Request, v: Vault) -> Response:
    urge_id = request.path_params["urge"]
    data = await form(request)
    choice = text(data, "choice", limit=20)
    name = text(data, "name", limit=200)
    try:
        urge = tools.name_urge(v, urge_id, name, text(data, "before", limit=5), choice)
    except InvalidInput as error:
        found = tools.urge(v, urge_id)
        letter = tools.letter(v, found.letter) if found.letter else None
        return page(
            request,
            "pause.html",
            {"urge": found, "letter": letter, "errors": {error.field or "form": error.detail}},
            400,
        )
    care_next(request, name)
    if choice == "letter":
        if urge.letter:
            return back(f"/companion/letters/{urge.letter}")
        return back("/companion/letters/new")
    if choice == "breathe":
        return back(f"/companion/pause/{urge.id}/breathe")
    return back(f"/companion/pause/{urge.id}/left")


@with_vault
async def breathe(request: Request, v: Vault) -> Response:
    return page(request, "breathe.html", {"urge": tools.urge(v, request.path_params["urge"])})


@with_vault
async def left(request: Request, v: Vault) -> Response:
    return page(request, "left.html", {"urge": tools.urge(v, request.path_params["urge"])})


@with_vault
async def again(request: Request, v: Vault) -> Response:
    data = await form(request)
    tools.rerate(v, request.path_params["urge"], text(data, "after", limit=5), now(request))
    return back("/companion/pledge#urges")


routes = [
    Route("/companion/pledge", pledge_page, methods=["GET"]),
    Route("/companion/pledge", start, methods=["POST"]),
    Route("/companion/pledge/end", end_early, methods=["POST"]),
    Route("/companion/pledge/slip", slip, methods=["POST"]),
    Route("/companion/pause", pause_new, methods=["POST"]),
    Route("/companion/pause/{urge}", pause_page, methods=["GET"]),
    Route("/companion/pause/{urge}", pause_choose, methods=["POST"]),
    Route("/companion/pause/{urge}/breathe", breathe, methods=["GET"]),
    Route("/companion/pause/{urge}/left", left, methods=["GET"]),
    Route("/companion/pause/{urge}/again", again, methods=["POST"]),
]
