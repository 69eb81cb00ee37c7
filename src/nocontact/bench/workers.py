"""``nocontact bench --workers``: many workers on one store, SQLite and PostgreSQL.

Three figures:

- **Write to enforcement across workers.** Two ``nocontact serve`` processes of one
  worker each run on the same database, on two ports: from the store's point of
  view that is what ``--workers 2`` is (workers share nothing but the listening
  socket), and each of the two persistent connections is then pinned to its own
  worker without anything added to the API. A block is written on A; from its
  201, B is asked ``decide`` for that pair without ``min_revision`` until it
  enforces it (*polled*), and, for another pair, once with the revision the write
  returned (*waited*: the read waits until its worker has applied it).
- **Decisions per second** with 1 and 2 workers (``--workers N``): the same
  closed loops and requests as ``nocontact bench --http``, so the figures compare.
- **The longest write stall** at :data:`STALL_BOUNDARIES` plain boundaries:
  :func:`longest_write_stall`, single writes timed across the crossing of the
  index's merge threshold.

The PostgreSQL rows run in a schema of their own, dropped afterwards; when the
server cannot be reached, those rows say why.
"""

from __future__ import annotations

import http.client
import json
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import sections
from .http import (
    BATCH_CONNECTIONS,
    BATCH_SIZE,
    ROUNDS,
    SINGLE_CONNECTIONS,
    closed_rounds,
    median,
    seed,
    serving,
    warm_up,
    workload,
)

SECTION = "bench-workers"
LATENCY_TARGET_MS = 50.0
STALL_TARGET_MS = 20.0
STALL_BOUNDARIES = 10_000_000
#: How long B is polled for one write before the sample counts as never enforced.
POLL_LIMIT_S = 5.0

Advance = Callable[[int], None]
#: ``step(title, total)``: a context yielding a function told of each unit done.
Step = Callable[[str, int], AbstractContextManager[Advance]]


@dataclass(frozen=True, slots=True)
class WorkersOptions:
    samples: int = 200
    seconds: float = 5.0
    stall_boundaries: int = STALL_BOUNDARIES
    stall_writes: int = 3000
    #: The PostgreSQL server's URL (a schema of its own is made there); None: not measured.
    postgres: str | None = None


@dataclass(frozen=True, slots=True)
class Spread:
    """Milliseconds: p50, p99 and the longest, over ``samples``."""

    p50_ms: float
    p99_ms: float
    max_ms: float
    samples: int

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Spread:
        ms = np.asarray(seconds, np.float64) * 1000
        p50, p99 = np.percentile(ms, [50, 99]) if ms.size else (0.0, 0.0)
        return cls(float(p50), float(p99), float(ms.max()) if ms.size else 0.0, int(ms.size))

    def __str__(self) -> str:
        return f"{self.p50_ms:.2f} / {self.p99_ms:.2f} / {self.max_ms:.2f} ms"


@dataclass(frozen=True, slots=True)
class Throughput:
    """Median rates of :data:`~.http.ROUNDS` rounds."""

    single_rps: float
    batch_decisions_per_s: float


@dataclass(slots=True)
class StoreResults:
    store: str
    #: Why this store was not measured.
    skipped: str | None = None
    polled: Spread | None = None
    waited: Spread | None = None
    #: Samples whose read never enforced the write (polled: within POLL_LIMIT_S).
    missed: int = 0
    #: By number of workers.
    throughput: dict[int, Throughput] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WorkersResults:
    options: WorkersOptions
    stores: list[StoreResults]
    stall: dict[str, float]
    command: str


# -- the run ---------------------------------------------------------------------


def run(
    options: WorkersOptions,
    command: str,
    step: Step | None = None,
) -> WorkersResults:
    """Measure both stores, then the write stall. ``step(title, total)`` shows progress."""
    steps = step or _no_progress
    postgres = (
        _measure_store("PostgreSQL", options.postgres, options, steps)
        if options.postgres
        else StoreResults("PostgreSQL", skipped="no PostgreSQL URL given")
    )
    stores = [_measure_store("SQLite", None, options, steps), postgres]
    with steps(f"write stall at {options.stall_boundaries:,} boundaries", 3) as advance:
        stall = longest_write_stall(options.stall_boundaries, options.stall_writes, advance)
    return WorkersResults(options, stores, stall, command)


@contextmanager
def _no_progress(title: str, total: int) -> Iterator[Advance]:
    yield lambda n: None


def _measure_store(name: str, postgres: str | None, o: WorkersOptions, steps: Step) -> StoreResults:
    """Every figure but the stall, on a new SQLite file or (``postgres``) a new schema."""
    found = StoreResults(name)
    with tempfile.TemporaryDirectory(prefix="nocontact-bench-workers-") as folder:
        # On PostgreSQL the servers keep a small SQLite file in the data folder: this one.
        env = {"XDG_DATA_HOME": folder}
        try:
            with _database(postgres, folder) as db:
                pairs = [(f"wa{i}", f"wb{i}") for i in range(2 * o.samples)]
                key = seed(db, "admin", [p for pair in pairs for p in pair])
                # A serves the latency's writes, then the 1-worker figures on its own.
                with serving(db, 1, env) as (_, port_a):
                    with (
                        serving(db, 1, env) as (_, port_b),
                        steps(f"{name}: write to enforcement", 2 * o.samples) as advance,
                    ):
                        found.polled, found.waited, found.missed = _latency(
                            port_a, port_b, key, pairs, advance
                        )
                    with steps(f"{name}: decisions/s, 1 worker", 1):
                        found.throughput[1] = _throughput(port_a, key, o.seconds)
                with serving(db, 2, env) as (_, port), steps(f"{name}: decisions/s, 2 workers", 1):
                    found.throughput[2] = _throughput(port, key, o.seconds)
        except Unreachable as why:
            found.skipped = str(why)
    return found


class Unreachable(Exception):
    """The PostgreSQL server cannot be used (down, refused, no client library)."""


@contextmanager
def _database(postgres: str | None, folder: str) -> Iterator[str]:
    """A SQLite file in ``folder``, or a fresh schema on ``postgres``, dropped after."""
    if postgres is None:
        yield str(Path(folder) / "workers.db")
        return
    try:
        import psycopg
    except ImportError:
        raise Unreachable("psycopg is not installed (pip install 'nocontact[bench]')") from None
    schema = "nocontact_bench_" + secrets.token_hex(6)
    try:
        with psycopg.connect(postgres, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    except psycopg.Error as error:
        raise Unreachable("PostgreSQL unreachable: " + " ".join(str(error).split())) from None
    separator = "&" if "?" in postgres else "?"
    try:
        yield f"{postgres}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(postgres, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


class _Client:
    """One persistent connection to one server: JSON in, status and JSON out."""

    def __init__(self, port: int, key: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def post(self, path: str, body: object) -> tuple[int, dict[str, object]]:
        self.conn.request("POST", path, json.dumps(body), self.headers)
        answer = self.conn.getresponse()
        return answer.status, json.loads(answer.read())

    def close(self) -> None:
        self.conn.close()


def _latency(
    port_a: int, port_b: int, key: str, pairs: list[tuple[str, str]], advance: Advance
) -> tuple[Spread, Spread, int]:
    """Blocks written on A, enforced on B: polled for half the pairs, waited for the rest.
    Returns both spreads and how many writes B never enforced."""
    a, b = _Client(port_a, key), _Client(port_b, key)
    polled, waited, missed = [], [], 0
    half = len(pairs) // 2
    try:
        for owner, target in pairs[:half]:
            took = _write_then_poll(a, b, owner, target)
            missed += took is None
            polled.append(POLL_LIMIT_S if took is None else took)
            advance(1)
        for owner, target in pairs[half:]:
            took, enforced = _write_then_wait(a, b, owner, target)
            missed += not enforced
            waited.append(took)
            advance(1)
    finally:
        a.close()
        b.close()
    return Spread.of(polled), Spread.of(waited), missed


def _block(a: _Client, owner: str, target: str) -> tuple[float, object]:
    """Write the block on A: when its 201 arrived, and the revision it returned."""
    status, made = a.post("/v1/boundaries", {"owner": owner, "target": target, "kind": "block"})
    acknowledged = time.perf_counter()
    if status != 201:
        raise RuntimeError(f"setBoundary answered {status}: {made}")
    return acknowledged, made["revision"]


def _asked(owner: str, target: str) -> dict[str, str]:
    return {"actor": target, "action": "message", "target": owner}


def _write_then_poll(a: _Client, b: _Client, owner: str, target: str) -> float | None:
    """Seconds from the write's 201 on A to B's first answer enforcing it (None: never)."""
    acknowledged, _ = _block(a, owner, target)
    while time.perf_counter() - acknowledged < POLL_LIMIT_S:
        status, decided = b.post("/v1/decide", _asked(owner, target))
        if status == 200 and decided["outcome"] != "deliver":
            return time.perf_counter() - acknowledged
    return None


def _write_then_wait(a: _Client, b: _Client, owner: str, target: str) -> tuple[float, bool]:
    """Seconds from the write's 201 on A to B's answer with its revision; enforced?"""
    acknowledged, revision = _block(a, owner, target)
    status, decided = b.post(f"/v1/decide?min_revision={revision}", _asked(owner, target))
    took = time.perf_counter() - acknowledged
    return took, status == 200 and decided["outcome"] != "deliver"


def _throughput(port: int, key: str, seconds: float) -> Throughput:
    singles, batch = workload(key)
    warm_up(port, singles, batch, min(1.0, seconds / 5))
    single = closed_rounds(port, singles, SINGLE_CONNECTIONS, seconds)
    batches = closed_rounds(port, batch, BATCH_CONNECTIONS, seconds)
    return Throughput(
        median([r.rate for r in single]), median([r.rate * BATCH_SIZE for r in batches])
    )


# -- the write stall ---------------------------------------------------------------


def longest_write_stall(
    n_boundaries: int, writes: int, advance: Advance | None = None
) -> dict[str, float]:
    """Single writes timed while the overlay is merged into the edges in the background
    (:func:`nocontact.bench.stall.longest_write_stall`, several merges in a run).

    Returns milliseconds (``p50_ms``, ``p99_ms``, ``max_ms``), the sizes and the
    number of merges. ``advance`` hears of the run's end.
    """
    from nocontact.bench import stall

    found = stall.longest_write_stall(n_boundaries, writes)
    if advance is not None:
        advance(3)
    return {
        "boundaries": float(n_boundaries),
        "writes": float(writes),
        "merges": found["merges"],
        "p50_ms": found["p50"],
        "p99_ms": found["p99"],
        "max_ms": found["max"],
    }


# -- the section of BENCHMARKS.md ---------------------------------------------------


def _latency_cell(spread: Spread | None) -> str:
    if spread is None:
        return "—"
    return f"{spread} ({sections.verdict(spread.p99_ms < LATENCY_TARGET_MS)})"


def _rate_cell(s: StoreResults, workers: int, rate: Callable[[Throughput], float]) -> str:
    if workers not in s.throughput:
        return "—"
    value = rate(s.throughput[workers])
    if workers == 1 or 1 not in s.throughput:
        return f"{value:,.0f}"
    return f"{value:,.0f} ({value / rate(s.throughput[1]):.2f}×)"


def _workers(n: int) -> str:
    return "1 worker" if n == 1 else f"{n} workers"


def _store_rows(stores: list[StoreResults]) -> list[list[str]]:
    single, batch = (lambda t: t.single_rps), (lambda t: t.batch_decisions_per_s)
    target = f"p99 < {LATENCY_TARGET_MS:g} ms"
    rows = [
        ["write on A to enforcement on B, polled: p50 / p99 / max",
         *(_latency_cell(s.polled) for s in stores), target],
        ["write on A to enforcement on B, with `min_revision`: p50 / p99 / max",
         *(_latency_cell(s.waited) for s in stores), target],
        ["writes B never enforced (polled: within 5 s)",
         *("—" if s.skipped else f"{s.missed} ({sections.verdict(not s.missed)})" for s in stores),
         "0"],
    ]  # fmt: skip
    for workers in (1, 2):
        rows.append([f"single `decide`, requests/s, {_workers(workers)}",
                     *(_rate_cell(s, workers, single) for s in stores), ""])  # fmt: skip
    for workers in (1, 2):
        rows.append([f"`decide/batch` of {BATCH_SIZE:,}, decisions/s, {_workers(workers)}",
                     *(_rate_cell(s, workers, batch) for s in stores), ""])  # fmt: skip
    return rows


def _stall_rows(stall: dict[str, float]) -> list[list[str]]:
    n = int(stall["boundaries"])
    judged = stall["max_ms"] < STALL_TARGET_MS if n == STALL_BOUNDARIES else None
    return [
        [f"{int(stall['writes'])} single writes at {n:,} boundaries, across"
         f" {int(stall['merges'])} merges: p50 / p99 / max",
         f"{stall['p50_ms']:.2f} / {stall['p99_ms']:.2f} / {stall['max_ms']:.2f} ms",
         f"max < {STALL_TARGET_MS:g} ms (at {STALL_BOUNDARIES:,} boundaries)",
         sections.verdict(judged)],
    ]  # fmt: skip


def markdown(r: WorkersResults) -> str:
    """The "Many workers" section of ``BENCHMARKS.md`` (without its markers)."""
    o = r.options
    stores = "\n".join(
        sections.table(["figure", *(s.store for s in r.stores), "target"], _store_rows(r.stores))
    )
    stall = "\n".join(sections.table(["figure", "measured", "target", ""], _stall_rows(r.stall)))
    skipped = "".join(f"\n{s.store} was not measured: {s.skipped}\n" for s in r.stores if s.skipped)
    return f"""## Many workers

```
{r.command}
```

Servers and load generator on the same 2-core machine over 127.0.0.1, on a SQLite
file and on PostgreSQL (a schema of its own, dropped after).

*Write to enforcement*: two `nocontact serve` processes of one worker each, A and
B, on the same database (what `--workers 2` is, from the store's side; it lets one
persistent connection stay with each). A `block` is written on A; from its 201, B
is asked `decide` for that pair until it enforces it (*polled*: {o.samples} writes),
or, for another {o.samples} pairs, once with the revision the write returned
(`min_revision`: the read waits until B has applied it). Each write is a new pair.

*Decisions per second*: `nocontact serve --workers 1`, then `--workers 2`, with the
closed loops of the HTTP section: {SINGLE_CONNECTIONS} connections for single decides,
{BATCH_CONNECTIONS} for batches, the median of {ROUNDS} rounds of {o.seconds / ROUNDS:g} s. The load
generator needs a core of its own, so two workers share what is left: their gain
here understates what they give on a machine with cores to spare.
{skipped}
{stores}

*Write stall*: one engine on SQLite (in memory-backed scratch space), plain
boundaries imported in bulk, then single writes timed one by one while the
overlay is folded into the edges in the background. The merge threshold is
lowered to 1,000 plain writes so that a run crosses it several times; what a
merge costs a writer does not depend on how many writes it folds. The longest
write is the stall a writer meets.

{stall}
"""
