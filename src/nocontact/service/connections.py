"""Limits on a connection before any request reaches the app (and so before any key).

uvicorn's HTTP protocol (httptools) keeps every header byte a client sends and
waits forever for the rest of a request. :class:`LimitedProtocol` is that
protocol with four limits, all from the settings (:class:`Limits`):

- the head of a request (request line and headers) may hold at most
  ``max_header`` bytes: beyond, the answer is ``431`` and the connection closes,
  so a client sending hundreds of megabytes of headers costs one read buffer;
- the head must arrive within ``header_timeout`` seconds of the connection (or of
  the request's first byte on a kept-alive connection), a slow-header client is
  closed with ``408``;
- a body must make progress: no byte for ``body_timeout`` seconds closes the
  connection (the app sees the client leave);
- a connection idle between requests is closed after ``keep_alive`` seconds
  (uvicorn's own ``timeout_keep_alive``).

Answers from here are RFC 9457 problems, like the app's, without a request id.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import msgspec
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .problems import MEDIA_TYPE, problem


@dataclass(frozen=True, slots=True)
class Limits:
    max_header: int
    header_timeout: float
    body_timeout: float


def _answer(status: int, reason: str, code: str, title: str, detail: str) -> bytes:
    body = msgspec.json.encode(problem(status, code, title, detail))
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: {MEDIA_TYPE}\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class LimitedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a bounded head and read timeouts."""

    def __init__(self, *args: Any, limits: Limits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        #: Bytes of the current request's head received so far; None once it is complete.
        self._head: int | None = 0
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm(self.limits.header_timeout, self._slow_head)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._head is None and self.cycle is not None and self.cycle.more_body:
            self._arm(self.limits.body_timeout, self._stalled_body)  # progress: a new clock
        super().data_received(data)
        if self._head is not None and not self.transport.is_closing():
            self._head += len(data)
            if self._head > self.limits.max_header:
                self._refuse(
                    431, "Request Header Fields Too Large", "headers_too_large",
                    "Request headers too large",
                    f"the request line and headers may hold at most {self.limits.max_header}"
                    " bytes",
                )  # fmt: skip

    # -- parser callbacks -----------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head = 0
        if self._deadline is None:
            self._arm(self.limits.header_timeout, self._slow_head)

    def on_headers_complete(self) -> None:
        self._head = None
        self._disarm()
        super().on_headers_complete()
        if self.cycle is not None and self.cycle.more_body:
            self._arm(self.limits.body_timeout, self._stalled_body)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    # -- limits -------------------------------------------------------------------------

    def _arm(self, seconds: float, then: Any) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, then)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _slow_head(self) -> None:
        self._deadline = None
        if self.cycle is None or self.cycle.response_complete:
            self._refuse(
                408, "Request Timeout", "request_timeout", "Request timeout",
                f"the request line and headers must arrive within {self.limits.header_timeout}"
                " seconds",
            )  # fmt: skip

    def _stalled_body(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()  # the app reads the client's leaving and answers no one

    def _refuse(self, status: int, reason: str, code: str, title: str, detail: str) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self.transport.write(_answer(status, reason, code, title, detail))
            self.transport.close()
