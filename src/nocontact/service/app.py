"""The ASGI application: one small pipeline from bytes to engine and back.

route → method → API key and scope → content type → body size → strict
decoding → handler → JSON. Any failure on the way is an RFC 9457 problem
(:mod:`.problems`); an unexpected exception is logged with its traceback and
answered as a plain ``internal`` problem, never with the traceback. Nothing is
written before a request has passed every check. ``/`` is left free for the
reference web app.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

import msgspec

from nocontact.core.errors import NocontactError

from . import logs
from .auth import token_from
from .bodies import BodyDecoder
from .ops import all_routes
from .problems import MEDIA_TYPE, HTTPProblem, Problem, edge, from_error, problem
from .routing import Call, Raw, Route, Router, Stream
from .settings import Settings
from .state import Service

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_REQUEST_ID = re.compile(r"[A-Za-z0-9._\-]{1,64}")
_JSON_TYPES = ("application/json",)
_encode = msgspec.json.Encoder().encode
#: Bodies larger than this are decoded off the event loop.
LARGE_BODY = 65_536
#: The youngest generation's threshold in a served process: a batch of 10,000
#: checks then sets off no collection (with the default 700, about fourteen).
GC_THRESHOLD = 50_000


class App:
    """The ASGI callable. The :class:`Service` is opened on startup, closed on shutdown."""

    def __init__(
        self, settings: Settings, service: Service | None = None, *, settle_gc: bool = False
    ) -> None:
        self.settings = settings
        self.service = service
        self.router = Router(all_routes())
        #: After startup, freeze what is alive (the index) out of the collector's sight.
        self.settle_gc = settle_gc
        #: Set when the server begins to shut down: live streams end at their next wake.
        self.closing = False
        self._decoders = {
            r.body: BodyDecoder(r.body) for r in self.router.routes if r.body is not None
        }

    # -- ASGI ------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        owned = False
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                owned = self.service is None  # close only what this lifespan opened
                try:
                    self.open()
                except Exception as exc:
                    logs.log(logging.ERROR, "startup failed", error=str(exc))
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                if self.settle_gc:
                    _settle_gc()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if owned:
                    self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def open(self) -> Service:
        if self.service is None:
            self.service = Service(self.settings)
            logs.log(logging.INFO, "store open", db=self.service.where)
        return self.service

    def close(self) -> None:
        service, self.service = self.service, None
        if service is not None:
            service.close()
            logs.log(logging.INFO, "store closed", db=service.where)

    # -- one request ---------------------------------------------------------------

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = logs.now()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.fullmatch(given) else secrets.token_hex(8)
        method: str = scope["method"]
        route_name = "unmatched"
        status = 500
        service = self.open()
        started_answer = False

        async def tracked(message: Message) -> None:
            nonlocal started_answer
            started_answer = True
            await send(message)

        try:
            route, params = self._route(scope["path"], method)
            route_name = route.path
            call = await self._prepare(route, params, scope, headers, receive, request_id)
            result = await route.handler(call)
            status = await self._answer(route, result, tracked, receive, request_id)
        except HTTPProblem as raised:
            status = await self._problem(send, raised.problem, request_id, raised.headers)
        except NocontactError as error:
            status = await self._problem(send, from_error(error), request_id)
        except Exception:
            logging.getLogger(logs.LOGGER).exception(
                "internal error", extra={"fields": {"request_id": request_id}}
            )
            if started_answer:  # too late for a problem: the answer has begun
                return
            internal = problem(
                500, "internal", "Internal error", "an internal error; see the server log"
            )
            status = await self._problem(send, internal, request_id)
        elapsed = logs.now() - started
        service.metrics.request(method, route_name, status, elapsed)
        if self.settings.access_log:
            logs.log(
                logging.INFO, "request", request_id=request_id, method=method,
                route=route_name, path=scope["path"], status=status, ms=round(elapsed * 1000, 3),
            )  # fmt: skip

    def _route(self, path: str, method: str) -> tuple[Route, dict[str, str]]:
        found = self.router.match(path)
        if found is None:
            raise edge("not_found", f"no endpoint {path}")
        methods, params = found
        route = methods.get(method)
        if route is None:
            allowed = ", ".join(sorted(methods))
            raise edge(
                "method_not_allowed", f"{path} answers {allowed}, not {method}", allow=allowed
            )
        return route, params

    async def _prepare(
        self,
        route: Route,
        params: dict[str, str],
        scope: Scope,
        headers: dict[str, str],
        receive: Receive,
        request_id: str,
    ) -> Call:
        service = self.open()
        allowed = self._still_open
        if route.scope is not None and self.settings.auth:
            token = token_from(headers.get("authorization", ""))
            key = service.keys.verify(token)
            if key is None:
                raise edge(
                    "unauthorized", "send an API key: Authorization: Bearer nck_...",
                    www_authenticate='Bearer realm="nocontact"',
                )  # fmt: skip
            if not key.allows(route.scope):
                raise edge("forbidden", f"this endpoint needs a key with scope {route.scope}")

            def allowed() -> bool:
                return not self.closing and service.keys.verify(token) is not None

        query = self._query(route, scope)
        body: Any = None
        if route.body is not None:
            media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if media not in _JSON_TYPES:
                raise edge(
                    "unsupported_media_type", "send the body as Content-Type: application/json"
                )
            raw = await self._read(headers, receive)
            decoder = self._decoders[route.body]
            if len(raw) <= LARGE_BODY:
                body = decoder.decode(raw)
            else:  # megabytes of JSON: decoded and checked on a reader thread
                body = await service.off_loop(lambda: decoder.decode(raw))
        return Call(service, params, query, body, headers, request_id, allowed)

    def _still_open(self) -> bool:
        return not self.closing

    def _query(self, route: Route, scope: Scope) -> dict[str, Any]:
        raw = scope.get("query_string", b"").decode("latin-1")
        try:
            pairs = (
                parse_qsl(raw, keep_blank_values=True, strict_parsing=False, errors="strict")
                if raw
                else []
            )
        except (UnicodeDecodeError, ValueError):
            raise edge("invalid_input", "the query string is not valid UTF-8") from None
        declared = {p.name: p for p in route.query}
        values: dict[str, Any] = {}
        for name, value in pairs:
            param = declared.get(name)
            if param is None:
                known = ", ".join(declared) or "none"
                raise edge(
                    "invalid_input",
                    f"unknown query parameter {name!r} (known: {known})",
                    field=name,
                )
            if name in values:
                raise edge("invalid_input", f"query parameter {name!r} given twice", field=name)
            values[name] = param.parse(value)
        for param in route.query:
            if param.name not in values:
                if param.required:
                    raise edge(
                        "invalid_input",
                        f"query parameter {param.name} is required",
                        field=param.name,
                    )
                values[param.name] = param.default
        return values

    async def _read(self, headers: dict[str, str], receive: Receive) -> bytes:
        limit = self.settings.max_body
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise edge("body_too_large", f"the body may have at most {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise edge("invalid_input", "the client left before sending the body")
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise edge("body_too_large", f"the body may have at most {limit} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    # -- answers -------------------------------------------------------------------

    async def _answer(
        self, route: Route, result: Any, send: Send, receive: Receive, request_id: str
    ) -> int:
        if isinstance(result, Stream):
            await send({"type": "http.response.start", "status": 200, "headers": [
                (b"content-type", b"text/event-stream; charset=utf-8"),
                (b"cache-control", b"no-store"),
                (b"x-request-id", request_id.encode()),
            ]})  # fmt: skip
            await _stream(result, send, receive)
            return 200
        if isinstance(result, Raw):
            body, media, status = result.body, result.media_type.encode(), result.status
        else:
            body, media, status = _encode(result), b"application/json", route.status
        await _send(send, status, body, media, request_id)
        return status

    async def _problem(
        self, send: Send, found: Problem, request_id: str, headers: dict[str, str] | None = None
    ) -> int:
        found.request_id = request_id
        extra = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        await _send(send, found.status, _encode(found), MEDIA_TYPE.encode(), request_id, extra)
        return found.status


async def _send(
    send: Send,
    status: int,
    body: bytes,
    media: bytes,
    request_id: str,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [
        (b"content-type", media),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _stream(result: Stream, send: Send, receive: Receive) -> None:
    """Send the stream's chunks until it ends or the client leaves, whichever is first.

    The client's leaving is read from ``receive`` (``http.disconnect``) beside the
    stream, so an abandoned stream stops at once instead of waking forever. A stream
    cancelled by the server's shutdown ends quietly: that is how streams end.
    """

    async def pump() -> None:
        async for chunk in result.chunks():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def gone() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    sending = asyncio.ensure_future(pump())
    leaving = asyncio.ensure_future(gone())
    try:
        await asyncio.wait((sending, leaving), return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        pass
    finally:
        for task in (sending, leaving):
            task.cancel()
        done = await asyncio.gather(sending, leaving, return_exceptions=True)
    for outcome in done:
        if isinstance(outcome, BaseException) and not isinstance(
            outcome, asyncio.CancelledError | OSError
        ):
            raise outcome


def _settle_gc() -> None:
    """Keep the cycle collector off the hot path of a served process.

    Everything alive at startup (the engine's index, the imported modules) is
    moved out of the collector's generations, so a collection never walks it;
    and the youngest generation is let grow to :data:`GC_THRESHOLD` objects, so
    the short-lived objects of a request are freed by reference counting before
    a collection is due.
    """
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, middle, oldest)


def create(settings: Settings | None = None) -> App:
    """The served app (``nocontact serve``), with settings from the environment and
    config file when none are given."""
    from .settings import load

    return App(settings or load(), settle_gc=True)
