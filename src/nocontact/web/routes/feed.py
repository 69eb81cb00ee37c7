"""The feed, a post and its replies, and the forms that post, reply, repost and quote."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nocontact.web.gateway.feed import BODY_LIMIT
from nocontact.web.pages import back, form, person, render, text, web


def _before(request: Request) -> int | None:
    raw = request.query_params.get("before", "")
    return int(raw) if raw.isdigit() and len(raw) < 18 else None


async def feed_page(
    request: Request, errors: dict[str, str] | None = None, body: str = ""
) -> Response:
    me = person(request)
    g = web(request).gateway
    page = g.feed.page(me, _before(request), web(request).config.feed_page)
    return render(
        request,
        "feed.html",
        {
            "page": page,
            "notices": g.boundaries.notices(me),
            "suggestions": g.people.suggestions(me)[:5],
            "errors": errors or {},
            "body": body,
        },
        400 if errors else 200,
    )


async def new_post(request: Request) -> Response:
    me = person(request)
    data = await form(request)
    body = text(data, "body")
    if not body or len(body) > BODY_LIMIT:
        error = "Write something first." if not body else f"At most {BODY_LIMIT} characters."
        return await feed_page(request, {"body": error}, body[:BODY_LIMIT])
    web(request).gateway.feed.post(me, body)
    return back("/feed")


def _post_id(request: Request) -> int | None:
    raw = request.path_params["post"]
    return int(raw) if raw.isdigit() and len(raw) < 18 else None


async def post_page(request: Request, errors: dict[str, str] | None = None) -> Response:
    me = person(request)
    post_id = _post_id(request)
    thread = web(request).gateway.feed.thread(me, post_id) if post_id is not None else None
    if thread is None:
        return render(
            request, "error.html", {"title": "Not found", "detail": "There is nothing here."}, 404
        )
    return render(
        request, "post.html", {"thread": thread, "errors": errors or {}}, 400 if errors else 200
    )


async def respond(request: Request) -> Response:
    me = person(request)
    data = await form(request)
    kind = request.path_params["kind"]
    post_id = _post_id(request)
    body = text(data, "body")
    if kind in ("reply", "quote") and (not body or len(body) > BODY_LIMIT):
        error = "Write something first." if not body else f"At most {BODY_LIMIT} characters."
        return await post_page(request, {kind: error})
    if kind not in ("reply", "repost", "quote") or post_id is None:
        return render(
            request, "error.html", {"title": "Not found", "detail": "There is nothing here."}, 404
        )
    sees = web(request).gateway.feed.respond(me, kind, post_id, body)
    if sees is None:
        return render(
            request, "error.html", {"title": "Not found", "detail": "There is nothing here."}, 404
        )
    return back(f"/posts/{post_id}" if kind == "reply" else "/feed")


routes = [
    Route("/feed", feed_page, methods=["GET"]),
    Route("/posts", new_post, methods=["POST"]),
    Route("/posts/{post}", post_page, methods=["GET"]),
    Route("/posts/{post}/{kind}", respond, methods=["POST"]),
]
