"""Your own people first: "I'm not okay", chosen friends with openers, the safety plan."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nocontact.companion import tools
from nocontact.companion.records import Friend, SafetyPlan
from nocontact.companion.vault import Vault
from nocontact.web.pages import back, form, text

from .base import care_next, now, page, vault, with_vault

OPENERS = (
    "Rough night. Can you talk?",
    "I'm having a hard day. Could you call me?",
    "Could we meet up this week? I could use some company.",
    "Not doing great. Can you just check on me later?",
)
SAFETY_STEPS = (
    (
        "warning_signs",
        "Warning signs",
        "Thoughts, moods or situations that tell me a crisis may be coming.",
    ),
    (
        "coping",
        "Things I can do on my own",
        "To take my mind off things: a walk, music, a shower, a game.",
    ),
    ("people_places", "People and places that help", "Where I can be around others, and who."),
    ("ask", "People I can ask for help", "Names and how to reach them."),
    (
        "professionals",
        "Professionals and services",
        "My doctor, a therapist, a crisis line, the nearest emergency department.",
    ),
    (
        "safer",
        "Making my surroundings safer",
        "What I can put away or ask someone to keep for now.",
    ),
)


async def not_okay(request: Request) -> Response:
    """Open even while the vault is locked: the crisis resources and openers are always here."""
    found = vault(request)
    friends = found.all(Friend) if found is not None else []
    return page(
        request,
        "not_okay.html",
        {"friends": friends, "openers": OPENERS, "locked": found is None},
    )


@with_vault
async def add_friend(request: Request, v: Vault) -> Response:
    data = await form(request)
    tools.add_friend(
        v, text(data, "name", limit=200), text(data, "reach", limit=200),
        text(data, "opener", limit=200), now(request),
    )  # fmt: skip
    return back("/companion/not-okay#friends")


@with_vault
async def remove_friend(request: Request, v: Vault) -> Response:
    await form(request)
    v.burn(Friend, request.path_params["friend"])
    return back("/companion/not-okay#friends")


@with_vault
async def safety_plan_page(request: Request, v: Vault) -> Response:
    return page(request, "safety_plan.html", {"plan": v.single(SafetyPlan), "steps": SAFETY_STEPS})


@with_vault
async def save_safety_plan(request: Request, v: Vault) -> Response:
    data = await form(request)
    fields = {name: text(data, name, limit=4000) for name, _, _ in SAFETY_STEPS}
    tools.save_safety_plan(v, dict(fields), now(request))
    care_next(request, *fields.values())
    return back("/companion/safety-plan#saved")


routes = [
    Route("/companion/not-okay", not_okay, methods=["GET"]),
    Route("/companion/friends", add_friend, methods=["POST"]),
    Route("/companion/friends/{friend}/remove", remove_friend, methods=["POST"]),
    Route("/companion/safety-plan", safety_plan_page, methods=["GET"]),
    Route("/companion/safety-plan", save_safety_plan, methods=["POST"]),
]
