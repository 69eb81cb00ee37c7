"""Kill -9 proof at the store level: an acknowledged commit survives the process.

A child process commits as fast as it can, printing each revision only after
``commit`` has returned. The parent kills it with SIGKILL mid-burst, reopens
the store, and finds every acknowledged row and event, with nothing torn.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nocontact.store.sqlite import SQLiteStore

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

RUNS = 3
ACKS_BEFORE_KILL = 200
DEADLINE_S = 15.0

#: The writer: one boundary row and one event per commit, each acknowledged
#: on stdout (``<boundary id> <revision>``) once commit has returned.
CHILD = textwrap.dedent(
    """
    import sys
    from nocontact.store.base import NewEvent, Put
    from nocontact.store.sqlite import SQLiteStore

    path, run = sys.argv[1], sys.argv[2]
    store = SQLiteStore.open(path)
    i = 0
    while True:
        i += 1
        bid = f"r{run}-{i}"
        revision = store.revision() + 1
        row = {
            "id": bid, "owner": "p1", "kind": "block", "target": f"tel:+1555{i:07d}",
            "scope": "address", "channels": None, "starts": float(i), "ends": None,
            "disclosure": "none", "note": None, "keep_evidence": 0, "on_end": "restore",
            "target_person": None, "revision": revision,
        }
        got = store.commit(
            "add_boundary",
            [Put("boundaries", row)],
            [NewEvent(type="boundary.added", at=float(i), data={"id": bid})],
        )
        assert got == revision, (got, revision)
        sys.stdout.write(f"{bid} {got}\\n")
        sys.stdout.flush()
    """
)


#: The same through the engine: people, then boundaries set as fast as it can,
#: each acknowledged (``<boundary id> <revision>``) once set_boundary returned.
ENGINE_CHILD = textwrap.dedent(
    """
    import sys
    from nocontact.engine import Engine

    path, run = sys.argv[1], sys.argv[2]
    engine = Engine.open(path)
    owner = f"owner{run}"
    engine.add_person(owner)
    i = 0
    while True:
        i += 1
        target = engine.add_person(f"t{run}x{i}", addresses=[f"+1 415 55{run} {i:04d}"])
        boundary = engine.set_boundary(owner, target.addresses[0], "block")
        sys.stdout.write(f"{boundary.id} {boundary.revision}\\n")
        sys.stdout.flush()
    """
)


def burst_then_kill(path: Path, run: int, script: str = CHILD) -> dict[str, int]:
    """Run the writer until enough commits are acknowledged, SIGKILL it, return the acks."""
    acks: dict[str, int] = {}
    with subprocess.Popen(
        [sys.executable, "-c", script, str(path), str(run)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None
        assert child.stderr is not None
        deadline = time.monotonic() + DEADLINE_S
        while len(acks) < ACKS_BEFORE_KILL:
            line = child.stdout.readline()
            if not line:
                child.wait()
                pytest.fail(f"writer exited early ({child.returncode}): {child.stderr.read()}")
            bid, revision = line.split()
            acks[bid] = int(revision)
            assert time.monotonic() < deadline, "writer too slow"
        os.kill(child.pid, signal.SIGKILL)
        # Lines already in the pipe were acknowledged too; a torn last line was not.
        for line in child.stdout:
            if line.endswith("\n"):
                bid, revision = line.split()
                acks[bid] = int(revision)
        child.wait()
        child.stderr.read()
    assert child.returncode == -signal.SIGKILL
    return acks


def test_acknowledged_commits_survive_kill_9(tmp_path: Path) -> None:
    """After SIGKILL, every acknowledged commit is there and the log has no gap or tear."""
    path = tmp_path / "store.db"
    acknowledged: dict[str, int] = {}
    for run in range(RUNS):
        acks = burst_then_kill(path, run)
        acknowledged.update(acks)
        newest = max(acks.values())

        with SQLiteStore.open(path) as store:
            snapshot = store.load()
            events = store.events(limit=1_000_000)
        boundaries = {row["id"]: row for row in snapshot.rows("boundaries")}
        logged = {str(e.data["id"]): e.revision for e in events}

        # Every acknowledged write is there: its row and its event, at its revision.
        for bid, revision in acknowledged.items():
            assert bid in boundaries, f"run {run}: acknowledged {bid} lost"
            assert boundaries[bid]["revision"] == revision
            assert logged[bid] == revision
        # Consistent: the kill may land after a commit and before its line.
        last = events[-1].revision
        assert last in (newest, newest + 1)
        assert snapshot.revision == last
        # One event per commit, revisions 1..last with no gap, and no row without its event.
        assert [e.revision for e in events] == list(range(1, last + 1))
        assert set(boundaries) == set(logged)
        assert all(boundaries[bid]["revision"] == rev for bid, rev in logged.items())


def test_acknowledged_boundaries_survive_kill_9(tmp_path: Path) -> None:
    """Every boundary the engine confirmed is enforced after SIGKILL and a cold start."""
    from nocontact.engine import Engine

    path = tmp_path / "engine.db"
    acknowledged: dict[str, int] = {}
    for run in range(RUNS):
        acknowledged.update(burst_then_kill(path, run, ENGINE_CHILD))
        with Engine.open(path) as engine:
            for bid, revision in acknowledged.items():
                boundary = engine.boundary(bid)
                assert boundary.revision == revision
                blocked = engine.check(boundary.target, "call", boundary.owner)
                assert blocked.outcome.value == "drop", f"run {run}: {bid} not enforced"
