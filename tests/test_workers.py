"""``nocontact serve --workers 2``: every worker enforces what any worker acknowledged.

A real server with two worker processes, on a SQLite file and on PostgreSQL.
Each request goes on a new connection, so writes and reads land on either
worker; a read that carries the revision a write returned must see that write,
every time, whichever worker answers it.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from nocontact.engine import Engine
from nocontact.service.auth import KeyStore

from .pg import fresh_schema

EXE = shutil.which("nocontact") or str(Path(sys.executable).parent / "nocontact")
#: Ports this suite may use.
PORTS = range(8700, 8800)


def _port() -> int:
    import socket

    for port in random.sample(list(PORTS), len(PORTS)):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port")


class Served:
    def __init__(self, url: str, key: str, db: str) -> None:
        self.url, self.key, self.db = url, key, db

    def call(self, method: str, path: str, body: object = None, **query: object) -> httpx.Response:
        """One request on a connection of its own (so any worker may answer it)."""
        headers = {"authorization": f"Bearer {self.key}"}
        return httpx.request(
            method, self.url + path, json=body, params=query or None, headers=headers, timeout=10
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    with ExitStack() as stack:
        if request.param == "postgresql":
            db = stack.enter_context(fresh_schema())
        else:
            db = str(tmp_path / "served.db")
        with Engine.open(db) as engine:
            for p in ("ana", "ben", "cy"):
                engine.add_person(p)
        keys = KeyStore(db)
        key = keys.create("t", "admin")[1]
        keys.close()
        port = _port()
        process = subprocess.Popen(
            [EXE, "serve", "--db", db, "--port", str(port), "--workers", "2"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "NOCONTACT_ACCESS_LOG": "false"},
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            process.kill()
            pytest.fail("the server did not start: " + process.communicate()[1])
        try:
            yield Served(url, key, db)
        finally:
            process.terminate()
            try:
                process.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


def test_a_block_acknowledged_by_one_worker_is_enforced_by_every_worker(served: Served) -> None:
    """Set a block, then decide with the revision it returned, on new connections: blocked
    every time; lift it: delivered every time. Twenty rounds over two workers."""
    for _ in range(20):
        made = served.call(
            "POST", "/v1/boundaries", {"owner": "ana", "target": "ben", "kind": "block"}
        )
        assert made.status_code == 201, made.text
        seen = made.json()["revision"]
        asked = {"actor": "ben", "action": "message", "target": "ana"}
        decided = served.call("POST", "/v1/decide", asked, min_revision=seen)
        assert decided.status_code == 200, decided.text
        assert decided.json()["outcome"] != "deliver"
        assert decided.json()["revision"] >= seen
        lifted = served.call("DELETE", f"/v1/boundaries/{made.json()['id']}")
        assert lifted.status_code == 200, lifted.text
        seen = lifted.json()["revision"]
        decided = served.call("POST", "/v1/decide", asked, min_revision=seen)
        assert decided.json()["outcome"] == "deliver", decided.text
    ahead = served.call(
        "POST",
        "/v1/decide",
        {"actor": "ben", "action": "message", "target": "ana"},
        min_revision=10**9,
    )
    assert ahead.status_code == 503 and ahead.json()["code"] == "revision_not_reached"
