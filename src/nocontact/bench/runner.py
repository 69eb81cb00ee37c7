"""One benchmark run: generate, load each approach, time it the same way, check nocontact.

``run`` takes its options as data and returns :class:`Results`; it shows progress bars
and skip reasons on the console it is given, and writes nothing but temporary files
(``report`` turns the results into a table, ``BENCHMARKS.md`` and a plot).
"""

from __future__ import annotations

import os
import platform
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from nocontact.bench.baselines import (
    BASELINES,
    LABELS,
    Approach,
    Mask,
    Servers,
    Unavailable,
    either_way,
    make,
)
from nocontact.bench.graph import U64, Graph, Workload, generate, workload
from nocontact.bench.reference import Verdict, both_ways, check_decisions, check_visible
from nocontact.bench.subject import INTERNING, Nocontact
from nocontact.bench.timing import Latency, Throughput, time_batch, time_each, timer_overhead_ns

#: The order of the rows: nocontact first, then the baselines.
ORDER = (Nocontact.name, *BASELINES)
#: Pairs and feeds sampled for the correctness check.
CHECK_PAIRS = 100_000
CHECK_MUTUAL = 10_000
CHECK_FEEDS = 100
#: Feeds whose baseline answers are compared with the ground truth.
AGREE_FEEDS = 20
BATCH_REPEATS = 5

Advance = Callable[[int], None]


@dataclass(frozen=True)
class Options:
    people: int = 1_000_000
    boundaries: int = 10_000_000
    seed: int = 42
    queries: int = 200_000
    skip: frozenset[str] = frozenset()
    servers: Servers = field(default_factory=Servers)
    #: Where the SQLite files go (a temporary folder, removed at the end, by default).
    folder: Path | None = None


@dataclass
class Row:
    """One approach's figures; ``skipped`` says why there are none."""

    name: str
    label: str
    build_s: float | None = None
    memory_bytes: int | None = None
    memory_method: str = ""
    single: Latency | None = None
    feed: Latency | None = None
    batch: Throughput | None = None
    skipped: str | None = None
    #: Whether a baseline's answers equal the ground truth (None: not compared).
    agrees: bool | None = None
    software: str = ""


@dataclass
class Results:
    options: Options
    started: datetime
    machine: dict[str, str]
    shape: dict[str, float]
    generation_s: float
    timer_overhead_ns: int
    pairs: int
    hits: int
    feeds: int
    feed_size: int
    rows: list[Row] = field(default_factory=list)
    checks: list[Verdict] = field(default_factory=list)
    cold_start_s: float | None = None
    index_parts: dict[str, int] = field(default_factory=dict)
    #: Growth of the process's resident memory over nocontact's load, in bytes.
    nocontact_resident: int | None = None
    #: nocontact's single ``decide`` with person ids as strings (``single`` takes numbers).
    single_by_id: Latency | None = None

    def row(self, name: str) -> Row | None:
        """The measured row called ``name`` (None if it was skipped)."""
        return next((r for r in self.rows if r.name == name and r.skipped is None), None)

    @property
    def passed(self) -> bool:
        """nocontact equals the reference, and every baseline the ground truth."""
        agreed = all(r.agrees is not False for r in self.rows)
        return agreed and bool(self.checks) and all(c.passed for c in self.checks)


def machine() -> dict[str, str]:
    """Cores, CPU model, memory, OS and Python: what shapes the figures."""
    model = platform.processor() or platform.machine()
    memory = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "CPU": f"{model}, {os.cpu_count()} cores",
        "memory": memory,
        "OS": platform.platform(),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "numpy": np.__version__,
        "SQLite": sqlite3.sqlite_version,
    }


def shape(graph: Graph) -> dict[str, float]:
    """How heavy the tails came out."""
    out_degree = np.bincount(graph.owners, minlength=graph.people)
    in_degree = np.bincount(graph.targets, minlength=graph.people)
    top = max(1, graph.people // 100)
    return {
        "max_out": float(out_degree.max()),
        "max_in": float(in_degree.max()),
        "median_out": float(np.median(out_degree)),
        "median_in": float(np.median(in_degree)),
        "top_out_share": float(np.sort(out_degree)[-top:].sum()) / graph.boundaries,
        "top_in_share": float(np.sort(in_degree)[-top:].sum()) / graph.boundaries,
    }


class Bars:
    """One rich progress bar per step."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    @contextmanager
    def step(self, title: str, total: int) -> Iterator[Advance]:
        task = self.progress.add_task(title, total=max(total, 1))

        def advance(n: int) -> None:
            self.progress.advance(task, n)

        yield advance
        self.progress.update(task, completed=max(total, 1))


def progress_bars(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<44}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _cap(n: int, cap: int | None) -> int:
    return n if cap is None else min(n, cap)


def _load(approach: Approach, graph: Graph, bars: Bars) -> Row:
    row = Row(approach.name, approach.label, software=approach.software())
    with bars.step(f"load     {approach.label}", graph.boundaries) as advance:
        built = approach.build(graph, advance)
    row.build_s, row.memory_bytes = built.seconds, built.memory_bytes
    row.memory_method = built.memory_method
    return row


def _time(approach: Approach, row: Row, work: Workload, overhead: int, bars: Bars) -> list[Any]:
    """Single calls, feeds and a batch, timed; returns the batch's answers."""
    n = _cap(work.pairs, approach.max_singles)
    with bars.step(f"single   {approach.label}", n) as advance:
        calls = approach.singles(work.actors[:n], work.targets[:n])
        row.single = time_each(calls, overhead, advance)
    n = _cap(work.feeds, approach.max_feeds)
    with bars.step(f"visible  {approach.label}", n) as advance:
        calls = approach.feeds(work.viewers[:n], work.candidates[:n])
        row.feed = time_each(calls, overhead, advance)
    n = _cap(work.pairs, approach.max_batch)
    with bars.step(f"batch    {approach.label}", BATCH_REPEATS) as advance:
        calls = approach.batches(work.actors[:n], work.targets[:n])
        row.batch, answers = time_batch(calls, n, max_repeats=BATCH_REPEATS, advance=advance)
    return answers


@dataclass(frozen=True, eq=False)
class Truth:
    """What the baselines must answer, from the graph's sorted keys."""

    keys: U64
    #: For each workload pair: is there a boundary, either way?
    pairs: Mask


def _agrees(approach: Approach, answers: list[Any], work: Workload, truth: Truth) -> bool:
    """The baseline's batch and first feeds equal the ground truth."""
    found = np.concatenate([np.asarray(a, bool) for a in answers])
    if not np.array_equal(found, truth.pairs[: found.size]):
        return False
    viewers, candidates = work.viewers[:AGREE_FEEDS], work.candidates[:AGREE_FEEDS]
    fn, args = approach.feeds(viewers, candidates)
    keys = truth.keys
    for (viewer, row), call in zip(zip(viewers, candidates, strict=True), args, strict=True):
        hidden = either_way(keys, np.full(row.size, viewer, np.int32), row)
        if not np.array_equal(np.asarray(fn(*call), bool), ~hidden):
            return False
    return True


def _check(subject: Nocontact, graph: Graph, work: Workload, bars: Bars) -> list[Verdict]:
    """nocontact's ``message`` outcomes and visibility answers against the reference."""
    n = min(work.pairs, CHECK_PAIRS)
    mutual_a, mutual_b = both_ways(graph, CHECK_MUTUAL, graph.seed)
    actors = np.concatenate((work.actors[:n], mutual_a, mutual_b))
    targets = np.concatenate((work.targets[:n], mutual_b, mutual_a))
    with bars.step("check    nocontact against the reference", 2) as advance:
        decisions = check_decisions(graph, actors, targets, subject.batch)
        advance(1)
        m = min(work.feeds, CHECK_FEEDS)
        visibility = check_visible(graph, work.viewers[:m], work.candidates[:m], subject.feed)
    return [decisions, visibility]


def run(options: Options, console: Console) -> Results:
    """Everything the report needs, measured in one run."""
    started = datetime.now(UTC)
    with ExitStack() as stack:
        folder = options.folder or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="nocontact-bench-"))
        )
        folder.mkdir(parents=True, exist_ok=True)
        bars = Bars(stack.enter_context(progress_bars(console)))
        with bars.step("generate the graph", options.boundaries) as advance:
            start = perf_counter()
            drawn = 0

            def told(total: int) -> None:
                nonlocal drawn
                advance(total - drawn)
                drawn = total

            graph = generate(options.people, options.boundaries, options.seed, told)
            work = workload(graph, options.queries)
            generation_s = perf_counter() - start
        keys = graph.keys()
        truth = Truth(keys, either_way(keys, work.actors, work.targets))
        results = Results(
            options=options,
            started=started,
            machine=machine(),
            shape=shape(graph),
            generation_s=generation_s,
            timer_overhead_ns=timer_overhead_ns(),
            pairs=work.pairs,
            hits=int(truth.pairs.sum()),
            feeds=work.feeds,
            feed_size=int(work.candidates.shape[1]),
        )
        for name in (*BASELINES, Nocontact.name):
            results.rows.append(_run_one(name, options, folder, graph, work, truth, results, bars))
    results.rows.sort(key=lambda r: ORDER.index(r.name))
    return results


def _open(name: str, options: Options, folder: Path) -> Approach:
    if name == Nocontact.name:
        return Nocontact(folder)
    return make(name, folder, options.servers)


def _run_one(
    name: str,
    options: Options,
    folder: Path,
    graph: Graph,
    work: Workload,
    truth: Truth,
    results: Results,
    bars: Bars,
) -> Row:
    label = LABELS.get(name, Nocontact.label)
    console = bars.progress.console
    if name in options.skip:
        console.print(f"[yellow]skipped {label}: --skip {name}")
        return Row(name, label, skipped=f"--skip {name}")
    try:
        approach = _open(name, options, folder)
    except Unavailable as why:
        console.print(f"[yellow]skipped {label}: {why}")
        return Row(name, label, skipped=str(why))
    try:
        row = _load(approach, graph, bars)
        if isinstance(approach, Nocontact):
            results.index_parts = approach.parts
            results.nocontact_resident = approach.resident_growth
            with bars.step(f"reopen   {label} (cold start)", 1):
                results.cold_start_s = approach.cold_start()
        answers = _time(approach, row, work, results.timer_overhead_ns, bars)
        if isinstance(approach, Nocontact):
            n = work.pairs
            with bars.step(f"by id    {label}", n) as advance:
                calls = approach.singles_by_id(work.actors[:n], work.targets[:n])
                results.single_by_id = time_each(calls, results.timer_overhead_ns, advance)
            results.checks = _check(approach, graph, work, bars)
            for verdict in results.checks:
                style = "green" if verdict.passed else "bold red"
                console.print(f"[{style}]{verdict.line()}")
        else:
            row.agrees = _agrees(approach, answers, work, truth)
            if not row.agrees:
                console.print(f"[bold red]{label}: answers differ from the ground truth")
    finally:
        approach.close()
    return row


__all__ = ["INTERNING", "ORDER", "Options", "Results", "Row", "run"]
