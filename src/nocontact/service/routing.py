"""Routes declared as data: method, path template, scope, body and answer types.

The app dispatches from :class:`Route` rows and the OpenAPI document is built
from the same rows, so a route cannot be served without being documented.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .auth import Scope
from .problems import edge

if TYPE_CHECKING:
    from .state import Service


@dataclass(frozen=True, slots=True)
class Param:
    """A query parameter."""

    name: str
    type: type[int] | type[str] | type[bool]
    description: str
    default: int | str | bool | None = None
    minimum: int | None = None
    maximum: int | None = None
    required: bool = False

    def parse(self, raw: str) -> int | str | bool:
        if self.type is bool:
            if raw in ("true", "1"):
                return True
            if raw in ("false", "0"):
                return False
            raise edge("invalid_input", f"{self.name} must be true or false", field=self.name)
        if self.type is int:
            if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
                raise edge("invalid_input", f"{self.name} must be a whole number", field=self.name)
            number = int(raw)
            if (self.minimum is not None and number < self.minimum) or (
                self.maximum is not None and number > self.maximum
            ):
                raise edge(
                    "invalid_input",
                    f"{self.name} must be between {self.minimum} and {self.maximum}",
                    field=self.name,
                )
            return number
        if len(raw) > 256:
            raise edge("invalid_input", f"{self.name} is too long", field=self.name)
        return raw


@dataclass(slots=True)
class Call:
    """One request as a handler sees it."""

    service: Service
    path: dict[str, str]
    query: dict[str, Any]
    body: Any
    headers: Mapping[str, str]
    request_id: str
    #: Whether the request may still be answered: its key has not been revoked and the
    #: server is not closing (a live stream asks this on every wake and every event).
    allowed: Callable[[], bool] = lambda: True


Handler = Callable[[Call], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    name: str
    summary: str
    handler: Handler
    response: type[Any] | None
    scope: Scope | None = Scope.ADMIN
    body: type[Any] | None = None
    status: int = 200
    #: Other success statuses the answer may carry, with the same body.
    also: tuple[int, ...] = ()
    query: tuple[Param, ...] = ()
    tag: str = "v1"
    description: str = ""
    #: The answer may also be a ``text/event-stream``.
    streams: bool = False
    #: The answer is not JSON but this media type (metrics, docs).
    raw_media: str | None = None


def split(path: str) -> tuple[str, ...]:
    return tuple(path.strip("/").split("/")) if path.strip("/") else ()


class Router:
    """Exact segments, or ``{name}`` for one path parameter."""

    def __init__(self, routes: tuple[Route, ...]) -> None:
        self.routes = routes
        self._by_path: dict[tuple[str, ...], dict[str, Route]] = {}
        for route in routes:
            self._by_path.setdefault(split(route.path), {})[route.method] = route
        self._static = {k: v for k, v in self._by_path.items() if not any("{" in s for s in k)}

    def match(self, path: str) -> tuple[Mapping[str, Route], dict[str, str]] | None:
        parts = split(path)
        found = self._static.get(parts)
        if found is not None:
            return found, {}
        for template, methods in self._by_path.items():
            if len(template) != len(parts):
                continue
            params: dict[str, str] = {}
            for want, got in zip(template, parts, strict=True):
                if want.startswith("{"):
                    if not got:
                        break
                    params[want[1:-1]] = got
                elif want != got:
                    break
            else:
                return methods, params
        return None


@dataclass(frozen=True, slots=True)
class Raw:
    """An answer that is not a JSON struct: bytes with their media type."""

    body: bytes
    media_type: str
    status: int = 200


@dataclass(frozen=True, slots=True)
class Stream:
    """A streamed answer (server-sent events): chunks until the client leaves, the key
    that opened it is revoked, or the server closes."""

    chunks: Callable[[], Any]
    media_type: str = "text/event-stream"
