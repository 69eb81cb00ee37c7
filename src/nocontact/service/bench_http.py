"""``nocontact bench --http``: the service measured through real HTTP on 127.0.0.1.

A server (``nocontact serve``, one worker, access log off) runs as a subprocess
on a seeded throwaway database; the load generator is this process, one
asyncio loop on raw keep-alive connections, so on a 2-core machine each gets a
core. It measures single ``decide`` requests per second (closed loop), the p50
and p99 latency of a single decide at half that rate (open loop, timed from
the scheduled send so queueing counts), and decisions per second through
``decide/batch`` with 10,000 checks a call. The results go to a section of
``BENCHMARKS.md`` between markers; other sections are kept.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

START = "<!-- bench-http:start -->"
END = "<!-- bench-http:end -->"
PEOPLE = 10_000
BOUNDARIES = 2_000


@dataclass(frozen=True, slots=True)
class HttpResults:
    single_rps: float
    single_p50_ms: float
    single_p99_ms: float
    half_rps: float
    half_p50_ms: float
    half_p99_ms: float
    batch_decisions_per_s: float
    batch_p50_ms: float
    batch_p99_ms: float
    command: str


class _Conn(asyncio.Protocol):
    """One keep-alive connection; answers are read into one growing buffer, not copied."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.need = -1
        self.waiter: asyncio.Future[bytes] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        while True:
            if self.need < 0:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = bytes(buf[:end]).lower()
                at = head.find(b"content-length:") + 15
                stop = head.find(b"\r\n", at)
                self.need = end + 4 + int(head[at : stop if stop > 0 else len(head)])
            if len(buf) < self.need:
                return
            answer = bytes(buf[: self.need])
            del buf[: self.need]
            self.need = -1
            waiter, self.waiter = self.waiter, None
            if waiter is not None and not waiter.done():
                waiter.set_result(answer)

    async def request(self, data: bytes) -> bytes:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        answer = await self.waiter
        if not answer.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(answer[:300].decode(errors="replace"))
        return answer


def _request(path: str, body: bytes, key: str) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


async def _connect(port: int, n: int) -> list[_Conn]:
    loop = asyncio.get_running_loop()
    return [(await loop.create_connection(_Conn, "127.0.0.1", port))[1] for _ in range(n)]


async def _closed_loop(
    port: int, reqs: list[bytes], conns: int, seconds: float
) -> tuple[int, float, list[float]]:
    pool = await _connect(port, conns)
    latencies: list[float] = []
    done = 0
    end = time.perf_counter() + seconds

    async def worker(conn: _Conn, offset: int) -> None:
        nonlocal done
        i = offset
        while time.perf_counter() < end:
            t = time.perf_counter()
            await conn.request(reqs[i % len(reqs)])
            latencies.append(time.perf_counter() - t)
            done += 1
            i += conns

    started = time.perf_counter()
    await asyncio.gather(*(worker(c, n) for n, c in enumerate(pool)))
    elapsed = time.perf_counter() - started
    for c in pool:
        assert c.transport is not None
        c.transport.close()
    return done, elapsed, latencies


async def _open_loop(
    port: int, reqs: list[bytes], rate: float, seconds: float
) -> tuple[int, float, list[float]]:
    conns = 8
    pool = await _connect(port, conns)
    latencies: list[float] = []
    interval = conns / rate
    started = time.perf_counter()

    async def worker(conn: _Conn, n: int) -> None:
        due = started + n * interval / conns
        i = n
        while due < started + seconds:
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            await conn.request(reqs[i % len(reqs)])
            latencies.append(time.perf_counter() - due)  # from the scheduled time
            due += interval
            i += conns

    await asyncio.gather(*(worker(c, n) for n, c in enumerate(pool)))
    elapsed = time.perf_counter() - started
    for c in pool:
        assert c.transport is not None
        c.transport.close()
    return len(latencies), elapsed, latencies


def _seed(path: str) -> str:
    from nocontact.engine import Engine

    from .auth import KeyStore

    rng = random.Random(42)
    with Engine.open(path) as engine:
        for i in range(PEOPLE):
            engine.add_person(f"p{i}")
        kinds = ["block", "mute", "restrict", "break"]
        for _ in range(BOUNDARIES):
            a, b = rng.sample(range(PEOPLE), 2)
            engine.set_boundary(f"p{a}", f"p{b}", rng.choice(kinds))
    keys = KeyStore(path)
    try:
        return keys.create("bench", "decide")[1]
    finally:
        keys.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(seconds: float = 5.0, command: str = "nocontact bench --http") -> HttpResults:
    folder = tempfile.mkdtemp(prefix="nocontact-bench-http-")
    try:
        return _run(str(Path(folder) / "bench.db"), seconds, command)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(path: str, seconds: float, command: str) -> HttpResults:
    key = _seed(path)
    port = _free_port()
    exe = shutil.which("nocontact") or str(Path(sys.executable).parent / "nocontact")
    env = {**os.environ, "NOCONTACT_ACCESS_LOG": "false", "NOCONTACT_LOG_LEVEL": "warning"}
    server = subprocess.Popen(
        [exe, "serve", "--db", path, "--port", str(port), "--workers", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait(port)
        rng = random.Random(7)
        pairs = [(f"p{rng.randrange(PEOPLE)}", f"p{rng.randrange(PEOPLE)}") for _ in range(20_000)]
        singles = [
            _request(
                "/v1/decide",
                json.dumps({"actor": a, "action": "message", "target": b}).encode(),
                key,
            )
            for a, b in pairs[:2000]
        ]
        checks = [{"actor": a, "action": "message", "target": b} for a, b in pairs[:10_000]]
        batch = [_request("/v1/decide/batch", json.dumps({"checks": checks}).encode(), key)]
        asyncio.run(_closed_loop(port, singles, 32, 1.0))  # warm up
        n, elapsed, lat = asyncio.run(_closed_loop(port, singles, 32, seconds))
        peak = n / elapsed
        hn, helapsed, hlat = asyncio.run(_open_loop(port, singles, peak / 2, seconds))
        bn, belapsed, blat = asyncio.run(_closed_loop(port, batch, 2, seconds))
        return HttpResults(
            peak, _pct(lat, 0.5), _pct(lat, 0.99),
            hn / helapsed, _pct(hlat, 0.5), _pct(hlat, 0.99),
            bn * 10_000 / belapsed, _pct(blat, 0.5), _pct(blat, 0.99), command,
        )  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=20)


def _wait(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def markdown(r: HttpResults) -> str:
    def mark(ok: bool) -> str:
        return "met" if ok else "**missed**"

    rows = [
        ("single `decide`, requests/s (32 connections, closed loop)",
         f"{r.single_rps:,.0f}", "≥ 8,000", mark(r.single_rps >= 8000)),
        ("single `decide` at peak, p50 / p99",
         f"{r.single_p50_ms:.2f} ms / {r.single_p99_ms:.2f} ms", "", ""),
        (f"single `decide` at half of peak ({r.half_rps:,.0f}/s, open loop), p50 / p99",
         f"{r.half_p50_ms:.2f} ms / {r.half_p99_ms:.2f} ms", "p99 < 2 ms", mark(r.half_p99_ms < 2)),
        ("`decide/batch` of 10,000, decisions/s (2 connections)",
         f"{r.batch_decisions_per_s:,.0f}", "≥ 1,000,000",
         mark(r.batch_decisions_per_s >= 1_000_000)),
        ("`decide/batch` of 10,000, p50 / p99 per call",
         f"{r.batch_p50_ms:.1f} ms / {r.batch_p99_ms:.1f} ms", "", ""),
    ]  # fmt: skip
    table = "\n".join(
        ["| figure | measured | target | |", "|---|---|---|---|"]
        + [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    )
    return f"""{START}
## HTTP service

`{r.command}`: one server worker (uvicorn, httptools, uvloop; access log off) and
the load generator on the same 2-core machine, over 127.0.0.1, keep-alive
connections, {PEOPLE:,} people and {BOUNDARIES:,} boundaries.

{table}
{END}
"""


def write(r: HttpResults, out: Path) -> None:
    """Replace the HTTP section of the report, or add it; keep every other section."""
    section = markdown(r)
    text = out.read_text(encoding="utf-8") if out.exists() else "# Benchmarks\n\n"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    out.write_text(text, encoding="utf-8")
