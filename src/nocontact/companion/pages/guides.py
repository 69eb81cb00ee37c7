"""The pages that need nothing written: home, What now?, crisis resources, staying safe."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nocontact.companion import tools
from nocontact.companion.records import Letter
from nocontact.companion.vault import Vault
from nocontact.web.pages import back, form, person, text

from .base import engine, names, now, page, reminder_text, vault, with_vault


@with_vault
async def home(request: Request, v: Vault) -> Response:
    at = now(request)
    notes = tools.pledges(engine(request), v, at, names(request))
    holding = [n for n in notes if not n.ended]
    settings = tools.settings(v, at)
    return page(
        request,
        "home.html",
        {
            "reminder": reminder_text(request, v),
            "holding": holding,
            "progress": tools.current_progress(notes, v, at) if notes else None,
            "rerate": tools.to_rerate(v, at),
            "revisit": tools.to_revisit(v, at),
            "upcoming": tools.upcoming(v, at),
            "look_back": tools.look_back_due(v, at),
            "archived": settings.archived,
            "letters": len(v.all(Letter)),
        },
    )


async def what_now(request: Request) -> Response:
    """For someone who can no longer reach a person: the same page for everyone."""
    person(request)
    return page(request, "what_now.html")


async def crisis(request: Request) -> Response:
    """Crisis resources: open to anyone, signed in or not."""
    return page(request, "crisis.html")


async def staying_safe(request: Request) -> Response:
    person(request)
    found = vault(request)
    concern = tools.settings(found, now(request)).concern if found is not None else None
    return page(request, "staying_safe.html", {"concern": concern})


@with_vault
async def set_concern(request: Request, v: Vault) -> Response:
    data = await form(request)
    tools.set_concern(v, text(data, "concern", limit=10), now(request))
    return back("/companion/staying-safe#answer")


routes = [
    Route("/companion", home, methods=["GET"]),
    Route("/companion/what-now", what_now, methods=["GET"]),
    Route("/companion/crisis", crisis, methods=["GET"]),
    Route("/companion/staying-safe", staying_safe, methods=["GET"]),
    Route("/companion/staying-safe", set_concern, methods=["POST"]),
]
