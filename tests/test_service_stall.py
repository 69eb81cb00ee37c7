"""One request cannot stall a worker: health checks stay quick beside the heaviest
request the settings allow (a batch of 10,000 checks on phone numbers never seen
before, an audience of 100,000 phone numbers).

A real ``nocontact serve`` on a free port; the figure is printed (run with -s).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from nocontact.cli import main
from nocontact.engine import Engine

EXE = shutil.which("nocontact") or str(Path(sys.executable).parent / "nocontact")
PEOPLE = 2_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    db = str(tmp_path_factory.mktemp("stall") / "served.db")
    with Engine.open(db) as engine:
        for i in range(PEOPLE):
            engine.add_person(f"p{i}", addresses=[f"+1 415 555 {i:04d}"])
        rng = random.Random(3)
        for _ in range(PEOPLE):
            a, b = rng.sample(range(PEOPLE), 2)
            engine.set_boundary(f"p{a}", f"p{b}", rng.choice(["block", "mute", "restrict"]))
    made = CliRunner().invoke(
        main, ["--db", db, "--json", "keys", "create", "--name", "t", "--scope", "decide"]
    )
    key = json.loads(made.output)["key"]
    port = _free_port()
    process = subprocess.Popen(
        [EXE, "serve", "--db", db, "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "NOCONTACT_ACCESS_LOG": "false"},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("the server did not start: " + process.communicate()[1])
    yield url, key
    process.terminate()
    process.communicate(timeout=15)


def _fresh_numbers(count: int, start: int) -> list[str]:
    """Phone numbers in spellings the server has not parsed yet."""
    return [
        f"+1 (628) {(start + i) // 10000 % 1000:03d}-{(start + i) % 10000:04d}"
        for i in range(count)
    ]


def health_beside_heavy_requests(
    url: str, key: str, seconds: float
) -> tuple[list[float], list[float]]:
    """/healthz waits in ms, polled every 10 ms while the heaviest requests run back to
    back, and how long each heavy request answered meanwhile took, in ms."""
    bodies = []
    for n in range(4):
        numbers = _fresh_numbers(10_000, n * 200_000)
        checks = [{"actor": a, "action": "call", "target": f"p{i % PEOPLE}"}
                  for i, a in enumerate(numbers)]  # fmt: skip
        bodies.append(("/v1/decide/batch", json.dumps({"checks": checks}).encode()))
        audience = _fresh_numbers(100_000, n * 200_000 + 50_000)
        bodies.append(
            ("/v1/audience", json.dumps({"author": "p1", "candidates": audience}).encode())
        )
    stop = threading.Event()
    took: list[float] = []

    def heavy() -> None:
        headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            for path, body in bodies:
                if stop.is_set():
                    return
                started = time.perf_counter()
                assert client.post(path, content=body).status_code == 200
                took.append((time.perf_counter() - started) * 1000)

    worker = threading.Thread(target=heavy)
    waits: list[float] = []
    with httpx.Client(base_url=url, timeout=10) as client:
        client.get("/healthz")
        worker.start()
        ends = time.monotonic() + seconds
        while time.monotonic() < ends and worker.is_alive():
            started = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            waits.append((time.perf_counter() - started) * 1000)
            time.sleep(0.01)
    stop.set()
    worker.join()
    return sorted(waits), took


@pytest.mark.slow
def test_item8_health_stays_quick_beside_the_heaviest_request(served: tuple[str, str]) -> None:
    """While batches of 10,000 checks on new phone numbers and audiences of 100,000 run
    back to back, /healthz never waits for one of them: its longest wait is a fraction
    of the shortest heavy request (a heavy read on the event loop would hold a health
    check for all of it). Relative, so a loaded machine slows both sides alike; the
    figure against the 50 ms target is printed (run with -s) and kept in the notes."""
    waits, took = health_beside_heavy_requests(*served, seconds=6)
    p99 = waits[int(len(waits) * 0.99)]
    print(f"/healthz p99 {p99:.1f} ms, max {waits[-1]:.1f} ms, beside {len(took)} heavy"
          f" requests of {min(took):.0f}-{max(took):.0f} ms")  # fmt: skip
    assert len(took) >= 2
    assert waits[-1] < min(took) / 2, (waits[-5:], took)
