"""Check-ins, the self-care plan, who am I now, hard dates and see less."""

from __future__ import annotations

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nocontact.companion import tools
from nocontact.companion.chart import mood_chart
from nocontact.companion.records import Activity, Answer, CheckIn, HardDate, SeeLess
from nocontact.companion.vault import Vault
from nocontact.core.errors import InvalidInput
from nocontact.web.pages import back, form, person, text, web

from .base import care_next, now, page, with_vault

MOODS = ((1, "Very low"), (2, "Low"), (3, "Okay"), (4, "Good"), (5, "Very good"))


def _checkin_context(request: Request, v: Vault) -> dict[str, object]:
    at = now(request)
    found = v.all(CheckIn)
    points = [(tools.day_of(c.created), c.mood) for c in found]
    return {
        "moods": MOODS,
        "tags": tools.TAGS,
        "max_tags": tools.MAX_TAGS,
        "chart": Markup(mood_chart(points, tools.day_of(at))),
        "recent": list(reversed(found))[:7],
        "day_of": tools.day_of,
    }


@with_vault
async def checkin_page(request: Request, v: Vault) -> Response:
    return page(request, "checkin.html", _checkin_context(request, v))


@with_vault
async def checkin(request: Request, v: Vault) -> Response:
    data = await form(request)
    tags = [t for t in data.getlist("tags") if isinstance(t, str)]
    note = text(data, "note", limit=2000)
    try:
        tools.check_in(v, text(data, "mood", limit=2), tags, note, now(request))
    except InvalidInput as error:
        values = _checkin_context(request, v)
        values.update(errors={error.field or "form": error.detail}, note=note, chosen=tags)
        return page(request, "checkin.html", values, 400)
    care_next(request, note)
    return back("/companion/checkin#chart")


# -- self-care -----------------------------------------------------------------------


@with_vault
async def selfcare_page(request: Request, v: Vault) -> Response:
    found = v.all(Activity)
    rated = [a for a in found if a.actual is not None]
    lift = sum((a.actual or 0) - a.predicted for a in rated) / len(rated) if rated else None
    return page(
        request,
        "selfcare.html",
        {
            "activities": list(reversed(found)),
            "lift": lift,
            "today": tools.day_of(now(request)).isoformat(),
            "moods": MOODS,
        },
    )


@with_vault
async def plan(request: Request, v: Vault) -> Response:
    data = await form(request)
    tools.plan_activity(
        v, text(data, "title", limit=200), text(data, "day", limit=20),
        text(data, "predicted", limit=2), now(request),
    )  # fmt: skip
    return back("/companion/self-care")


@with_vault
async def rate(request: Request, v: Vault) -> Response:
    data = await form(request)
    tools.rate_activity(v, request.path_params["activity"], text(data, "actual", limit=2))
    return back("/companion/self-care")


# -- who am I now --------------------------------------------------------------------


@with_vault
async def whoami_page(request: Request, v: Vault) -> Response:
    return page(
        request,
        "whoami.html",
        {
            "prompt": tools.prompt_of_the_day(now(request)),
            "prompts": tools.PROMPTS,
            "answers": list(reversed(v.all(Answer))),
        },
    )


@with_vault
async def whoami(request: Request, v: Vault) -> Response:
    data = await form(request)
    body = text(data, "text", limit=tools.TEXT_LIMIT)
    tools.answer(v, text(data, "prompt", limit=200), body, now(request))
    care_next(request, body)
    return back("/companion/who-am-i")


# -- hard dates ----------------------------------------------------------------------


@with_vault
async def hard_dates_page(request: Request, v: Vault) -> Response:
    at = now(request)
    today = tools.day_of(at)
    dates = [(h, tools.next_occurrence(h, today)) for h in v.all(HardDate)]
    return page(
        request,
        "hard_dates.html",
        {
            "upcoming": tools.upcoming(v, at),
            "dates": sorted(dates, key=lambda pair: pair[1]),
            "today": today.isoformat(),
        },
    )


@with_vault
async def add_hard_date(request: Request, v: Vault) -> Response:
    data = await form(request)
    then = text(data, "then_i_will", limit=2000)
    tools.add_hard_date(
        v, text(data, "label", limit=200), text(data, "on", limit=20),
        text(data, "if_this", limit=2000), then, now(request),
    )  # fmt: skip
    care_next(request, then)
    return back("/companion/hard-dates")


@with_vault
async def remove_hard_date(request: Request, v: Vault) -> Response:
    await form(request)
    v.burn(HardDate, request.path_params["date"])
    return back("/companion/hard-dates")


# -- see less ------------------------------------------------------------------------


@with_vault
async def see_less_page(request: Request, v: Vault) -> Response:
    me = person(request)
    people = web(request).gateway.people
    prefs = v.single(SeeLess)
    choices = [
        (c.person, people.name_for(me, c.person))
        for c in people.directory()
        if c.person != me and c.person not in prefs.people
    ]
    return page(
        request,
        "see_less.html",
        {"hidden": list(zip(prefs.people, prefs.labels, strict=True)), "choices": choices},
    )


@with_vault
async def see_less(request: Request, v: Vault) -> Response:
    me = person(request)
    data = await form(request)
    who = text(data, "who", limit=80)
    people = web(request).gateway.people
    if who == me or not people.exists(who):
        raise InvalidInput("choose someone from the list", field="who")
    tools.see_less(v, who, people.name_for(me, who))
    return back("/companion/see-less")


@with_vault
async def see_more(request: Request, v: Vault) -> Response:
    data = await form(request)
    tools.see_more(v, text(data, "who", limit=80))
    return back("/companion/see-less")


routes = [
    Route("/companion/checkin", checkin_page, methods=["GET"]),
    Route("/companion/checkin", checkin, methods=["POST"]),
    Route("/companion/self-care", selfcare_page, methods=["GET"]),
    Route("/companion/self-care", plan, methods=["POST"]),
    Route("/companion/self-care/{activity}/rate", rate, methods=["POST"]),
    Route("/companion/who-am-i", whoami_page, methods=["GET"]),
    Route("/companion/who-am-i", whoami, methods=["POST"]),
    Route("/companion/hard-dates", hard_dates_page, methods=["GET"]),
    Route("/companion/hard-dates", add_hard_date, methods=["POST"]),
    Route("/companion/hard-dates/{date}/remove", remove_hard_date, methods=["POST"]),
    Route("/companion/see-less", see_less_page, methods=["GET"]),
    Route("/companion/see-less", see_less, methods=["POST"]),
    Route("/companion/see-less/remove", see_more, methods=["POST"]),
]
