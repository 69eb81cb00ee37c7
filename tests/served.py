"""A real ``nocontact serve`` in its own process group, for tests that need workers."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
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
    def __init__(self, url: str, key: str, db: str, process: subprocess.Popen[str]) -> None:
        self.url, self.key, self.db, self.process = url, key, db, process

    def call(self, method: str, path: str, body: object = None, **query: object) -> httpx.Response:
        """One request on a connection of its own (so any worker may answer it)."""
        headers = {"authorization": f"Bearer {self.key}"}
        return httpx.request(
            method, self.url + path, json=body, params=query or None, headers=headers, timeout=10
        )


def start(db: str, workers: int = 2, cwd: Path | None = None) -> tuple[subprocess.Popen[str], str]:
    """``nocontact serve`` on ``db`` with ``workers`` workers (in ``cwd``), answering its
    health check."""
    port = _port()
    process = subprocess.Popen(
        [EXE, "serve", "--db", db, "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, "NOCONTACT_ACCESS_LOG": "false"}, cwd=cwd,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    pytest.fail("the server did not start: " + process.communicate()[1])


def stop(process: subprocess.Popen[str], sig: int = signal.SIGTERM) -> None:
    """Stop the server and all its workers (the whole process group)."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()


@contextmanager
def serving(
    backend: str, folder: Path, people: tuple[str, ...] = ("ana", "ben", "cy")
) -> Iterator[Served]:
    """Two workers on a SQLite file in ``folder`` or a fresh PostgreSQL schema, with
    ``people`` and an admin key; stopped afterwards."""
    with ExitStack() as stack:
        db = (
            stack.enter_context(fresh_schema())
            if backend == "postgresql"
            else str(folder / "served.db")
        )
        with Engine.open(db) as engine:
            for p in people:
                engine.add_person(p)
        keys = KeyStore(db)
        key = keys.create("t", "admin")[1]
        keys.close()
        process, url = start(db, cwd=folder)
        served = Served(url, key, db, process)
        try:
            yield served
        finally:
            stop(served.process)
        # Nothing but the database file: no file named after a URL taken for a path.
        assert not [p.name for p in folder.iterdir() if not p.name.startswith("served.db")]
