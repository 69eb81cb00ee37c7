"""Yours to keep or let go: look back, archive, export (Markdown, JSON), delete everything."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nocontact.companion import tools
from nocontact.companion.export import as_json, as_markdown
from nocontact.companion.records import Activity, CheckIn, Letter, Urge
from nocontact.companion.vault import Vault
from nocontact.core.errors import InvalidInput
from nocontact.web.pages import back, form, person, text

from .base import companion, engine, names, now, page, with_vault


@with_vault
async def look_back(request: Request, v: Vault) -> Response:
    at = now(request)
    notes = tools.pledges(engine(request), v, at, names(request))
    urges = [u for u in v.all(Urge) if u.before is not None and u.after is not None]
    checkins = v.all(CheckIn)
    settings = tools.settings(v, at)
    return page(
        request,
        "look_back.html",
        {
            "progress": tools.current_progress(notes, v, at) if notes else None,
            "letters": len(v.all(Letter)),
            "checkins": len(checkins),
            "first_moods": [c.mood for c in checkins[:7]],
            "last_moods": [c.mood for c in checkins[-7:]],
            "urges_fell": sum((u.after or 0) < (u.before or 0) for u in urges),
            "urges_rated": len(urges),
            "activities": len([a for a in v.all(Activity) if a.actual is not None]),
            "started": settings.started,
            "archived": settings.archived,
        },
    )


@with_vault
async def archive(request: Request, v: Vault) -> Response:
    data = await form(request)
    tools.set_archived(v, text(data, "archived", limit=5) == "yes", now(request))
    return back("/companion/look-back")


@with_vault
async def snooze(request: Request, v: Vault) -> Response:
    await form(request)
    tools.snooze_look_back(v, now(request))
    return back("/companion")


@with_vault
async def export_json(request: Request, v: Vault) -> Response:
    body = as_json(v.export(), person(request), now(request))
    return _download(body, "application/json", "companion.json")


@with_vault
async def export_markdown(request: Request, v: Vault) -> Response:
    body = as_markdown(v.export(), person(request), now(request))
    return _download(body, "text/markdown; charset=utf-8", "companion.md")


def _download(body: str, media: str, name: str) -> Response:
    return Response(
        body,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@with_vault
async def delete_page(request: Request, v: Vault) -> Response:
    return page(request, "delete.html")


@with_vault
async def delete_everything(request: Request, v: Vault) -> Response:
    data = await form(request)
    if text(data, "confirm", limit=20).lower() != "delete":
        error = InvalidInput('type the word "delete" to confirm', field="confirm")
        return page(request, "delete.html", {"errors": {"confirm": error.detail}}, 400)
    v.delete_everything()
    companion(request).keyring.forget_person(person(request))
    return back("/companion/deleted")


async def deleted(request: Request) -> Response:
    person(request)
    return page(request, "deleted.html")


routes = [
    Route("/companion/look-back", look_back, methods=["GET"]),
    Route("/companion/archive", archive, methods=["POST"]),
    Route("/companion/look-back/later", snooze, methods=["POST"]),
    Route("/companion/export.json", export_json, methods=["GET"]),
    Route("/companion/export.md", export_markdown, methods=["GET"]),
    Route("/companion/delete", delete_page, methods=["GET"]),
    Route("/companion/delete", delete_everything, methods=["POST"]),
    Route("/companion/deleted", deleted, methods=["GET"]),
]
