"""What every route uses: the signed-in person, checked forms, rendered pages.

``form(request)`` is the only way a route reads a POST body: it checks the
CSRF token first (a synchronizer token kept in the server-side session,
compared in constant time) and raises :class:`CSRFRejected`, answered by a
403 page, when it is missing or wrong. ``render`` fills the layout's common
parts (the person, the nav counts, the token) and ``person_or_redirect``
sends a visitor who is not signed in to the sign-in page.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .config import Web
from .sessions import Session

#: Longest text any form field may hold; longer is a field-level error.
FIELD_LIMIT = 4000


class CSRFRejected(Exception):
    """A POST without the session's token: answered with a 403 page, nothing changed."""


class SignInNeeded(Exception):
    """A page for signed-in people, asked for by someone who is not."""


@dataclass
class Errors:
    """Field-level messages for a form that is shown again."""

    fields: dict[str, str]

    def __bool__(self) -> bool:
        return bool(self.fields)


def web(request: Request) -> Web:
    found: Web = request.app.state.web
    return found


def session(request: Request) -> Session:
    found: Session = request.scope["state"]["session"]
    return found


def person(request: Request) -> str:
    """The signed-in person, or :class:`SignInNeeded`."""
    who = session(request).person
    if who is None:
        raise SignInNeeded
    return who


async def form(request: Request) -> FormData:
    """The POST body, once its CSRF token matches the session's."""
    data = await request.form(max_files=0, max_fields=64, max_part_size=64 * 1024)
    token = data.get("csrf")
    expected = session(request).csrf
    if not isinstance(token, str) or not secrets.compare_digest(token, expected):
        raise CSRFRejected
    return data


def text(data: FormData, name: str, *, limit: int = FIELD_LIMIT) -> str:
    value = data.get(name, "")
    return value.strip()[: limit + 1] if isinstance(value, str) else ""


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> Response:
    """A page in the layout, with the nav filled for the signed-in person."""
    w = web(request)
    s = session(request)
    values: dict[str, Any] = {
        "request": request,
        "me": s.person,
        "me_name": w.gateway.people.name_for(s.person, s.person) if s.person else "",
        "csrf": s.csrf,
        "demo": w.config.demo,
        "nav_unread": w.gateway.notifications.unread(s.person) if s.person else 0,
        "companion_nav": w.config.companion_nav,
        "errors": {},
    }
    values.update(context or {})
    return w.templates.TemplateResponse(request, template, values, status_code=status)


def back(url: str) -> RedirectResponse:
    """After a POST, go where the result is shown (303: the browser GETs it)."""
    return RedirectResponse(url, status_code=303)
