"""RFC 9457 problem details: the one place where errors become HTTP answers.

Every non-2xx answer of the service is a :class:`Problem` with ``type``,
``title``, ``status``, ``detail`` and a machine ``code`` (and ``field`` when one
input is at fault). Domain errors from :mod:`nocontact.core.errors` map by their
own code, title and status; the HTTP edge adds the few problems only it can
meet (bad JSON, wrong method, wrong content type, oversized body, keys).
A problem never carries a stack trace.
"""

from __future__ import annotations

import msgspec

from nocontact.core.errors import ImportRejected, NocontactError

TYPE_PREFIX = "urn:nocontact:problem:"
MEDIA_TYPE = "application/problem+json"


class Problem(msgspec.Struct, omit_defaults=True):
    """An RFC 9457 problem, with nocontact's machine ``code``."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None
    request_id: str | None = None
    #: For ``import_rejected``: every bad row of the file, by line.
    rows: list[RowProblem] | None = None


class RowProblem(msgspec.Struct):
    line: int
    detail: str


class HTTPProblem(Exception):
    """Raised inside the service to answer with a problem."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.problem = problem(status, code, title, detail, field=field)
        self.headers = headers or {}


def problem(
    status: int, code: str, title: str, detail: str, *, field: str | None = None
) -> Problem:
    return Problem(TYPE_PREFIX + code, title, status, detail, code, field)


def from_error(error: NocontactError) -> Problem:
    """A domain error as a problem: its code, title, status and detail, unchanged."""
    found = problem(error.status, error.code, error.title, error.detail, field=error.field)
    if isinstance(error, ImportRejected):
        found.rows = [RowProblem(line, detail) for line, detail in error.rows]
    return found


#: The problems the HTTP edge itself raises: code -> (status, title).
EDGE: dict[str, tuple[int, str]] = {
    "invalid_json": (400, "Invalid JSON"),
    "invalid_input": (400, "Invalid input"),
    "unauthorized": (401, "Missing or invalid API key"),
    "forbidden": (403, "API key lacks the scope"),
    "not_found": (404, "Not found"),
    "method_not_allowed": (405, "Method not allowed"),
    "not_acceptable": (406, "Not acceptable"),
    "revision_not_reached": (503, "Revision not reached yet"),
    "body_too_large": (413, "Request body too large"),
    "unsupported_media_type": (415, "Unsupported media type"),
    "internal": (500, "Internal error"),
}


def edge(code: str, detail: str, *, field: str | None = None, **headers: str) -> HTTPProblem:
    status, title = EDGE[code]
    return HTTPProblem(
        status,
        code,
        title,
        detail,
        field=field,
        headers={k.replace("_", "-"): v for k, v in headers.items()},
    )


def from_validation(error: msgspec.ValidationError | msgspec.DecodeError) -> HTTPProblem:
    """msgspec's message names the path (``at `$.checks[3].action```); keep it, name the field."""
    text = str(error)
    if isinstance(error, msgspec.ValidationError):
        field = None
        if "at `$." in text:
            field = text.rsplit("at `$.", 1)[1].rstrip("`")
        elif "at `$`" in text:
            field = None
        return edge("invalid_input", text, field=field)
    return edge("invalid_json", f"the body is not valid JSON: {text}")
