"""Drive the real ASGI app in-process: one event loop per test, keys made up front."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from nocontact.service.app import App
from nocontact.service.settings import Settings


@dataclass
class Api:
    """Calls to the app as a product makes them, with an admin or a decide key."""

    app: App
    loop: asyncio.AbstractEventLoop
    client: httpx.AsyncClient
    admin: str
    decider: str

    def call(
        self, method: str, path: str, *, key: str | None = "admin", **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        token = {"admin": self.admin, "decide": self.decider}.get(key or "", key)
        if token:
            headers["authorization"] = f"Bearer {token}"
        coro = self.client.request(method, path, headers=headers, **kwargs)
        return self.loop.run_until_complete(coro)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.call("POST", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("DELETE", path, **kwargs)

    @property
    def engine(self) -> Any:
        assert self.app.service is not None
        return self.app.service.engine


def make_api(tmp_path: Path, **settings: Any) -> Iterator[Api]:
    config = replace(Settings(db=str(tmp_path / "service.db")), access_log=False, **settings)
    app = App(config)
    service = app.open()
    _, admin = service.keys.create("tests-admin", "admin")
    _, decider = service.keys.create("tests-decide", "decide")
    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    try:
        yield Api(app, loop, client, admin, decider)
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
        app.close()
