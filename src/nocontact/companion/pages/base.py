"""What every companion page shares: the person's vault, the clock, the layout.

The unlocked data key lives in the :class:`~..vault.Keyring`, in this
process's memory, for one signed-in session: a page that needs the vault and
finds none (the server restarted, or everything was just deleted) shows a calm
"sign in again" page instead. Every page renders in ``companion/layout.html``,
which links the crisis resources at the top; when the person has just written
something with crisis language, the next page shows the resources first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from nocontact.companion import tools
from nocontact.companion.crisis import has_crisis_language
from nocontact.companion.rhythm import REMINDER_TEXT
from nocontact.companion.vault import Keyring, Vault
from nocontact.core.errors import InvalidInput
from nocontact.engine import Engine
from nocontact.web.pages import person, render, session, web

#: Set in the session when the next companion page must show crisis resources first.
CARE_FLAG = "companion_care_first"
#: Set when the person's key could not be unlocked at sign-in.
LOCKED_FLAG = "companion_locked"

Handler = Callable[[Request], Awaitable[Response]]
VaultHandler = Callable[[Request, Vault], Awaitable[Response]]


@dataclass
class Companion:
    """The companion's part of the app: its keyring, and the engine through the web's gateway."""

    keyring: Keyring

    def engine(self, request: Request) -> Engine:
        return web(request).gateway.ctx.engine

    def now(self, request: Request) -> float:
        return web(request).gateway.ctx.now()


def companion(request: Request) -> Companion:
    found: Companion = request.app.state.companion
    return found


def now(request: Request) -> float:
    return companion(request).now(request)


def engine(request: Request) -> Engine:
    return companion(request).engine(request)


def names(request: Request) -> Callable[[str], str]:
    """Names as the signed-in person is shown them (frozen where a block froze them)."""
    me = person(request)
    people = web(request).gateway.people
    return lambda other: people.name_for(me, other)


def vault(request: Request) -> Vault | None:
    """The signed-in person's open vault, or None while it is locked."""
    who = person(request)
    return companion(request).keyring.vault(session(request).id, who)


def care_next(request: Request, *texts: str) -> bool:
    """Remember to show crisis resources first on the next page if any text calls for it."""
    if any(has_crisis_language(t) for t in texts if t):
        session(request).data[CARE_FLAG] = True
        return True
    return False


def page(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> Response:
    """A companion page in its layout, crisis resources first when they are called for."""
    values: dict[str, Any] = dict(context or {})
    flagged = bool(session(request).data.pop(CARE_FLAG, False))
    values["care_first"] = flagged or bool(values.get("care_first"))
    values.setdefault("reminder", "")
    values.setdefault("errors", {})
    return render(request, f"companion/{template}", values, status)


def with_vault(handler: VaultHandler) -> Handler:
    """A page that needs the person's vault: locked, it asks them to sign in again."""

    @wraps(handler)
    async def run(request: Request) -> Response:
        found = vault(request)
        if found is None:
            mismatch = bool(session(request).data.get(LOCKED_FLAG))
            status = 423 if request.method == "POST" else 200
            return page(request, "locked.html", {"mismatch": mismatch}, status)
        try:
            return await handler(request, found)
        except InvalidInput as error:
            if error.field == "id":  # a letter, urge or pledge that is not there (or not theirs)
                return page(request, "missing.html", {}, 404)
            return page(request, "oops.html", {"detail": error.detail}, 400)

    return run


def reminder_text(request: Request, v: Vault) -> str:
    """Today's gentle reminder, if one is due: never a word of what was written."""
    return REMINDER_TEXT if tools.reminder(v, now(request)) else ""


def field_errors(error: InvalidInput) -> dict[str, str]:
    return {error.field or "form": error.detail}
