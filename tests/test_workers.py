"""``nocontact serve --workers 2``: every worker enforces what any worker acknowledged.

A real server with two worker processes, on a SQLite file and on PostgreSQL.
Each request goes on a new connection, so writes and reads land on either
worker; a read that carries the revision a write returned must see that write,
every time, whichever worker answers it; and a scrape of ``/metrics``, whichever
worker answers it, counts the requests of both.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import httpx
import pytest

from nocontact.engine import Engine
from nocontact.service.server import METRICS_PREFIX, shared_metrics

from .served import Served, serving, start, stop


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    with serving(request.param, tmp_path) as served:
        yield served


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


@pytest.mark.slow
def test_acknowledged_writes_survive_sigkill_of_every_worker(served: Served) -> None:
    """Bursts of blocks from four clients; the server and its workers are killed with
    SIGKILL at a random moment, three times: after each restart every acknowledged
    block is stored, and the served index (and a fresh one) enforces each of them."""
    people = [f"q{i}" for i in range(30)]
    with Engine.open(served.db) as engine:
        for p in people:
            engine.add_person(p)
    rng = random.Random(8)
    acknowledged: dict[str, tuple[str, str]] = {}
    lock = threading.Lock()
    for round_ in range(3):
        if round_:
            served.process, served.url = start(served.db)
        stopping = threading.Event()

        def burst(seed: int, stopping: threading.Event = stopping) -> None:
            pick = random.Random(seed)
            while not stopping.is_set():
                owner, target = pick.sample(people, 2)
                body = {"owner": owner, "target": target, "kind": "block"}
                try:
                    made = served.call("POST", "/v1/boundaries", body)
                except httpx.TransportError:
                    return  # killed: this write was never acknowledged
                if made.status_code in (200, 201):
                    with lock:
                        acknowledged[made.json()["id"]] = (owner, target)

        clients = [threading.Thread(target=burst, args=(rng.random(),)) for _ in range(4)]
        for c in clients:
            c.start()
        time.sleep(rng.uniform(0.3, 1.2))
        os.killpg(served.process.pid, signal.SIGKILL)
        stopping.set()
        for c in clients:
            c.join()
        served.process.communicate()
    assert acknowledged
    with Engine.open(served.db) as fresh:
        for boundary_id, (owner, target) in acknowledged.items():
            assert fresh.boundary(boundary_id).owner == owner
            assert fresh.check(target, "message", owner).outcome.value != "deliver"
    served.process, served.url = start(served.db)  # the fixture stops it
    asked = [{"actor": t, "action": "message", "target": o} for o, t in acknowledged.values()]
    for at in range(0, len(asked), 500):
        page = served.call("POST", "/v1/decide/batch", {"checks": asked[at : at + 500]})
        assert page.status_code == 200, page.text
        assert all(d["outcome"] != "deliver" for d in page.json()["decisions"])


def test_metrics_count_the_requests_of_every_worker(served: Served) -> None:
    """Decisions on new connections, until both workers have answered some: a scrape of
    any worker counts every one of them; the shared folder goes when the server stops."""
    folder = _metrics_folder(served.process.pid)
    asked = {"actor": "ben", "action": "message", "target": "ana"}
    sent = 0
    while sent < 30 or len(_decisions_by_worker(folder)) < 2:
        assert sent < 400, "one worker answered every request"
        assert served.call("POST", "/v1/decide", asked).status_code == 200
        sent += 1
    assert sum(_decisions_by_worker(folder).values()) == sent
    counted = 'nocontact_http_requests_total{method="POST",route="/v1/decide",status="200"}'
    for _ in range(6):  # scrapes land on either worker
        text = served.call("GET", "/metrics").text
        assert f"{counted} {float(sent)}\n" in text
        assert f'nocontact_decisions_total{{outcome="deliver"}} {float(sent)}\n' in text
        assert "nocontact_index_persons 3.0\n" in text
    stop(served.process)
    assert not Path(folder).exists()


def _metrics_folder(supervisor: int) -> str:
    """The folder the workers of ``supervisor`` share their metrics in (from their
    environment)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == supervisor:
                env = (stat.parent / "environ").read_bytes().split(b"\0")
                for entry in env:
                    if entry.startswith(b"PROMETHEUS_MULTIPROC_DIR="):
                        return entry.split(b"=", 1)[1].decode()
    pytest.fail("no worker names a metrics folder")


def _decisions_by_worker(folder: str) -> dict[str, float]:
    """Decisions each worker answered, from its own counter file."""
    from prometheus_client.multiprocess import MultiProcessCollector

    found = {}
    for file in Path(folder).glob("counter_*.db"):
        for metric in MultiProcessCollector.merge([str(file)]):
            for sample in metric.samples:
                if (
                    sample.name == "nocontact_http_requests_total"
                    and sample.labels.get("route") == "/v1/decide"
                ):
                    found[file.name] = found.get(file.name, 0.0) + sample.value
    return found


def test_a_killed_servers_metrics_folder_goes_at_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server killed outright cannot remove its metrics folder: the next one does,
    and only the folders of servers that are gone."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    orphan = tmp_path / f"{METRICS_PREFIX}{gone}-x"
    running = tmp_path / f"{METRICS_PREFIX}{os.getpid()}-y"
    orphan.mkdir()
    running.mkdir()
    with shared_metrics() as folder:
        assert Path(folder).parent == tmp_path
        assert not orphan.exists() and running.exists()
        assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == folder
    assert not Path(folder).exists()
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
