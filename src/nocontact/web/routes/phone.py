"""The phone screen: dial, text, answer, decline, leave a voicemail."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nocontact.web.gateway.phone import BODY_LIMIT
from nocontact.web.pages import back, form, person, render, text, web


async def phone_page(
    request: Request, errors: dict[str, str] | None = None, values: dict[str, str] | None = None
) -> Response:
    me = person(request)
    g = web(request).gateway
    return render(
        request,
        "phone.html",
        {
            "log": g.phone.log(me),
            "numbers": [n.removeprefix("tel:") for n in g.phone.numbers(me)],
            "errors": errors or {},
            "values": values or {},
        },
        400 if errors else 200,
    )


async def dial(request: Request) -> Response:
    me = person(request)
    data = await form(request)
    g = web(request).gateway
    kind = request.path_params["kind"]
    values = {k: text(data, k) for k in ("to", "from", "body")}
    errors = {}
    mine = g.phone.numbers(me)
    source = g.phone.parse(values["from"]) if values["from"] else (mine[0] if mine else None)
    if source is None or source not in mine:
        errors["from"] = "Choose one of your numbers (add one in Settings)."
    dialled = g.phone.parse(values["to"])
    if dialled is None:
        errors["to"] = "That is not a phone number, such as +1 415 555 0123."
    if kind == "sms" and (not values["body"] or len(values["body"]) > BODY_LIMIT):
        errors["body"] = "Write a text of 1 to 480 characters."
    if kind not in ("call", "sms"):
        errors["to"] = "Call or text."
    if errors or source is None or dialled is None:
        return await phone_page(request, errors, values)
    g.phone.place(me, source, dialled, kind, values["body"] if kind == "sms" else "")
    return back("/phone")


async def answer(request: Request) -> Response:
    me = person(request)
    await form(request)
    raw = request.path_params["entry"]
    if raw.isdigit() and len(raw) < 18:
        web(request).gateway.phone.answer(me, int(raw), request.path_params["verb"] == "answer")
    return back("/phone")


async def voicemail(request: Request) -> Response:
    me = person(request)
    data = await form(request)
    g = web(request).gateway
    body = text(data, "body")
    raw = request.path_params["entry"]
    entry = next((e for e in g.phone.log(me) if str(e.id) == raw and e.may_leave_voicemail), None)
    if entry is None:
        return back("/phone")
    if not body or len(body) > BODY_LIMIT:
        return await phone_page(
            request, {f"voicemail-{raw}": "Say something of 1 to 480 characters."}
        )
    mine = g.phone.numbers(me)
    dialled = g.phone.parse(entry.number)
    if mine and dialled:
        g.phone.place(me, mine[0], dialled, "voicemail", body)
    return back("/phone")


routes = [
    Route("/phone", phone_page, methods=["GET"]),
    Route("/phone/{kind:str}", dial, methods=["POST"]),
    Route("/phone/{entry}/voicemail", voicemail, methods=["POST"]),
    Route("/phone/{entry}/{verb:str}", answer, methods=["POST"]),
]
