"""PostgreSQL wakes workers by ``NOTIFY``, and nothing is lost when it cannot.

Each commit notifies its schema's channel of its revision; a store that listens
knows of other processes' writes without a query. A listener that loses its
connection makes the store answer "written elsewhere" until it has caught up
by revision (never a rebuild). And a served server whose PostgreSQL restarts
under load answers problems meanwhile, loses no acknowledged write, and
recovers by itself: that test runs a private PostgreSQL cluster of its own
(the shared server is never restarted).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from nocontact.engine import Engine
from nocontact.service.auth import KeyStore
from nocontact.store.base import NewEvent, Put
from nocontact.store.pg_listen import IDENTIFIER_BYTES, channel_for
from nocontact.store.postgres import PostgresStore

from .pg import _unavailable, fresh_schema
from .served import EXE, _port
from .test_projection import fingerprint

#: Generous: a loaded machine is slow, never wrong.
PATIENCE = 20.0


def eventually(condition: Callable[[], bool], what: str, patience: float = PATIENCE) -> None:
    deadline = time.monotonic() + patience
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {patience:.0f} s")
        time.sleep(0.005)


def add_person(store: PostgresStore, person: str) -> int:
    row = {"id": person, "name": None, "created": 1.0}
    return store.commit("add_person", [Put("persons", row)], [NewEvent("test", 1.0, {})])


@pytest.fixture
def url() -> Iterator[str]:
    with fresh_schema() as found:
        yield found


def listening(store: PostgresStore, wake: Callable[[], None] = lambda: None) -> PostgresStore:
    """``store`` with its listener connected, and its first check of the store done."""
    assert store.listen(wake)
    eventually(lambda: store.listener_pid is not None, "the listener connects")
    assert store.written_elsewhere()  # a new connection: unknown until looked
    store.mark_read()
    return store


def test_a_channel_is_one_per_schema_and_fits_an_identifier() -> None:
    """Schemas sharing a database get distinct channels, within PostgreSQL's 63 bytes."""
    assert channel_for("tenant_a") != channel_for("tenant_b")
    long_ones = {channel_for("x" * 80 + str(i)) for i in range(3)}
    assert len(long_ones) == 3
    assert all(len(c.encode()) <= IDENTIFIER_BYTES for c in long_ones)


def test_a_write_is_heard_by_a_listening_store(url: str) -> None:
    """A commit through store A wakes store B, whose check then says written elsewhere
    (no query); B's own commit, once heard, does not."""
    woken = threading.Event()
    with PostgresStore.open(url) as one, listening(PostgresStore.open(url), woken.set) as two:
        assert not two.written_elsewhere()
        woken.clear()
        one.mark_read()
        add_person(one, "ana")
        eventually(woken.is_set, "the notification of A's write wakes B")
        eventually(two.written_elsewhere, "B knows of A's write")
        two.mark_read()
        assert not two.written_elsewhere()
        woken.clear()
        add_person(two, "ben")
        eventually(woken.is_set, "B hears its own write")
        assert not two.written_elsewhere()


class CountingEngine(Engine):
    """Counts rebuilds of the whole index (a catch-up by revision is not one)."""

    loads = 0

    def _load(self) -> None:
        self.loads += 1
        super()._load()


def terminate(url: str, pid: int) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_lost_listener_catches_up_by_revision(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """B's listening connection is killed and, while it is away, A writes (B hears
    nothing): B still answers "written elsewhere", and once its listener is back B
    catches up by revision to exactly A's state, without a rebuild."""
    with Engine.open(url) as one, CountingEngine.open(url) as two:
        store = two.store
        assert isinstance(store, PostgresStore)
        listening(store)
        two.refresh()
        listener = store._listener
        assert listener is not None
        away = threading.Event()
        back = threading.Event()
        connect = listener._connect

        def held_connect() -> Any:
            away.set()
            back.wait(PATIENCE)
            return connect()

        monkeypatch.setattr(listener, "_connect", held_connect)
        pid = store.listener_pid
        assert pid is not None
        terminate(url, pid)
        eventually(away.is_set, "the listener notices it lost its connection")
        one.add_person("ana")
        one.add_person("ben")
        boundary = one.set_boundary("ana", "ben", "block")
        assert store.written_elsewhere()  # nobody listens: unknown, so yes
        back.set()
        eventually(lambda: store.listener_pid not in (None, pid), "the listener reconnects")
        assert two.refresh()
        assert two.revision == one.revision
        assert two.boundary(boundary.id).owner == "ana"
        assert fingerprint(two) == fingerprint(one)
        assert two.loads == 1  # opened once, then kept current by events alone
        assert not store.written_elsewhere()
        one.lift(boundary.id)  # and the new connection hears again
        eventually(store.written_elsewhere, "the reconnected listener hears A")
        assert two.refresh() and two.revision == one.revision and two.loads == 1


# -- PostgreSQL restarted under a served server's load --------------------------------


@dataclass
class Cluster:
    """A private PostgreSQL cluster this test may stop and start."""

    bin: Path
    folder: Path
    port: int
    run_as: list[str]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def ctl(self, *args: str) -> None:
        """``pg_ctl`` with its output in a file: a pipe it keeps open would hang us."""
        with open(self.folder / "pg_ctl.out", "ab") as out:
            subprocess.run(
                [*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), *args],
                stdin=subprocess.DEVNULL, stdout=out, stderr=out, timeout=60, check=True,
            )  # fmt: skip

    def start(self) -> None:
        options = f"-k {self.folder} -c listen_addresses=127.0.0.1 -p {self.port}"
        self.ctl("-w", "-t", "50", "-l", str(self.folder / "server.log"), "-o", options, "start")

    def stop(self) -> None:
        self.ctl("-w", "-t", "50", "-m", "fast", "stop")


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _version(path: str) -> int:
    part = Path(path).parts[-3]
    return int(part) if part.isdigit() else 0


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    bin = _postgres_bin()
    if bin is None:
        _unavailable("no initdb/pg_ctl (install postgresql) for a private cluster")
        raise AssertionError("unreachable")
    run_as: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="nocontact-pg-"))
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    made = Cluster(bin, folder, _free_port(), run_as)
    try:
        with open(folder / "initdb.out", "wb") as out:
            subprocess.run(
                [*run_as, str(bin / "initdb"), "-D", str(folder / "data"), "-A", "trust",
                 "-U", "postgres", "--no-sync"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=out, timeout=120, check=True,
            )  # fmt: skip
        made.start()
    except (subprocess.SubprocessError, OSError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        _unavailable(f"a private cluster did not start: {exc}")
    try:
        yield made
    finally:
        with suppress(subprocess.SubprocessError, OSError):  # already stopped
            made.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Load:
    """Writes and reads from a few clients, each on a new connection, until stopped."""

    url: str
    key: str
    people: list[str]
    answers: list[tuple[float, str, int, str]] = field(default_factory=list)
    #: Each person whose creation was acknowledged, with the revision it was given.
    acknowledged: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, method: str, path: str, body: object, **query: int) -> httpx.Response:
        headers = {"authorization": f"Bearer {self.key}"}
        answer = httpx.request(
            method, self.url + path, json=body, params=query or None, headers=headers, timeout=20
        )
        media = answer.headers.get("content-type", "")
        with self.lock:
            self.answers.append((time.monotonic(), path, answer.status_code, media))
        return answer

    def writer(self, seed: int) -> None:
        """Add new people; read each back, with its revision, on a new connection."""
        turn = 0
        while not self.stopping.is_set():
            turn += 1
            person = f"w{seed}-{turn}"
            try:
                made = self.call("POST", "/v1/persons", {"id": person})
                if made.status_code != 201:
                    time.sleep(0.02)
                    continue
                revision = made.json()["revision"]
                with self.lock:
                    self.acknowledged[person] = revision
                self.call("GET", f"/v1/persons/{person}", None, min_revision=revision)
            except httpx.TransportError as exc:
                self.failures.append(f"{person}: {exc!r}")

    def reader(self) -> None:
        while not self.stopping.is_set():
            asked = {"actor": self.people[1], "action": "message", "target": self.people[0]}
            try:
                self.call("POST", "/v1/decide", asked)
            except httpx.TransportError as exc:
                self.failures.append(f"read: {exc!r}")


def _workers(pid: int) -> set[int]:
    """The server's child processes: its workers among them."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in children.read_text().split()} if children.exists() else set()


@pytest.mark.slow
def test_postgresql_restarted_under_load(cluster: Cluster, tmp_path: Path) -> None:
    """``serve --workers 2`` under steady writes and reads (each write read back with its
    revision, by either worker); PostgreSQL stops and starts again. Meanwhile every
    answer is a success or a 503 problem (never a 500 or a 404), no worker dies and no
    traceback is logged; the service answers writes again within seconds of
    PostgreSQL's return, and every acknowledged write is stored."""
    people = [f"p{i}" for i in range(8)]
    with Engine.open(cluster.url) as engine:
        for p in people:
            engine.add_person(p)
    keys = KeyStore(cluster.url)
    key = keys.create("t", "admin")[1]
    keys.close()
    port = _port()
    log = tmp_path / "server.log"
    with open(log, "wb") as err:
        server = subprocess.Popen(
            [EXE, "serve", "--db", cluster.url, "--port", str(port), "--workers", "2"],
            stdin=subprocess.DEVNULL, stdout=err, stderr=err, start_new_session=True,
            env={**os.environ, "NOCONTACT_ACCESS_LOG": "false"},
        )  # fmt: skip
    try:
        load = Load(f"http://127.0.0.1:{port}", key, people)
        eventually(lambda: _healthy(load.url), "the server starts", 60)
        workers = _workers(server.pid)
        assert len(workers) >= 2  # the workers (and multiprocessing's helper)
        clients = [threading.Thread(target=load.writer, args=(i,)) for i in range(3)]
        clients.append(threading.Thread(target=load.reader))
        for c in clients:
            c.start()
        try:
            eventually(lambda: len(load.acknowledged) >= 20, "writes are acknowledged")
            cluster.stop()
            stopped = time.monotonic()
            eventually(lambda: _any_since(load, stopped, 503), "the outage is answered 503")
            time.sleep(1.0)
            acknowledged_in_outage = len(load.acknowledged)
            cluster.start()
            returned = time.monotonic()
            eventually(lambda: _write_since(load, returned) > 0, "writes succeed again", 30)
            recovered = _write_since(load, returned)
            time.sleep(1.0)
        finally:
            load.stopping.set()
            for c in clients:
                c.join()
        assert server.poll() is None, "the server died"
        assert _workers(server.pid) == workers, "a worker died and was replaced"
        assert not load.failures, load.failures[:5]
        statuses = {status for _, _, status, _ in load.answers}
        assert statuses <= {200, 201, 503}, statuses
        # Decisions that name no revision go on from the index through the outage.
        decided = {
            status
            for at, path, status, _ in load.answers
            if path == "/v1/decide" and stopped < at < returned
        }
        assert decided == {200}, decided
        problems = [media for _, _, status, media in load.answers if status == 503]
        assert problems and all(m.startswith("application/problem+json") for m in problems)
        assert len(load.acknowledged) > acknowledged_in_outage  # writes went on after
        print(f"\nrecovered {recovered:.2f} s after PostgreSQL returned; "
              f"{len(problems)} problems of {len(load.answers)} answers")  # fmt: skip
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-3000:]
    with Engine.open(cluster.url) as fresh:
        for person in load.acknowledged:
            assert fresh.person(person).id == person


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _any_since(load: Load, since: float, status: int) -> bool:
    with load.lock:
        return any(at >= since and s == status for at, _, s, _ in load.answers)


def _write_since(load: Load, since: float) -> float:
    """Seconds from ``since`` to the first write acknowledged after it (0: none yet)."""
    with load.lock:
        for at, path, status, _ in load.answers:
            if at >= since and path == "/v1/persons" and status == 201:
                return max(at - since, 1e-6)
    return 0.0
