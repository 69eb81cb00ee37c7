"""The Boundaries page and the evidence archive (JSON and a printable page)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nocontact.web.gateway.boundaries import CHANNELS
from nocontact.web.gateway.boundaries import Request as BoundaryRequest
from nocontact.web.pages import back, form, person, render, text, web


async def boundaries_page(
    request: Request, errors: dict[str, str] | None = None, values: dict[str, object] | None = None
) -> Response:
    me = person(request)
    g = web(request).gateway
    chosen = request.query_params.get("target", "")
    return render(
        request,
        "boundaries.html",
        {
            "active": g.boundaries.active(me),
            "ended": g.boundaries.ended(me),
            "warnings": g.boundaries.group_warnings(me),
            "people": [c for c in g.people.directory() if c.person != me],
            "channels": CHANNELS,
            "values": values
            or {"target": chosen, "kind": request.query_params.get("kind", "block")},
            "errors": errors or {},
        },
        400 if errors else 200,
    )


async def set_boundary(request: Request) -> Response:
    me = person(request)
    data = await form(request)
    g = web(request).gateway
    address = text(data, "address", limit=200)
    values: dict[str, object] = {
        k: text(data, k, limit=300)
        for k in ("target", "kind", "scope", "duration", "until", "disclosure", "note", "on_end")
    }
    values["address"] = address
    values["channels"] = [c for c in data.getlist("channels") if isinstance(c, str)]
    values["keep_evidence"] = "keep_evidence" in data
    target = address or str(values["target"])
    scope = str(values["scope"] or "everywhere")
    req = BoundaryRequest(
        target=target,
        kind=str(values["kind"]),
        scope=scope,
        channels=tuple(values["channels"]),  # type: ignore[arg-type]
        duration=str(values["duration"] or "forever"),
        until=str(values["until"]),
        disclosure=str(values["disclosure"] or "silent"),
        note=str(values["note"]),
        keep_evidence=bool(values["keep_evidence"]),
        on_end=str(values["on_end"] or "deliver"),
    )
    errors = g.boundaries.set(me, req)
    if errors:
        return await boundaries_page(request, errors, values)
    return back("/boundaries")


async def lift(request: Request) -> Response:
    me = person(request)
    data = await form(request)
    found = web(request).gateway.boundaries.lift(
        me, request.path_params["boundary"], "restore" in data
    )
    if not found:
        return render(
            request, "error.html", {"title": "Not found", "detail": "There is nothing here."}, 404
        )
    return back("/boundaries")


async def evidence_page(request: Request) -> Response:
    me = person(request)
    return render(request, "evidence.html", {"items": web(request).gateway.boundaries.evidence(me)})


async def open_evidence(request: Request) -> Response:
    me = person(request)
    await form(request)
    web(request).gateway.boundaries.open_evidence(me)
    return back("/boundaries/evidence")


async def evidence_json(request: Request) -> Response:
    me = person(request)
    body = web(request).gateway.boundaries.export(me)
    return Response(
        body,
        media_type="application/json",
        headers={"content-disposition": 'attachment; filename="evidence.json"'},
    )


async def evidence_print(request: Request) -> Response:
    me = person(request)
    g = web(request).gateway
    g.boundaries.open_evidence(me)
    return render(
        request,
        "evidence_print.html",
        {"items": g.boundaries.evidence(me), "owner": g.ctx.name(me)},
    )


routes = [
    Route("/boundaries", boundaries_page, methods=["GET"]),
    Route("/boundaries", set_boundary, methods=["POST"]),
    Route("/boundaries/evidence", evidence_page, methods=["GET"]),
    Route("/boundaries/evidence/open", open_evidence, methods=["POST"]),
    Route("/boundaries/evidence.json", evidence_json, methods=["GET"]),
    Route("/boundaries/evidence/print", evidence_print, methods=["GET"]),
    Route("/boundaries/{boundary}/lift", lift, methods=["POST"]),
]
