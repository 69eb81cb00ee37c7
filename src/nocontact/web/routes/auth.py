"""Signing in and out: by picking a person in demo mode, by passphrase otherwise."""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from nocontact.core.errors import NocontactError
from nocontact.web.demo import demo_passphrase
from nocontact.web.pages import back, form, render, session, text, web

PERSON = re.compile(r"[a-z][a-z0-9_]{1,29}")


async def home(request: Request) -> Response:
    return RedirectResponse("/feed" if session(request).person else "/signin", status_code=303)


async def sign_in_page(request: Request) -> Response:
    w = web(request)
    return render(request, "signin.html", {"people": w.gateway.people.directory()})


async def sign_in(request: Request) -> Response:
    w = web(request)
    data = await form(request)
    if w.config.demo and "person" in data:
        who = text(data, "person")
        passphrase = demo_passphrase(who)
    else:
        who, passphrase = text(data, "handle"), str(data.get("passphrase", ""))
    person = await run_in_threadpool(w.gateway.people.sign_in, who, passphrase)
    if person is None:
        errors = {"passphrase": "That handle and passphrase do not match an account."}
        return render(
            request,
            "signin.html",
            {"people": w.gateway.people.directory(), "errors": errors, "handle": who},
            400,
        )
    fresh = w.sessions.sign_in(session(request), person, passphrase)
    request.scope["state"]["session"] = fresh
    return back("/feed")


async def sign_out(request: Request) -> Response:
    w = web(request)
    await form(request)
    w.sessions.sign_out(session(request))
    request.scope["state"]["session"] = w.sessions.new()
    return back("/signin")


async def sign_up_page(request: Request) -> Response:
    return render(request, "signup.html", {"values": {}})


async def sign_up(request: Request) -> Response:
    w = web(request)
    data = await form(request)
    values = {k: text(data, k) for k in ("name", "handle", "number")}
    passphrase = str(data.get("passphrase", ""))
    errors: dict[str, str] = {}
    if not values["name"] or len(values["name"]) > 60:
        errors["name"] = "Give a name of 1 to 60 characters."
    if not PERSON.fullmatch(values["handle"]):
        errors["handle"] = "Use 2 to 30 lower-case letters, digits or _, starting with a letter."
    elif w.gateway.people.handle_taken(values["handle"]):
        errors["handle"] = "That handle is taken."
    if len(passphrase) < 10:
        errors["passphrase"] = "Use at least 10 characters."
    number = w.gateway.phone.parse(values["number"]) if values["number"] else None
    if values["number"] and number is None:
        errors["number"] = "That is not a phone number, such as +1 415 555 0100."
    if not errors:
        try:
            await run_in_threadpool(
                w.gateway.people.create_account,
                values["handle"], values["name"], values["handle"], passphrase,
                [number] if number else [],
            )  # fmt: skip
        except NocontactError as error:  # a taken number or handle: the engine says which
            field = "number" if error.field in ("addresses", "address") else "handle"
            errors[field] = error.detail
    if errors:
        return render(request, "signup.html", {"values": values, "errors": errors}, 400)
    fresh = w.sessions.sign_in(session(request), values["handle"], passphrase)
    request.scope["state"]["session"] = fresh
    return back("/feed")


routes = [
    Route("/", home),
    Route("/signin", sign_in_page, methods=["GET"]),
    Route("/signin", sign_in, methods=["POST"]),
    Route("/signout", sign_out, methods=["POST"]),
    Route("/signup", sign_up_page, methods=["GET"]),
    Route("/signup", sign_up, methods=["POST"]),
]
