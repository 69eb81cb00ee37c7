"""Profiles, follows, search, settings (privacy, location, numbers, passphrase), companion slot."""

from __future__ import annotations

from dataclasses import replace

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nocontact.core.errors import NocontactError
from nocontact.web.pages import back, form, person, render, session, text, web


def _not_found(request: Request) -> Response:
    return render(
        request, "error.html", {"title": "Not found", "detail": "There is nothing here."}, 404
    )


async def profile_page(request: Request) -> Response:
    me = person(request)
    g = web(request).gateway
    who = request.path_params["person"]
    profile = g.people.profile(me, who)
    if profile is None:
        return _not_found(request)
    posts = g.feed.by_author(me, who) if profile.mode in ("full", "self") else None
    return render(request, "profile.html", {"profile": profile, "posts": posts})


async def follow(request: Request) -> Response:
    me = person(request)
    await form(request)
    g = web(request).gateway
    who, verb = request.path_params["person"], request.path_params["verb"]
    if verb not in ("follow", "unfollow", "approve") or g.people.profile(me, who) is None:
        return _not_found(request)
    if verb == "approve":
        g.people.approve(me, who)
        return back("/notifications")
    if verb == "follow":
        g.people.follow(me, who)
    else:
        g.people.unfollow(me, who)
    return back(f"/people/{who}")


async def search_page(request: Request) -> Response:
    me = person(request)
    q = request.query_params.get("q", "")[:100]
    results = web(request).gateway.people.search(me, q) if q else []
    return render(request, "search.html", {"q": q, "results": results})


async def settings_page(
    request: Request, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    me = person(request)
    g = web(request).gateway
    return render(
        request,
        "settings.html",
        {
            "settings": g.people.settings(me),
            "profile": g.people.profile(me, me),
            "numbers": [n.removeprefix("tel:") for n in g.phone.numbers(me)],
            "errors": errors or {},
        },
        status,
    )


async def save_settings(request: Request) -> Response:
    me = person(request)
    data = await form(request)
    g = web(request).gateway
    name, bio, location = text(data, "name"), text(data, "bio"), text(data, "location")
    errors = {}
    if not name or len(name) > 60:
        errors["name"] = "Give a name of 1 to 60 characters."
    if len(bio) > 280:
        errors["bio"] = "At most 280 characters."
    if len(location) > 80:
        errors["location"] = "At most 80 characters."
    if errors:
        return await settings_page(request, errors, 400)
    settings = replace(
        g.people.settings(me),
        read_receipts="read_receipts" in data,
        show_presence="show_presence" in data,
        share_location="share_location" in data,
        private_account="private_account" in data,
        discoverable="discoverable" in data,
        location=location,
    )
    g.people.save_settings(me, settings)
    g.people.set_bio(me, bio)
    if name != g.ctx.name(me):
        g.people.rename(me, name)
    return back("/settings")


async def add_number(request: Request) -> Response:
    me = person(request)
    data = await form(request)
    g = web(request).gateway
    number = g.phone.parse(text(data, "number"))
    if number is None:
        return await settings_page(
            request, {"number": "That is not a phone number, such as +1 415 555 0199."}, 400
        )
    try:
        g.ctx.engine.link_address(me, number)
    except NocontactError as error:  # taken by someone else: the engine says so
        return await settings_page(request, {"number": error.detail}, 400)
    g.ctx.live.changed()
    return back("/settings")


async def change_password(request: Request) -> Response:
    me = person(request)
    data = await form(request)
    w = web(request)
    old, new = str(data.get("old", "")), str(data.get("new", ""))
    if len(new) < 10:
        return await settings_page(request, {"new": "Use at least 10 characters."}, 400)
    changed = await run_in_threadpool(w.gateway.people.change_password, me, old, new)
    if not changed:
        return await settings_page(request, {"old": "That is not your current passphrase."}, 400)
    w.sessions.password_changed(session(request), old, new)
    return back("/settings")


async def companion_page(request: Request) -> Response:
    person(request)
    return render(request, "companion.html")


routes = [
    Route("/people/{person}", profile_page, methods=["GET"]),
    Route("/people/{person}/{verb:str}", follow, methods=["POST"]),
    Route("/search", search_page, methods=["GET"]),
    Route("/settings", settings_page, methods=["GET"]),
    Route("/settings", save_settings, methods=["POST"]),
    Route("/settings/numbers", add_number, methods=["POST"]),
    Route("/settings/password", change_password, methods=["POST"]),
    Route("/companion", companion_page, methods=["GET"]),
]
