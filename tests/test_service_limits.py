"""Connection limits of a served process, before any request reaches the app or a key.

A real ``nocontact serve`` on a free port, driven by raw sockets as an attacker
would: oversized heads, slow heads, stalled bodies and idle connections.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

EXE = shutil.which("nocontact") or str(Path(sys.executable).parent / "nocontact")
LIMITS = {
    "NOCONTACT_HEADER_TIMEOUT": "1",
    "NOCONTACT_BODY_TIMEOUT": "1",
    "NOCONTACT_KEEP_ALIVE": "1",
    "NOCONTACT_MAX_HEADER": "16384",
    "NOCONTACT_ACCESS_LOG": "false",
}


class Served:
    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process, self.port = process, port

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    db = str(tmp_path_factory.mktemp("limits") / "served.db")
    port = _free_port()
    process = subprocess.Popen(
        [EXE, "serve", "--db", db, "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **LIMITS},
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("the server did not start: " + process.communicate()[1])
    yield Served(process, port)
    process.terminate()
    _, err = process.communicate(timeout=15)
    assert "Traceback" not in err


def _read_all(conn: socket.socket, within: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and how long that took."""
    started = time.monotonic()
    conn.settimeout(within)
    chunks = []
    try:
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    except (ConnectionResetError, TimeoutError):
        pass
    return b"".join(chunks), time.monotonic() - started


def test_item9_huge_headers_are_refused_and_cost_no_memory(served: Served) -> None:
    """A client sending 300 MB of headers gets 431 after max_header bytes and the
    server's memory hardly moves (it holds one read buffer, never the headers)."""
    before = served.rss_mb()
    conn = served.connect()
    conn.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
    sent, line = 0, b"x-pad: " + b"a" * 8000 + b"\r\n"
    try:
        while sent < 300 * 1024 * 1024:
            conn.sendall(line * 128)
            sent += len(line) * 128
    except (BrokenPipeError, ConnectionResetError):
        pass
    answer, _ = _read_all(conn, 5)
    conn.close()
    grew = served.rss_mb() - before
    print(f"RSS {before:.1f} MB -> +{grew:.1f} MB after sending {sent / 2**20:.1f} MB of headers")
    assert sent < 300 * 1024 * 1024  # the server hung up long before
    if answer:  # the answer can be lost to the reset of a client still sending
        assert answer.startswith(b"HTTP/1.1 431 ") and b"headers_too_large" in answer
    assert grew < 10


def test_item9_headers_over_the_limit_get_a_problem(served: Served) -> None:
    """A head just over max_header is answered 431 with an RFC 9457 problem."""
    conn = served.connect()
    conn.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-pad: " + b"a" * 20000 + b"\r\n")
    answer, _ = _read_all(conn, 5)
    conn.close()
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert b"application/problem+json" in answer and b'"code":"headers_too_large"' in answer


def test_item9_slow_headers_time_out(served: Served) -> None:
    """A client that starts a request and never finishes its headers is answered 408
    and closed after header_timeout."""
    conn = served.connect()
    conn.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
    answer, took = _read_all(conn, 5)
    conn.close()
    assert answer.startswith(b"HTTP/1.1 408 ") and b"request_timeout" in answer
    assert 0.8 < took < 3


def test_item9_silent_connections_time_out(served: Served) -> None:
    """A connection that never sends a byte is closed after header_timeout."""
    conn = served.connect()
    _, took = _read_all(conn, 5)
    conn.close()
    assert took < 3


def test_item9_idle_kept_alive_connections_time_out(served: Served) -> None:
    """After an answer, a kept-alive connection idle for keep_alive seconds is closed."""
    conn = served.connect()
    conn.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
    answer, took = _read_all(conn, 5)
    conn.close()
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert took < 3


def test_item9_stalled_bodies_time_out(served: Served) -> None:
    """A body that stops arriving closes the connection after body_timeout."""
    conn = served.connect()
    conn.sendall(
        b"POST /v1/persons HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b'content-length: 100\r\n\r\n{"id": '
    )
    _, took = _read_all(conn, 5)
    conn.close()
    assert took < 3
    assert httpx.get(f"http://127.0.0.1:{served.port}/healthz", timeout=2).status_code == 200


def test_item5_shutdown_with_live_streams_is_quick_and_quiet(tmp_path: Path) -> None:
    """SIGTERM with live event streams open (and some abandoned) ends them: the server
    exits within its grace period and logs no traceback."""
    import json

    from click.testing import CliRunner

    from nocontact.cli import main

    db = str(tmp_path / "streams.db")
    made = CliRunner().invoke(
        main, ["--db", db, "--json", "keys", "create", "--name", "t", "--scope", "admin"]
    )
    key = json.loads(made.output)["key"]
    port = _free_port()
    process = subprocess.Popen(
        [EXE, "serve", "--db", db, "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "NOCONTACT_ACCESS_LOG": "false"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        request = (
            f"GET /v1/events HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\n"
            f"authorization: Bearer {key}\r\n\r\n"
        ).encode()
        streams = []
        for n in range(10):
            conn = socket.create_connection(("127.0.0.1", port), timeout=5)
            conn.sendall(request)
            assert conn.recv(100).startswith(b"HTTP/1.1 200 ")
            if n % 2:
                conn.close()  # abandoned
            else:
                streams.append(conn)
        time.sleep(0.5)
        started = time.monotonic()
        process.terminate()
        _, err = process.communicate(timeout=15)
        assert time.monotonic() - started < 4
        assert "Traceback" not in err and "Cancel" not in err
        for conn in streams:
            conn.close()
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
