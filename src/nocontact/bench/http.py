"""``nocontact bench --http``: the service measured through real HTTP on 127.0.0.1.

A server (``nocontact serve``, one worker, access log off) runs as a subprocess
on a seeded throwaway database; the load generator is this process, one event
loop (uvloop when installed) on raw keep-alive connections, so on a 2-core
machine each gets a core. It measures single ``decide`` requests per second
(closed loop), the p50 and p99 latency of a single decide at half that rate
(open loop), and decisions per second through ``decide/batch`` with 10,000
checks a call. Each figure is the median of :data:`ROUNDS` rounds, and the
server's CPU time per request is read beside it (on Linux), which a busy
machine disturbs far less than the rates.

The open loop issues requests on a fixed schedule to whichever of its
connections is idle; a request that finds none waits in a queue, and that wait
counts. Latency runs from when the generator issued the request. How late the
generator itself issued requests against the schedule (its millisecond timer
and its own turns on the CPU: nothing the server can cause, since it never
waits for an answer to send the next) is measured and shown beside, not
counted. The
results are a section of ``BENCHMARKS.md`` (:func:`markdown`), which the CLI
puts in place of the old one, keeping the others.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from . import sections

T = TypeVar("T")

#: The section of ``BENCHMARKS.md`` that :func:`markdown` fills (``nocontact.bench.sections``).
SECTION = "bench-http"
PEOPLE = 10_000
BOUNDARIES = 2_000


ROUNDS = 5
#: Connections of the open loop: enough that a request almost never waits for one.
OPEN_CONNECTIONS = 64


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
    #: How late the open loop's generator issued requests against its schedule, p99.
    half_lag_p99_ms: float = 0.0
    #: Server CPU time per request (user + system), when it can be read.
    single_cpu_ms: float | None = None
    batch_cpu_ms: float | None = None


@dataclass(frozen=True, slots=True)
class _Round:
    count: int
    elapsed: float
    latencies: list[float]
    cpu: float | None
    lags: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.count / self.elapsed


class _Conn(asyncio.Protocol):
    """One keep-alive connection. An answer's body is counted, not kept: its status
    line and headers are what a request returns."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.left = -1  # body bytes still to come; -1 while reading the head
        self.answer = b""
        self.waiter: asyncio.Future[bytes] | None = None
        #: Called with each answer no ``request`` awaits (the open loop's sends).
        self.listener: Callable[[_Conn, bytes], None] | None = None
        self.issued = 0.0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        at, size = 0, len(data)
        while at < size:
            if self.left < 0:
                had = len(self.head)
                self.head += data[at : at + 8192]
                end = self.head.find(b"\r\n\r\n")
                if end < 0:
                    at += len(self.head) - had
                    continue
                at += end + 4 - had
                self.answer = bytes(self.head[:end])
                self.head.clear()
                lower = self.answer.lower()
                start = lower.find(b"content-length:") + 15
                stop = lower.find(b"\r\n", start)
                self.left = int(lower[start : stop if stop > 0 else len(lower)])
            take = min(self.left, size - at)
            self.left -= take
            at += take
            if self.left == 0:
                self.left = -1
                waiter, self.waiter = self.waiter, None
                if waiter is not None and not waiter.done():
                    waiter.set_result(self.answer)
                elif self.listener is not None:
                    self.listener(self, self.answer)

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


def _close(pool: list[_Conn]) -> None:
    for c in pool:
        assert c.transport is not None
        c.transport.close()


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process, from /proc (None elsewhere)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _spent(pid: int | None, before: float | None) -> float | None:
    after = None if pid is None else _cpu_seconds(pid)
    return None if before is None or after is None else after - before


async def _closed_loop(
    port: int, reqs: list[bytes], conns: int, seconds: float, pid: int | None = None
) -> _Round:
    pool = await _connect(port, conns)
    latencies: list[float] = []
    end = time.perf_counter() + seconds

    async def worker(conn: _Conn, offset: int) -> None:
        i = offset
        while time.perf_counter() < end:
            t = time.perf_counter()
            await conn.request(reqs[i % len(reqs)])
            latencies.append(time.perf_counter() - t)
            i += conns

    cpu = None if pid is None else _cpu_seconds(pid)
    started = time.perf_counter()
    await asyncio.gather(*(worker(c, n) for n, c in enumerate(pool)))
    elapsed = time.perf_counter() - started
    spent = _spent(pid, cpu)
    _close(pool)
    return _Round(len(latencies), elapsed, latencies, spent)


async def _open_loop(
    port: int, reqs: list[bytes], rate: float, seconds: float, pid: int | None = None
) -> _Round:
    """``rate`` requests a second on a schedule, each to an idle connection.

    A request is written the moment it is issued and its answer handled in the
    connection's callback: no task or future per request, so the generator adds
    as little of its own time to what it measures as it can.
    """
    pool = await _connect(port, OPEN_CONNECTIONS)
    idle = deque(pool)
    queued: deque[tuple[bytes, float]] = deque()
    latencies: list[float] = []
    lags: list[float] = []
    total = max(1, int(rate * seconds))
    finished = asyncio.get_running_loop().create_future()

    def send(conn: _Conn, data: bytes, issued: float) -> None:
        assert conn.transport is not None
        conn.issued = issued
        conn.transport.write(data)

    def answered(conn: _Conn, answer: bytes) -> None:
        latencies.append(time.perf_counter() - conn.issued)
        if not answer.startswith(b"HTTP/1.1 200") and not finished.done():
            finished.set_exception(RuntimeError(answer[:300].decode(errors="replace")))
        if queued:
            send(conn, *queued.popleft())  # it waited for a connection: that counts
        else:
            idle.append(conn)
        if len(latencies) == total and not finished.done():
            finished.set_result(None)

    for conn in pool:
        conn.listener = answered
    cpu = None if pid is None else _cpu_seconds(pid)
    started = time.perf_counter()
    for n in range(total):
        due = started + n / rate
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        issued = time.perf_counter()
        lags.append(max(0.0, issued - due))
        data = reqs[n % len(reqs)]
        if idle:
            send(idle.popleft(), data, issued)
        else:
            queued.append((data, issued))
    await asyncio.wait_for(finished, seconds + 30)  # a server that went away fails the run
    elapsed = time.perf_counter() - started
    spent = _spent(pid, cpu)
    _close(pool)
    return _Round(len(latencies), elapsed, latencies, spent, lags)


def _loop_run(coro: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop when it is installed (less of the load generator's own time)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def _cpu_ms(rounds: list[_Round]) -> float | None:
    spent = [r.cpu / r.count * 1000 for r in rounds if r.cpu is not None and r.count]
    return median(spent) if spent else None


def seed(db: str, scope: str = "decide", extra: Sequence[str] = ()) -> str:
    """:data:`PEOPLE` people (``p0``...) and :data:`BOUNDARIES` plain boundaries among them,
    then the ``extra`` people, all through the bulk path; returns a key of ``scope``."""
    from nocontact.engine import Engine
    from nocontact.service.auth import KeyStore

    rng = random.Random(42)
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < BOUNDARIES:
        a, b = rng.sample(range(PEOPLE), 2)
        pairs.add((a, b))
    owners, targets = zip(*sorted(pairs), strict=True)
    kinds = [rng.randrange(4) for _ in pairs]  # block, mute, restrict, break
    with Engine.open(db) as engine:
        engine.bulk_import([*(f"p{i}" for i in range(PEOPLE)), *extra], owners, targets, kinds)
    keys = KeyStore(db)
    try:
        return keys.create("bench", scope)[1]
    finally:
        keys.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(
    db: str, workers: int = 1, env: Mapping[str, str] | None = None
) -> Iterator[tuple[int, int]]:
    """``nocontact serve`` on ``db`` (access log off), answering its health check:
    yields its process id and port, and stops it and its workers after."""
    port = free_port()
    exe = shutil.which("nocontact") or str(Path(sys.executable).parent / "nocontact")
    quiet = {"NOCONTACT_ACCESS_LOG": "false", "NOCONTACT_LOG_LEVEL": "warning"}
    server = subprocess.Popen(
        [exe, "serve", "--db", db, "--port", str(port), "--workers", str(workers)],
        env={**os.environ, **quiet, **(env or {})}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        _wait(port, server)
        yield server.pid, port
    finally:
        with suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _wait(port: int, server: subprocess.Popen[bytes]) -> None:
    """Until the server answers ``/healthz`` (every worker has started its app)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
        finally:
            conn.close()
    raise RuntimeError("the server did not start")


def workload(key: str) -> tuple[list[bytes], list[bytes]]:
    """Single ``decide`` requests (2,000 pairs) and one ``decide/batch`` of 10,000."""
    rng = random.Random(7)
    pairs = [(f"p{rng.randrange(PEOPLE)}", f"p{rng.randrange(PEOPLE)}") for _ in range(20_000)]
    singles = [
        _request(
            "/v1/decide", json.dumps({"actor": a, "action": "message", "target": b}).encode(), key
        )
        for a, b in pairs[:2000]
    ]
    checks = [{"actor": a, "action": "message", "target": b} for a, b in pairs[:10_000]]
    return singles, [_request("/v1/decide/batch", json.dumps({"checks": checks}).encode(), key)]


#: Connections of the closed loops: single decides, batches.
SINGLE_CONNECTIONS, BATCH_CONNECTIONS = 32, 2
BATCH_SIZE = 10_000


def closed_rounds(
    port: int, reqs: list[bytes], conns: int, seconds: float, pid: int | None = None
) -> list[_Round]:
    """:data:`ROUNDS` closed-loop rounds sharing ``seconds``."""
    each = seconds / ROUNDS
    return [_loop_run(_closed_loop(port, reqs, conns, each, pid)) for _ in range(ROUNDS)]


def warm_up(port: int, singles: list[bytes], batch: list[bytes], seconds: float = 1.0) -> None:
    _loop_run(_closed_loop(port, singles, SINGLE_CONNECTIONS, seconds))
    _loop_run(_closed_loop(port, batch, BATCH_CONNECTIONS, seconds))


def run(seconds: float = 5.0, command: str = "nocontact bench --http") -> HttpResults:
    with tempfile.TemporaryDirectory(prefix="nocontact-bench-http-") as folder:
        db = str(Path(folder) / "bench.db")
        key = seed(db)
        with serving(db) as (pid, port):
            return _measure(port, pid, key, seconds, command)


def _measure(port: int, pid: int, key: str, seconds: float, command: str) -> HttpResults:
    singles, batch = workload(key)
    warm_up(port, singles, batch)
    single = closed_rounds(port, singles, SINGLE_CONNECTIONS, seconds, pid)
    peak = median([r.rate for r in single])
    each = seconds / ROUNDS
    half = [_loop_run(_open_loop(port, singles, peak / 2, each, pid)) for _ in range(ROUNDS)]
    batches = closed_rounds(port, batch, BATCH_CONNECTIONS, seconds, pid)

    def pct(rounds: list[_Round], q: float) -> float:
        return median([_pct(r.latencies, q) for r in rounds])

    return HttpResults(
        peak, pct(single, 0.5), pct(single, 0.99),
        median([r.rate for r in half]), pct(half, 0.5), pct(half, 0.99),
        median([r.rate * BATCH_SIZE for r in batches]), pct(batches, 0.5), pct(batches, 0.99),
        command,
        half_lag_p99_ms=median([_pct(r.lags, 0.99) for r in half]),
        single_cpu_ms=_cpu_ms(single),
        batch_cpu_ms=_cpu_ms(batches),
    )  # fmt: skip


def markdown(r: HttpResults) -> str:
    """The HTTP section of ``BENCHMARKS.md`` (without its markers)."""
    mark = sections.verdict

    def cpu(ms: float | None, unit: str, scale: float) -> str:
        return "not measured" if ms is None else f"{ms * scale:,.{0 if scale > 1 else 2}f} {unit}"

    rows = [
        ("single `decide`, requests/s (32 connections, closed loop)",
         f"{r.single_rps:,.0f}", "≥ 8,000", mark(r.single_rps >= 8000)),
        ("single `decide` at peak, p50 / p99",
         f"{r.single_p50_ms:.2f} ms / {r.single_p99_ms:.2f} ms", "", ""),
        ("single `decide`, server CPU time per request", cpu(r.single_cpu_ms, "µs", 1000), "", ""),
        (f"single `decide` at half of peak ({r.half_rps:,.0f}/s, open loop), p50 / p99",
         f"{r.half_p50_ms:.2f} ms / {r.half_p99_ms:.2f} ms", "p99 < 2 ms", mark(r.half_p99_ms < 2)),
        ("the load generator's own lateness against that schedule, p99 (not counted above)",
         f"{r.half_lag_p99_ms:.2f} ms", "", ""),
        ("`decide/batch` of 10,000, decisions/s (2 connections)",
         f"{r.batch_decisions_per_s:,.0f}", "≥ 1,000,000",
         mark(r.batch_decisions_per_s >= 1_000_000)),
        ("`decide/batch` of 10,000, p50 / p99 per call",
         f"{r.batch_p50_ms:.1f} ms / {r.batch_p99_ms:.1f} ms", "", ""),
        ("`decide/batch` of 10,000, server CPU time per call", cpu(r.batch_cpu_ms, "ms", 1), "",
         ""),
    ]  # fmt: skip
    table = "\n".join(sections.table(["figure", "measured", "target", ""], [list(r) for r in rows]))
    return f"""## HTTP service

`{r.command}`: one server worker (uvicorn, httptools, uvloop; access log off) and
the load generator on the same 2-core machine, over 127.0.0.1, keep-alive
connections, {PEOPLE:,} people and {BOUNDARIES:,} boundaries. Each figure is the
median of {ROUNDS} rounds. The open loop sends on a fixed schedule to whichever of
its {OPEN_CONNECTIONS} connections is idle, and times each request from when it was
issued (a wait for a free connection counts); the event loop's timer ticks in
milliseconds, so requests leave in bursts of about a thousandth of the rate. The
generator's own lateness against the schedule is shown on its own row. The
server's CPU time per request is the figure other load on the machine disturbs
least.

{table}
"""
