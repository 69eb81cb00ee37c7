"""Unsent letters: written here, or landed here from a diverted message.

A writing session is time-boxed (``WRITING_MINUTES``) and ends with a
self-compassion step; non-writing alternatives are offered beside it, and when
the person's recent entries circle the same "why", the letters page suggests a
different mode before offering more writing. A letter can be kept, kept to
revisit in thirty days, or burned (a secure delete of that one letter).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nocontact.companion import tools
from nocontact.companion.crisis import has_crisis_language
from nocontact.companion.records import Letter
from nocontact.companion.vault import Vault
from nocontact.core.errors import InvalidInput
from nocontact.web.pages import back, form, session, text

from .base import care_next, now, page, with_vault

BURNED_FLAG = "companion_burned"


@with_vault
async def letters(request: Request, v: Vault) -> Response:
    at = now(request)
    found = list(reversed(v.all(Letter)))
    return page(
        request,
        "letters.html",
        {
            "letters": found,
            "revisit": tools.to_revisit(v, at),
            "circling": tools.circling(v, at),
            "burned": bool(session(request).data.pop(BURNED_FLAG, False)),
        },
    )


@with_vault
async def new_letter(request: Request, v: Vault) -> Response:
    return page(
        request,
        "write.html",
        {"minutes": tools.WRITING_MINUTES, "circling": tools.circling(v, now(request))},
    )


@with_vault
async def create(request: Request, v: Vault) -> Response:
    data = await form(request)
    body = text(data, "text", limit=tools.TEXT_LIMIT)
    try:
        letter = tools.write_letter(v, body, now(request))
    except InvalidInput as error:
        return page(
            request,
            "write.html",
            {"minutes": tools.WRITING_MINUTES, "errors": {"text": error.detail}, "text": body},
            400,
        )
    care_next(request, body)
    return back(f"/companion/letters/{letter.id}/kindness")


@with_vault
async def show(request: Request, v: Vault) -> Response:
    letter = tools.letter(v, request.path_params["letter"])
    return page(
        request,
        "letter.html",
        {
            "letter": letter,
            "care_first": has_crisis_language(letter.text),
            "revisit_days": tools.REVISIT_DAYS,
        },
    )


@with_vault
async def update(request: Request, v: Vault) -> Response:
    """Go on writing a letter (a diverted message becomes the start of one)."""
    data = await form(request)
    body = text(data, "text", limit=tools.TEXT_LIMIT)
    letter = tools.rewrite_letter(v, request.path_params["letter"], body)
    care_next(request, body)
    return back(f"/companion/letters/{letter.id}/kindness")


@with_vault
async def keep(request: Request, v: Vault) -> Response:
    data = await form(request)
    letter_id = request.path_params["letter"]
    tools.keep_letter(v, letter_id, text(data, "how", limit=10), now(request))
    return back(f"/companion/letters/{letter_id}")


@with_vault
async def burn(request: Request, v: Vault) -> Response:
    await form(request)
    tools.burn_letter(v, request.path_params["letter"])
    session(request).data[BURNED_FLAG] = True
    return back("/companion/letters")


@with_vault
async def kindness(request: Request, v: Vault) -> Response:
    letter = tools.letter(v, request.path_params["letter"])
    return page(
        request,
        "kindness.html",
        {"letter": letter, "circling": tools.circling(v, now(request))},
    )


@with_vault
async def save_kindness(request: Request, v: Vault) -> Response:
    data = await form(request)
    words = text(data, "compassion", limit=tools.TEXT_LIMIT)
    letter = tools.add_compassion(v, request.path_params["letter"], words)
    care_next(request, words)
    return back(f"/companion/letters/{letter.id}")


routes = [
    Route("/companion/letters", letters, methods=["GET"]),
    Route("/companion/letters", create, methods=["POST"]),
    Route("/companion/letters/new", new_letter, methods=["GET"]),
    Route("/companion/letters/{letter}", show, methods=["GET"]),
    Route("/companion/letters/{letter}", update, methods=["POST"]),
    Route("/companion/letters/{letter}/keep", keep, methods=["POST"]),
    Route("/companion/letters/{letter}/burn", burn, methods=["POST"]),
    Route("/companion/letters/{letter}/kindness", kindness, methods=["GET"]),
    Route("/companion/letters/{letter}/kindness", save_kindness, methods=["POST"]),
]
