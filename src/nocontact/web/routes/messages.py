"""Direct messages, requests and group chats."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nocontact.web.gateway.messages import BODY_LIMIT, dm
from nocontact.web.pages import back, form, person, render, text, web


def _not_found(request: Request) -> Response:
    return render(
        request, "error.html", {"title": "Not found", "detail": "There is nothing here."}, 404
    )


async def inbox(request: Request, errors: dict[str, str] | None = None) -> Response:
    me = person(request)
    g = web(request).gateway
    return render(
        request,
        "messages.html",
        {
            "conversations": g.messages.conversations(me),
            "requests": g.messages.requests(me),
            "invitations": g.messages.invitations(me),
            "warnings": g.boundaries.group_warnings(me),
            "contacts": [c for c in g.people.directory() if c.person != me],
            "errors": errors or {},
        },
        400 if errors else 200,
    )


async def thread_page(
    request: Request, errors: dict[str, str] | None = None, body: str = ""
) -> Response:
    me = person(request)
    g = web(request).gateway
    peer = request.path_params["peer"]
    if peer == me or not g.people.exists(peer):
        return _not_found(request)
    g.messages.mark_read(me, dm(me, peer))
    return render(
        request,
        "thread.html",
        {
            "thread": g.messages.thread(me, peer),
            "action": f"/messages/{peer}",
            "errors": errors or {},
            "body": body,
        },
        400 if errors else 200,
    )


def _body_error(body: str) -> str | None:
    if not body:
        return "Write a message first."
    if len(body) > BODY_LIMIT:
        return f"At most {BODY_LIMIT} characters."
    return None


async def send(request: Request) -> Response:
    me = person(request)
    data = await form(request)
    g = web(request).gateway
    peer = request.path_params["peer"]
    if peer == me or not g.people.exists(peer):
        return _not_found(request)
    body = text(data, "body")
    error = _body_error(body)
    if error:
        return await thread_page(request, {"body": error}, body[:BODY_LIMIT])
    g.messages.send(me, peer, body)
    return back(f"/messages/{peer}")


def _group(request: Request) -> int | None:
    raw = request.path_params["group"]
    return int(raw) if raw.isdigit() and len(raw) < 18 else None


async def group_page(
    request: Request, errors: dict[str, str] | None = None, body: str = ""
) -> Response:
    me = person(request)
    g = web(request).gateway
    group = _group(request)
    thread = g.messages.group_thread(me, group) if group is not None else None
    if thread is None or group is None:
        return _not_found(request)
    g.messages.mark_read(me, f"group:{group}")
    return render(
        request,
        "thread.html",
        {
            "thread": thread,
            "action": f"/groups/{group}",
            "warnings": g.boundaries.group_warnings(me),
            "errors": errors or {},
            "body": body,
        },
        400 if errors else 200,
    )


async def send_group(request: Request) -> Response:
    me = person(request)
    data = await form(request)
    g = web(request).gateway
    group = _group(request)
    if group is None or me not in g.messages.members(group):
        return _not_found(request)
    body = text(data, "body")
    error = _body_error(body)
    if error:
        return await group_page(request, {"body": error}, body[:BODY_LIMIT])
    g.messages.send_group(me, group, body)
    return back(f"/groups/{group}")


async def new_group(request: Request) -> Response:
    me = person(request)
    data = await form(request)
    g = web(request).gateway
    name = text(data, "name")
    members = [m for m in data.getlist("members") if isinstance(m, str) and g.people.exists(m)]
    if not name or len(name) > 60:
        return await inbox(request, {"name": "Give the group a name of 1 to 60 characters."})
    if not members:
        return await inbox(request, {"members": "Choose at least one person."})
    group = g.messages.create_group(me, name, [m for m in members if m != me])
    return back(f"/groups/{group}")


async def join(request: Request) -> Response:
    me = person(request)
    await form(request)
    group = _group(request)
    if group is None or not web(request).gateway.messages.join(me, group):
        return _not_found(request)
    return back(f"/groups/{group}")


async def typing(request: Request) -> Response:
    me = person(request)
    data = await form(request)
    web(request).gateway.messages.typing(me, text(data, "conversation", limit=80))
    return Response(status_code=204)


routes = [
    Route("/messages", inbox, methods=["GET"]),
    Route("/messages/{peer}", thread_page, methods=["GET"]),
    Route("/messages/{peer}", send, methods=["POST"]),
    Route("/groups", new_group, methods=["POST"]),
    Route("/groups/{group}", group_page, methods=["GET"]),
    Route("/groups/{group}", send_group, methods=["POST"]),
    Route("/groups/{group}/join", join, methods=["POST"]),
    Route("/typing", typing, methods=["POST"]),
]
