"""A typed Python client for the nocontact HTTP service, sync and async (httpx).

>>> with Client("http://127.0.0.1:8000", key="nck_...") as api:  # doctest: +SKIP
...     api.decide("sam", "message", "alex").outcome

Answers are the service's own schema structs (:mod:`nocontact.service.schemas`);
a problem answer raises :class:`ProblemError` with its ``code``, ``status`` and
``detail``. A request is retried only when the connection could not be made
(so it never reached the server); nothing that may have been received is sent
twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx
import msgspec

from .core.errors import NocontactError
from .service import list_schemas as ls
from .service import schemas as s
from .service.problems import Problem

T = TypeVar("T")
RETRIES = 3
BACKOFF = 0.1
_RETRY_ON = (httpx.ConnectError, httpx.ConnectTimeout)


class ProblemError(NocontactError):
    """The service answered with an RFC 9457 problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail, field=problem.field)
        self.problem = problem
        self.code = problem.code  # type: ignore[misc]
        self.title = problem.title  # type: ignore[misc]
        self.status = problem.status  # type: ignore[misc]


class Unreachable(NocontactError):
    """The server could not be reached, or the connection broke."""

    code = "unreachable"
    title = "Server unreachable"
    status = 503


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items() if v is not None
    }


def _parse(response: httpx.Response, kind: type[T]) -> T:
    if response.is_success:
        return msgspec.json.decode(response.content, type=kind)
    try:
        found = msgspec.json.decode(response.content, type=Problem)
    except msgspec.DecodeError:
        found = Problem(
            "about:blank", response.reason_phrase, response.status_code, response.text[:200], "http"
        )
    raise ProblemError(found)


def _seg(text: str) -> str:
    """One path segment: an address such as ``tel:+1...`` escaped."""
    return quote(text, safe="")


def _checks(checks: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [_clean(c) for c in checks]


class _Base:
    def __init__(self, url: str, key: str | None, timeout: float) -> None:
        self.url = url.rstrip("/")
        self.headers = {"authorization": f"Bearer {key}"} if key else {}
        self.timeout = timeout


def _decide_body(
    actor: str,
    action: str,
    target: str,
    platform: str | None,
    at: datetime | None,
    viewer: str | None,
) -> dict[str, Any]:
    return _clean(
        {"actor": actor, "action": action, "target": target, "platform": platform, "at": at,
         "viewer": viewer}
    )  # fmt: skip


def _rev(min_revision: int | None) -> dict[str, Any] | None:
    return None if min_revision is None else {"min_revision": min_revision}


class Client(_Base):
    """The synchronous client."""

    def __init__(self, url: str, key: str | None = None, *, timeout: float = 10.0) -> None:
        super().__init__(url, key, timeout)
        self._http = httpx.Client(base_url=self.url, headers=self.headers, timeout=timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(
        self, method: str, path: str, kind: type[T], body: Any = None, query: Any = None
    ) -> T:
        for attempt in range(RETRIES + 1):
            try:
                response = self._http.request(method, path, json=body, params=query)
                break
            except _RETRY_ON as exc:
                if attempt == RETRIES:
                    raise Unreachable(f"cannot reach {self.url}: {exc}") from exc
                time.sleep(BACKOFF * 2**attempt)
            except httpx.TransportError as exc:
                raise Unreachable(f"{self.url}: {exc}") from exc
        return _parse(response, kind)

    def health(self) -> s.Health:
        return self._call("GET", "/healthz", s.Health)

    def add_person(
        self, person: str | None = None, *, name: str | None = None, addresses: Iterable[str] = ()
    ) -> s.PersonOut:
        body = _clean({"id": person, "name": name, "addresses": list(addresses)})
        return self._call("POST", "/v1/persons", s.PersonOut, body)

    def person(self, person: str, *, min_revision: int | None = None) -> s.PersonOut:
        return self._call("GET", f"/v1/persons/{person}", s.PersonOut, query=_rev(min_revision))

    def link_address(self, person: str, address: str) -> s.PersonOut:
        return self._call(
            "POST", f"/v1/persons/{person}/addresses", s.PersonOut, {"address": address}
        )

    def unlink_address(self, person: str, address: str) -> s.PersonOut:
        return self._call("DELETE", f"/v1/persons/{person}/addresses/{address}", s.PersonOut)

    def add_contact(self, owner: str, contact: str) -> s.RevisionOut:
        return self._call(
            "POST", f"/v1/persons/{owner}/contacts", s.RevisionOut, {"contact": contact}
        )

    def set_boundary(
        self, owner: str, target: str, kind: str = "block", **options: Any
    ) -> s.BoundaryOut:
        body = _clean({"owner": owner, "target": target, "kind": kind, **options})
        return self._call("POST", "/v1/boundaries", s.BoundaryOut, body)

    def boundaries(
        self,
        owner: str,
        *,
        limit: int = 100,
        after: str | None = None,
        min_revision: int | None = None,
    ) -> s.BoundaryPage:
        query = _clean(
            {"owner": owner, "limit": limit, "after": after, "min_revision": min_revision}
        )
        return self._call("GET", "/v1/boundaries", s.BoundaryPage, query=query)

    def boundary(self, boundary_id: str, *, min_revision: int | None = None) -> s.BoundaryOut:
        return self._call(
            "GET", f"/v1/boundaries/{boundary_id}", s.BoundaryOut, query=_rev(min_revision)
        )

    def lift(self, boundary_id: str, *, restore: bool = False) -> s.LiftOut:
        query = {"restore": "true"} if restore else None
        return self._call("DELETE", f"/v1/boundaries/{boundary_id}", s.LiftOut, query=query)

    def decide(
        self, actor: str, action: str, target: str, *, platform: str | None = None,
        at: datetime | None = None, viewer: str | None = None, min_revision: int | None = None,
    ) -> s.DecisionOut:  # fmt: skip
        body = _decide_body(actor, action, target, platform, at, viewer)
        return self._call("POST", "/v1/decide", s.DecisionOut, body, _rev(min_revision))

    def decide_batch(
        self, checks: Iterable[Mapping[str, Any]], *, min_revision: int | None = None
    ) -> s.BatchOut:
        body = {"checks": _checks(checks)}
        return self._call("POST", "/v1/decide/batch", s.BatchOut, body, _rev(min_revision))

    def visible(
        self, viewer: str, items: Iterable[Mapping[str, Any]], *, min_revision: int | None = None
    ) -> s.VisibleOut:
        body = {"viewer": viewer, "items": _checks(items)}
        return self._call("POST", "/v1/visible", s.VisibleOut, body, _rev(min_revision))

    def audience(
        self, author: str, candidates: Iterable[str], *, min_revision: int | None = None
    ) -> s.AudienceOut:
        body = {"author": author, "candidates": list(candidates)}
        return self._call("POST", "/v1/audience", s.AudienceOut, body, _rev(min_revision))

    def emergency(self, owner: str) -> s.RevisionOut:
        return self._call("POST", "/v1/emergency", s.RevisionOut, {"owner": owner})

    def events(self, after: int = 0, limit: int = 100) -> s.EventPage:
        return self._call("GET", "/v1/events", s.EventPage, query={"after": after, "limit": limit})

    # -- shared lists, import and export ---------------------------------------------

    def create_list(
        self, curator: str, name: str, *, list_id: str | None = None, members: Iterable[str] = ()
    ) -> ls.ListOut:
        body = _clean({"curator": curator, "name": name, "id": list_id, "members": list(members)})
        return self._call("POST", "/v1/lists", ls.ListOut, body)

    def get_list(self, list_id: str) -> ls.ListOut:
        return self._call("GET", f"/v1/lists/{_seg(list_id)}", ls.ListOut)

    def list_members(self, list_id: str) -> list[str]:
        found: list[str] = []
        after: str | None = None
        while True:
            query = _clean({"limit": 10_000, "after": after})
            path = f"/v1/lists/{_seg(list_id)}/members"
            page = self._call("GET", path, ls.MemberPage, query=query)
            found += page.members
            if page.next is None:
                return found
            after = page.next

    def add_list_members(self, list_id: str, members: Iterable[str]) -> s.RevisionOut:
        body = {"members": list(members)}
        return self._call("POST", f"/v1/lists/{_seg(list_id)}/members", s.RevisionOut, body)

    def remove_list_member(self, list_id: str, member: str) -> s.RevisionOut:
        path = f"/v1/lists/{_seg(list_id)}/members/{_seg(member)}"
        return self._call("DELETE", path, s.RevisionOut)

    def delete_list(self, list_id: str) -> s.RevisionOut:
        return self._call("DELETE", f"/v1/lists/{_seg(list_id)}", s.RevisionOut)

    def subscribe(self, owner: str, list_id: str, kind: str = "block") -> ls.SubscriptionOut:
        body = {"owner": owner, "kind": kind}
        path = f"/v1/lists/{_seg(list_id)}/subscriptions"
        return self._call("POST", path, ls.SubscriptionOut, body)

    def unsubscribe(self, owner: str, list_id: str) -> s.RevisionOut:
        path = f"/v1/lists/{_seg(list_id)}/subscriptions/{_seg(owner)}"
        return self._call("DELETE", path, s.RevisionOut)

    def subscriptions(self, owner: str) -> ls.SubscriptionsOut:
        path = f"/v1/persons/{_seg(owner)}/subscriptions"
        return self._call("GET", path, ls.SubscriptionsOut)

    def suspend_curator(self, curator: str, suspended: bool = True) -> s.RevisionOut:
        path = f"/v1/curators/{_seg(curator)}/suspension"
        return self._call("PUT" if suspended else "DELETE", path, s.RevisionOut)

    def import_content(self, content: str, **options: Any) -> ls.ImportOut:
        """``POST /v1/import``: options are ``format``, ``owner``, ``mode``, ``kind``..."""
        body = _clean({"content": content, **options})
        return self._call("POST", "/v1/import", ls.ImportOut, body)

    def export(self, fmt: str = "json", *, owner: str | None = None) -> ls.ExportOut:
        query = _clean({"format": fmt, "owner": owner})
        return self._call("GET", "/v1/export", ls.ExportOut, query=query)

    def phone_route(
        self, caller: str, callee: str, action: str, *, withheld: bool = False
    ) -> s.PhoneRouteOut:
        body = {"caller": caller, "callee": callee, "action": action, "withheld": withheld}
        return self._call("POST", "/v1/phone/route", s.PhoneRouteOut, body)

    def attempts(self, owner: str, *, after: int = 0, limit: int = 100) -> s.AttemptPage:
        query = {"owner": owner, "after": after, "limit": limit}
        return self._call("GET", "/v1/attempts", s.AttemptPage, query=query)


class AsyncClient(_Base):
    """The asynchronous client: the same calls, awaited."""

    def __init__(self, url: str, key: str | None = None, *, timeout: float = 10.0) -> None:
        super().__init__(url, key, timeout)
        self._http = httpx.AsyncClient(base_url=self.url, headers=self.headers, timeout=timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(
        self, method: str, path: str, kind: type[T], body: Any = None, query: Any = None
    ) -> T:
        for attempt in range(RETRIES + 1):
            try:
                response = await self._http.request(method, path, json=body, params=query)
                break
            except _RETRY_ON as exc:
                if attempt == RETRIES:
                    raise Unreachable(f"cannot reach {self.url}: {exc}") from exc
                await asyncio.sleep(BACKOFF * 2**attempt)
            except httpx.TransportError as exc:
                raise Unreachable(f"{self.url}: {exc}") from exc
        return _parse(response, kind)

    async def health(self) -> s.Health:
        return await self._call("GET", "/healthz", s.Health)

    async def add_person(
        self, person: str | None = None, *, name: str | None = None, addresses: Iterable[str] = ()
    ) -> s.PersonOut:
        body = _clean({"id": person, "name": name, "addresses": list(addresses)})
        return await self._call("POST", "/v1/persons", s.PersonOut, body)

    async def person(self, person: str, *, min_revision: int | None = None) -> s.PersonOut:
        return await self._call(
            "GET", f"/v1/persons/{person}", s.PersonOut, query=_rev(min_revision)
        )

    async def link_address(self, person: str, address: str) -> s.PersonOut:
        return await self._call(
            "POST", f"/v1/persons/{person}/addresses", s.PersonOut, {"address": address}
        )

    async def unlink_address(self, person: str, address: str) -> s.PersonOut:
        return await self._call("DELETE", f"/v1/persons/{person}/addresses/{address}", s.PersonOut)

    async def add_contact(self, owner: str, contact: str) -> s.RevisionOut:
        return await self._call(
            "POST", f"/v1/persons/{owner}/contacts", s.RevisionOut, {"contact": contact}
        )

    async def set_boundary(
        self, owner: str, target: str, kind: str = "block", **options: Any
    ) -> s.BoundaryOut:
        body = _clean({"owner": owner, "target": target, "kind": kind, **options})
        return await self._call("POST", "/v1/boundaries", s.BoundaryOut, body)

    async def boundaries(
        self,
        owner: str,
        *,
        limit: int = 100,
        after: str | None = None,
        min_revision: int | None = None,
    ) -> s.BoundaryPage:
        query = _clean(
            {"owner": owner, "limit": limit, "after": after, "min_revision": min_revision}
        )
        return await self._call("GET", "/v1/boundaries", s.BoundaryPage, query=query)

    async def boundary(self, boundary_id: str, *, min_revision: int | None = None) -> s.BoundaryOut:
        return await self._call(
            "GET", f"/v1/boundaries/{boundary_id}", s.BoundaryOut, query=_rev(min_revision)
        )

    async def lift(self, boundary_id: str, *, restore: bool = False) -> s.LiftOut:
        query = {"restore": "true"} if restore else None
        return await self._call("DELETE", f"/v1/boundaries/{boundary_id}", s.LiftOut, query=query)

    async def decide(
        self, actor: str, action: str, target: str, *, platform: str | None = None,
        at: datetime | None = None, viewer: str | None = None, min_revision: int | None = None,
    ) -> s.DecisionOut:  # fmt: skip
        body = _decide_body(actor, action, target, platform, at, viewer)
        return await self._call("POST", "/v1/decide", s.DecisionOut, body, _rev(min_revision))

    async def decide_batch(
        self, checks: Iterable[Mapping[str, Any]], *, min_revision: int | None = None
    ) -> s.BatchOut:
        body = {"checks": _checks(checks)}
        return await self._call("POST", "/v1/decide/batch", s.BatchOut, body, _rev(min_revision))

    async def visible(
        self, viewer: str, items: Iterable[Mapping[str, Any]], *, min_revision: int | None = None
    ) -> s.VisibleOut:
        body = {"viewer": viewer, "items": _checks(items)}
        return await self._call("POST", "/v1/visible", s.VisibleOut, body, _rev(min_revision))

    async def audience(
        self, author: str, candidates: Iterable[str], *, min_revision: int | None = None
    ) -> s.AudienceOut:
        body = {"author": author, "candidates": list(candidates)}
        return await self._call("POST", "/v1/audience", s.AudienceOut, body, _rev(min_revision))

    async def emergency(self, owner: str) -> s.RevisionOut:
        return await self._call("POST", "/v1/emergency", s.RevisionOut, {"owner": owner})

    async def events(self, after: int = 0, limit: int = 100) -> s.EventPage:
        return await self._call(
            "GET", "/v1/events", s.EventPage, query={"after": after, "limit": limit}
        )

    # -- shared lists, import and export ---------------------------------------------

    async def create_list(
        self, curator: str, name: str, *, list_id: str | None = None, members: Iterable[str] = ()
    ) -> ls.ListOut:
        body = _clean({"curator": curator, "name": name, "id": list_id, "members": list(members)})
        return await self._call("POST", "/v1/lists", ls.ListOut, body)

    async def get_list(self, list_id: str) -> ls.ListOut:
        return await self._call("GET", f"/v1/lists/{_seg(list_id)}", ls.ListOut)

    async def list_members(self, list_id: str) -> list[str]:
        found: list[str] = []
        after: str | None = None
        while True:
            query = _clean({"limit": 10_000, "after": after})
            path = f"/v1/lists/{_seg(list_id)}/members"
            page = await self._call("GET", path, ls.MemberPage, query=query)
            found += page.members
            if page.next is None:
                return found
            after = page.next

    async def add_list_members(self, list_id: str, members: Iterable[str]) -> s.RevisionOut:
        body = {"members": list(members)}
        return await self._call("POST", f"/v1/lists/{_seg(list_id)}/members", s.RevisionOut, body)

    async def remove_list_member(self, list_id: str, member: str) -> s.RevisionOut:
        path = f"/v1/lists/{_seg(list_id)}/members/{_seg(member)}"
        return await self._call("DELETE", path, s.RevisionOut)

    async def delete_list(self, list_id: str) -> s.RevisionOut:
        return await self._call("DELETE", f"/v1/lists/{_seg(list_id)}", s.RevisionOut)

    async def subscribe(self, owner: str, list_id: str, kind: str = "block") -> ls.SubscriptionOut:
        body = {"owner": owner, "kind": kind}
        path = f"/v1/lists/{_seg(list_id)}/subscriptions"
        return await self._call("POST", path, ls.SubscriptionOut, body)

    async def unsubscribe(self, owner: str, list_id: str) -> s.RevisionOut:
        path = f"/v1/lists/{_seg(list_id)}/subscriptions/{_seg(owner)}"
        return await self._call("DELETE", path, s.RevisionOut)

    async def subscriptions(self, owner: str) -> ls.SubscriptionsOut:
        path = f"/v1/persons/{_seg(owner)}/subscriptions"
        return await self._call("GET", path, ls.SubscriptionsOut)

    async def suspend_curator(self, curator: str, suspended: bool = True) -> s.RevisionOut:
        path = f"/v1/curators/{_seg(curator)}/suspension"
        return await self._call("PUT" if suspended else "DELETE", path, s.RevisionOut)

    async def import_content(self, content: str, **options: Any) -> ls.ImportOut:
        """``POST /v1/import``: options are ``format``, ``owner``, ``mode``, ``kind``..."""
        body = _clean({"content": content, **options})
        return await self._call("POST", "/v1/import", ls.ImportOut, body)

    async def export(self, fmt: str = "json", *, owner: str | None = None) -> ls.ExportOut:
        query = _clean({"format": fmt, "owner": owner})
        return await self._call("GET", "/v1/export", ls.ExportOut, query=query)

    async def phone_route(
        self, caller: str, callee: str, action: str, *, withheld: bool = False
    ) -> s.PhoneRouteOut:
        body = {"caller": caller, "callee": callee, "action": action, "withheld": withheld}
        return await self._call("POST", "/v1/phone/route", s.PhoneRouteOut, body)

    async def attempts(self, owner: str, *, after: int = 0, limit: int = 100) -> s.AttemptPage:
        query = {"owner": owner, "after": after, "limit": limit}
        return await self._call("GET", "/v1/attempts", s.AttemptPage, query=query)
