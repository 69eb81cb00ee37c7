"""``nocontact bench --product``: what a product pays, each figure next to a dict of sets.

The run builds the store once: the generated graph goes into a SQLite file through the
engine's public ``bulk_import`` (timed). Every other figure is taken in a new Python
process that first evicts the file (and its ``-wal``) from the page cache with
``posix_fadvise(DONTNEED)`` (best effort: without root the kernel may keep some pages), then
opens the engine from it:

- ``open``: seconds from ``Engine.open`` to the first answer, and the process's resident
  growth over that (``/proc/self/statm``) next to what ``index_nbytes()`` reports;
- ``decide``: ``decide_number`` with two Python ints, a ``Decision`` back, against the dict
  of sets' membership check on the same ints; then ``decide_ids`` on 100,000 pairs, from
  Python lists to a list and from arrays to an array;
- ``visible``: ``visible_ids`` from a Python list of 1,000 ints to a list of bools, and
  from an array to an array, against the dict of sets' list comprehension.

Both sides run in the same process on the same inputs, in alternating rounds (see
``timing.time_interleaved``). A third of the feed viewers and of the deciding actors are
owners of a random boundary, so heavy users are asked about as a product would ask.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any

import numpy as np

from nocontact.bench.baselines import add_pairs, either_way
from nocontact.bench.graph import Graph, Workload, generate, workload
from nocontact.bench.reference import Reference
from nocontact.bench.sections import table, verdict
from nocontact.bench.subject import INTERNING, resident_bytes
from nocontact.bench.timing import (
    Latency,
    Throughput,
    time_batches_interleaved,
    time_interleaved,
    timer_overhead_ns,
)

SECTION = "bench-product"
#: A third of feed viewers (and of the actors of pairs without a boundary) are heavy users.
HEAVY = 1 / 3
BATCH = 100_000
#: Answers compared with the reference (nocontact) and the ground truth (dict of sets).
CHECK_PAIRS = 20_000
CHECK_FEEDS = 50
#: The owners' power-law exponent: at 1 M people and 10 M boundaries the top 1 % of owners
#: hold 78 % of the boundaries and about a hundred people hold 10,000 or more (the plain
#: ``nocontact bench`` graph, at 0.7, gives them 23 %).
OUT_EXPONENT = 1.13
#: The issue's targets are set at this size; import and cold start scale with it.
FULL_SIZE = 10_000_000
_EMPTY: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Options:
    people: int = 1_000_000
    boundaries: int = 10_000_000
    seed: int = 42
    queries: int = 200_000
    folder: Path = Path("bench-results/product")


@dataclass
class Results:
    options: Options
    started: str
    top_out_share: float
    max_out: int
    #: People who hold at least 10,000 boundaries.
    heavy_owners: int
    import_s: float
    #: What each fresh process measured, by name.
    measured: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Every sampled answer agreed: nocontact with the reference, the dict with the truth."""
        return all(
            m.get("differ", 0) == 0 and m.get("dict_differ", 0) == 0 for m in self.measured.values()
        )


# -- the parent: generate, import, then one fresh process per measurement ----------------


def run(options: Options, say: Any = print) -> Results:
    folder = options.folder
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "nocontact.db"
    for stale in (db, _sibling(db, "-wal"), _sibling(db, "-shm")):
        stale.unlink(missing_ok=True)
    say(f"generating {options.boundaries:,} boundaries among {options.people:,} people")
    graph = generate(options.people, options.boundaries, options.seed, out_exponent=OUT_EXPONENT)
    work = workload(graph, options.queries, heavy=HEAVY)
    out_degree = np.bincount(graph.owners, minlength=graph.people)
    top = max(1, graph.people // 100)
    say("importing into SQLite (bulk_import)")
    import_s, numbers = _import(graph, db)
    np.savez(
        folder / "graph.npz",
        owners=graph.owners, targets=graph.targets, kinds=graph.kinds, numbers=numbers,
        actors=work.actors, pair_targets=work.targets, viewers=work.viewers,
        candidates=work.candidates, meta=np.array([graph.people, graph.seed]),
    )  # fmt: skip
    results = Results(
        options=options,
        started=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        top_out_share=float(np.sort(out_degree)[-top:].sum()) / graph.boundaries,
        max_out=int(out_degree.max()),
        heavy_owners=int(np.sum(out_degree >= 10_000)),
        import_s=import_s,
    )
    del graph, work
    for measure in MEASURES:
        say(f"fresh process: {measure}")
        results.measured[measure] = _in_fresh_process(folder, measure)
    return results


def _import(graph: Graph, db: Path) -> tuple[float, np.ndarray[Any, Any]]:
    """Seconds to open a new store and ``bulk_import`` the graph; each person's number."""
    from nocontact.engine import Engine

    ids = graph.person_ids()
    start = perf_counter()
    engine = Engine.open(db)
    engine.bulk_import(ids, graph.owners, graph.targets, graph.kinds)
    engine.close()
    seconds = perf_counter() - start
    engine = Engine.open(db)
    numbers = engine.person_numbers(ids)
    engine.close()
    return seconds, numbers


def _sibling(db: Path, suffix: str) -> Path:
    return db.with_name(db.name + suffix)


def _in_fresh_process(folder: Path, measure: str) -> dict[str, Any]:
    import nocontact

    src = str(Path(nocontact.__file__).resolve().parents[1])
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))
    )
    done = subprocess.run(
        [sys.executable, "-m", "nocontact.bench.product", str(folder), measure],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the {measure} process failed:\n{done.stderr}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


# -- the fresh process --------------------------------------------------------------------


def evict(db: Path) -> None:
    """Ask the kernel to drop the store's files from the page cache (best effort)."""
    for path in (db, _sibling(db, "-wal")):
        if not path.exists():
            continue
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)  # dirty pages cannot be dropped
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def cached_bytes(path: Path) -> int | None:
    """How much of ``path`` the page cache holds, from util-linux ``fincore`` (None without it)."""
    try:
        done = subprocess.run(
            ["fincore", "--bytes", "--noheadings", "--raw", "--output", "RES", str(path)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return int(done.stdout.split()[0])
    except (OSError, subprocess.CalledProcessError, ValueError, IndexError):
        return None


@dataclass
class Loaded:
    """The graph and workload, as the parent saved them, in the engine's person numbers."""

    numbers: np.ndarray[Any, Any]
    actors: list[int]
    pair_targets: list[int]
    viewers: list[int]
    candidates: list[list[int]]
    graph: Graph
    work: Workload
    boundaries: int


def _load(folder: Path) -> Loaded:
    saved = np.load(folder / "graph.npz")
    numbers = saved["numbers"]
    people, seed = (int(x) for x in saved["meta"])
    graph = Graph(people, saved["owners"], saved["targets"], saved["kinds"], seed)
    work = Workload(saved["actors"], saved["pair_targets"], saved["viewers"], saved["candidates"])
    return Loaded(
        numbers=numbers,
        actors=numbers[work.actors].tolist(),
        pair_targets=numbers[work.targets].tolist(),
        viewers=numbers[work.viewers].tolist(),
        candidates=numbers[work.candidates].tolist(),
        graph=graph,
        work=work,
        boundaries=graph.boundaries,
    )


def _dict_of_sets(data: Loaded) -> DictOfSets:
    """The dict of sets on the engine's person numbers, holding its own int objects."""
    owners = data.numbers[data.graph.owners].tolist()
    targets = data.numbers[data.graph.targets].tolist()
    return DictOfSets(owners, targets)


class DictOfSets:
    """Whom each person holds a boundary toward, and who holds one toward them."""

    def __init__(self, owners: list[int], targets: list[int]) -> None:
        self.out: dict[int, set[int]] = {}
        self.inc: dict[int, set[int]] = {}
        add_pairs(self.out, self.inc, owners, targets)

    def check(self, a: int, b: int) -> bool:
        return b in self.out.get(a, _EMPTY) or b in self.inc.get(a, _EMPTY)

    def feed(self, viewer: int, candidates: list[int]) -> list[bool]:
        held, toward = self.out.get(viewer, _EMPTY), self.inc.get(viewer, _EMPTY)
        return [c not in held and c not in toward for c in candidates]

    def batch(self, actors: list[int], targets: list[int]) -> list[bool]:
        out, inc = self.out, self.inc
        return [
            b in out.get(a, _EMPTY) or b in inc.get(a, _EMPTY)
            for a, b in zip(actors, targets, strict=True)
        ]


def _latency(x: Latency) -> dict[str, float]:
    return {"p50_ns": x.p50_ns, "p99_ns": x.p99_ns, "samples": x.samples}


def _rate(x: Throughput) -> float:
    return x.per_second


def measure_open(folder: Path) -> dict[str, Any]:
    """Cold open to the first answer, and resident growth against ``index_nbytes()``."""
    db = folder / "nocontact.db"
    boundaries = int(np.load(folder / "graph.npz")["owners"].size)
    cached_before = cached_bytes(db)
    evict(db)
    cached_after = cached_bytes(db)
    start = perf_counter()
    from nocontact.core.model import Action
    from nocontact.engine import Engine

    import_s = perf_counter() - start
    gc.collect()
    resident = resident_bytes()
    start = perf_counter()
    engine = Engine.open(db)
    engine.decide_number(0, Action.MESSAGE, 1)
    open_s = perf_counter() - start
    gc.collect()
    growth = resident_bytes() - resident
    parts = engine.index_nbytes()
    engine.close(checkpoint=False)
    return {
        "import_module_s": import_s,
        "open_s": open_s,
        "resident_bytes": growth,
        "index_nbytes": sum(parts.values()),
        "interning_bytes": parts.get(INTERNING, 0),
        "boundaries": boundaries,
        "file_bytes": db.stat().st_size,
        "cached_before": cached_before,
        "cached_after": cached_after,
    }


def _open_cold(folder: Path) -> Any:
    from nocontact.engine import Engine

    db = folder / "nocontact.db"
    evict(db)
    return Engine.open(db)


def measure_decide(folder: Path) -> dict[str, Any]:
    from nocontact.core.model import Action
    from nocontact.core.semantics import DEFAULT

    engine = _open_cold(folder)
    data = _load(folder)
    gc.collect()
    resident = resident_bytes()
    peer = _dict_of_sets(data)  # the edge lists it was built from are gone: all it holds
    gc.collect()
    dict_bytes = resident_bytes() - resident
    overhead = timer_overhead_ns()
    message = Action.MESSAGE
    pairs = list(zip(data.actors, data.pair_targets, strict=True))
    ours, theirs = time_interleaved(
        (engine.decide_number, [(a, message, b) for a, b in pairs]),
        (peer.check, pairs),
        overhead,
    )
    n = min(BATCH, len(pairs))
    a_list, b_list = data.actors[:n], data.pair_targets[:n]
    a_arr, b_arr = np.array(a_list, np.int64), np.array(b_list, np.int64)

    def ids_from_lists(a: list[int], b: list[int]) -> list[int]:
        answer: list[int] = engine.decide_ids(a, message, b)
        return answer

    lists, dict_batch = time_batches_interleaved(
        (ids_from_lists, [(a_list, b_list)]), (peer.batch, [(a_list, b_list)]), n
    )
    arrays, _ = time_batches_interleaved(
        (engine.decide_ids, [(a_arr, message, b_arr)]), (peer.batch, [(a_list, b_list)]), n
    )
    # The answers, checked apart from the clock.
    m = min(CHECK_PAIRS, len(pairs))
    work = data.work
    reference = Reference(data.graph, np.concatenate((work.actors[:m], work.targets[:m])))
    truth = either_way(data.graph.keys(), work.actors[:m], work.targets[:m]).tolist()
    default = DEFAULT[message].outcome
    differ = dict_differ = hits = 0
    for i, (a, b) in enumerate(pairs[:m]):
        got = engine.decide_number(a, message, b).outcome
        want = reference.outcome(message, int(work.actors[i]), int(work.targets[i]))
        differ += got is not want
        dict_differ += peer.check(a, b) != truth[i]
        hits += got is not default
    engine.close(checkpoint=False)
    return {
        "decide_number": _latency(ours),
        "dict_check": _latency(theirs),
        "decide_ids_lists": _rate(lists),
        "decide_ids_arrays": _rate(arrays),
        "dict_batch": _rate(dict_batch),
        "batch": n,
        "dict_bytes": dict_bytes,
        "checked": m,
        "differ": differ,
        "dict_differ": dict_differ,
        "not_default": hits,
        "timer_overhead_ns": overhead,
    }


def measure_visible(folder: Path) -> dict[str, Any]:
    from nocontact.core.model import Action, Outcome

    engine = _open_cold(folder)
    data = _load(folder)
    peer = _dict_of_sets(data)
    overhead = timer_overhead_ns()

    def from_list(viewer: int, candidates: list[int]) -> list[bool]:
        answer: list[bool] = engine.visible_ids(viewer, candidates)
        return answer

    feeds = list(zip(data.viewers, data.candidates, strict=True))
    ours, theirs = time_interleaved((from_list, feeds), (peer.feed, feeds), overhead, round_size=10)
    arrays = [(v, np.array(c, np.int64)) for v, c in feeds]
    ours_arrays, theirs_again = time_interleaved(
        (engine.visible_ids, arrays), (peer.feed, feeds), overhead, round_size=10
    )
    m = min(CHECK_FEEDS, len(feeds))
    work = data.work
    reference = Reference(
        data.graph, np.concatenate((work.viewers[:m], work.candidates[:m].ravel()))
    )
    keys = data.graph.keys()
    differ = dict_differ = checked = 0
    for i, (viewer, row) in enumerate(feeds[:m]):
        got = from_list(viewer, row)
        people = work.candidates[i]
        hidden = either_way(keys, np.full(people.size, work.viewers[i], np.int32), people)
        dict_differ += int(np.sum(np.array(peer.feed(viewer, row)) == hidden))
        for author, shown in zip(people.tolist(), got, strict=True):
            want = reference.outcome(Action.VIEW_POST, int(work.viewers[i]), author)
            differ += shown != (want is Outcome.SHOW)
            checked += 1
    engine.close(checkpoint=False)
    return {
        "visible_list": _latency(ours),
        "dict_feed": _latency(theirs),
        "visible_arrays": _latency(ours_arrays),
        "dict_feed_again": _latency(theirs_again),
        "feed_size": len(data.candidates[0]) if data.candidates else 0,
        "checked": checked,
        "differ": differ,
        "dict_differ": dict_differ,
    }


MEASURES = {"open": measure_open, "decide": measure_decide, "visible": measure_visible}


# -- the report ---------------------------------------------------------------------------


def _us(ns: float) -> str:
    return f"{ns / 1000:.2f} µs"


def _ratio(ours: float, theirs: float) -> float:
    return ours / theirs if theirs else float("inf")


@dataclass(frozen=True)
class Target:
    what: str
    measured: str
    goal: str
    met: bool


def targets(r: Results) -> list[Target]:
    """The issue's targets, judged on the measured values."""
    d, v, o = r.measured["decide"], r.measured["visible"], r.measured["open"]
    scale = r.options.boundaries / FULL_SIZE
    p50 = _ratio(d["decide_number"]["p50_ns"], d["dict_check"]["p50_ns"])
    p99 = _ratio(d["decide_number"]["p99_ns"], d["dict_check"]["p99_ns"])
    feed = _ratio(v["visible_list"]["p50_ns"], v["dict_feed"]["p50_ns"])
    resident = o["resident_bytes"] / o["boundaries"]
    reported = o["index_nbytes"] / o["boundaries"]
    off = abs(reported - resident) / resident if resident > 0 else float("inf")
    import_goal, open_goal = 60 * scale, 3 * scale
    return [
        Target("decide_number p50", f"{p50:.2f}×", "≤ 0.5× the dict", p50 <= 0.5),
        Target("decide_number p99", f"{p99:.2f}×", "≤ 1× the dict", p99 <= 1.0),
        Target("visible, list of 1,000, p50", f"{feed:.2f}×", "≤ 0.35× the dict", feed <= 0.35),
        Target("memory, resident", f"{resident:.1f} B/boundary", "≤ 20 B", resident <= 20),
        Target(
            "index_nbytes() against resident",
            f"{reported:.1f} B ({off:.0%} off)",
            "within 10 %",
            off <= 0.10,
        ),
        Target(
            "bulk_import into SQLite",
            f"{r.import_s:.1f} s",
            f"≤ {import_goal:.1f} s (60 s for 10 M)",
            r.import_s <= import_goal,
        ),
        Target(
            "cold open to first answer",
            f"{o['open_s']:.2f} s",
            f"≤ {open_goal:.2f} s (3 s for 10 M)",
            o["open_s"] <= open_goal,
        ),
        Target(
            "decide_ids, arrays",
            f"{d['decide_ids_arrays'] / 1e6:.1f} M/s",
            "≥ 20 M/s",
            d["decide_ids_arrays"] >= 20e6,
        ),
    ]


METHOD = """\
Method. `nocontact bench --product` generates the heavy-tailed graph (seed {seed}; owners
drawn with power-law exponent {exponent}, targets 0.8) and
imports it into a SQLite file with the engine's public `bulk_import` (timed: open a new
store, import, close). Every other figure is taken in a new Python process that first
evicts the file and its `-wal` from the page cache with `posix_fadvise(POSIX_FADV_DONTNEED)`
after an `fsync` (best effort: without root `drop_caches` the kernel may keep some pages;
util-linux `fincore` says how much stayed, below), then opens the engine from the file.
Cold open is the time from `Engine.open` to the first
`decide_number` answer; memory is the growth of the process's resident set
(`/proc/self/statm`, after a collection) over that, per boundary, next to the sum of
`index_nbytes()`; the dict of sets' is the same growth over its build, the lists it was
built from dropped. The timing processes build a dict of sets (`out[a]`, `inc[b]`) from
the same edges, keyed by the engine's person numbers, and hand both sides the same plain
Python values: `decide_number(a, Action.MESSAGE, b)` returning a `Decision` against
`b in out[a] or b in inc[a]`; `visible_ids(viewer, list_of_ints)` (a list of bools) against a list
comprehension over the same list. Every call is timed on its own with
`time.perf_counter_ns` ({overhead} ns of timer cost measured and subtracted), the garbage
collector off, in alternating rounds (100 decides or 10 feeds of one side, then of the other,
the side going first swapping each round) so both share the machine's noise; p50 and p99 are
over all calls. Batches (`decide_ids` on {batch:,} pairs) alternate whole runs, five each,
median kept. Of the pairs, about 1 % hold a boundary one way or the other; a third of the
actors of the others and a third of the feed viewers are owners of a random boundary
(drawn by out-degree: the heavy users). The array-in rows hand the engine numpy arrays
prepared before the clock. Apart from the clock, {checked:,} decisions and {vchecked:,}
visibility answers are compared with the reference built from the semantics table, and the
dict of sets' answers with the ground truth from the sorted edges.
"""


def markdown(r: Results, command: str, plot: Path | None = None, out: Path | None = None) -> str:
    d, v, o = r.measured["decide"], r.measured["visible"], r.measured["open"]
    o_n = r.options
    lines = [
        "## As a product calls it",
        "",
        f"Written by `nocontact bench --product` on {r.started}, with:",
        "",
        f"```\n{command}\n```",
        "",
        f"{o_n.boundaries:,} boundaries among {o_n.people:,} people (the top 1 % of owners hold"
        f" {r.top_out_share:.0%}, {r.heavy_owners:,} hold 10,000 or more,"
        f" the heaviest {r.max_out:,});"
        f" {d['decide_number']['samples']:,} single decides, {v['visible_list']['samples']:,}"
        f" feeds of {v['feed_size']:,}.",
        "",
    ]
    rows = []

    def latency(what: str, ours: dict[str, float], theirs: dict[str, float]) -> None:
        rows.append(
            [
                what,
                f"{_us(theirs['p50_ns'])} / {_us(theirs['p99_ns'])}",
                f"{_us(ours['p50_ns'])} / {_us(ours['p99_ns'])}",
                f"{_ratio(ours['p50_ns'], theirs['p50_ns']):.2f}× /"
                f" {_ratio(ours['p99_ns'], theirs['p99_ns']):.2f}×",
            ]
        )

    latency("`decide_number`, ints in, `Decision` out", d["decide_number"], d["dict_check"])
    latency("`visible_ids`, list of 1,000 in, list out", v["visible_list"], v["dict_feed"])
    latency("`visible_ids`, array in, array out", v["visible_arrays"], v["dict_feed_again"])
    for what, rate in (
        ("`decide_ids`, lists in, list out", d["decide_ids_lists"]),
        ("`decide_ids`, arrays in, array out", d["decide_ids_arrays"]),
    ):
        rows.append(
            [
                f"{what} ({d['batch']:,} pairs)",
                f"{d['dict_batch'] / 1e6:.2f} M/s",
                f"{rate / 1e6:.2f} M/s",
                f"{_ratio(d['dict_batch'], rate):.2f}× the time",
            ]
        )
    per = o["boundaries"]
    rows.append(
        [
            "memory per boundary (resident growth)",
            f"{d['dict_bytes'] / per:.1f} B",
            f"{o['resident_bytes'] / per:.1f} B (`index_nbytes()`: {o['index_nbytes'] / per:.1f} B,"
            f" interning {o['interning_bytes'] / per:.1f} B)",
            f"{_ratio(o['resident_bytes'], d['dict_bytes']):.2f}×",
        ]
    )
    rows.append(["`bulk_import` into SQLite", "", f"{r.import_s:.1f} s", ""])
    rows.append(
        [
            "open, fresh process, file evicted, to the first answer",
            "",
            f"{o['open_s']:.2f} s (importing the module: {o['import_module_s']:.2f} s)",
            "",
        ]
    )
    mb = 2**20
    cache = (
        f"fincore: {o['cached_before'] / mb:.1f} MB cached before the eviction,"
        f" {o['cached_after'] / mb:.1f} MB after"
        if o["cached_before"] is not None and o["cached_after"] is not None
        else "fincore not available: the eviction was not checked"
    )
    header = ["figure", "dict of sets (p50 / p99)", "nocontact (p50 / p99)", "ratio (p50 / p99)"]
    lines += table(header, rows)
    lines += ["", "Targets (from the issue; import and cold start scaled to this size):", ""]
    lines += table(
        ["target", "measured", "goal", "verdict"],
        [[t.what, t.measured, t.goal, verdict(t.met)] for t in targets(r)],
    )
    checks = (
        f"Answers: {d['differ'] + v['differ']:,} of {d['checked'] + v['checked']:,} nocontact"
        f" answers differ from the reference; {d['dict_differ'] + v['dict_differ']:,} of the dict"
        " of sets' differ from the ground truth."
    )
    lines += ["", checks, ""]
    lines += [f"The store: {o['file_bytes'] / mb:.1f} MB on disk; {cache}.", ""]
    if plot is not None:
        where = os.path.relpath(plot, out.parent if out is not None else Path.cwd())
        lines += [f"![ratios to the dict of sets]({where})", ""]
    lines += [
        METHOD.format(
            seed=o_n.seed,
            exponent=OUT_EXPONENT,
            overhead=r.measured["decide"].get("timer_overhead_ns", "the"),
            batch=d["batch"],
            checked=d["checked"],
            vchecked=v["checked"],
        )
        .replace("\n", " ")
        .strip(),
    ]
    return "\n".join(lines) + "\n"


def plot(r: Results, path: Path) -> str | None:
    """Bars of each latency's ratio to the dict of sets, p50 and p99; returns why not."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        from nocontact.bench import EXTRA

        return f"matplotlib is not installed: {EXTRA}"
    d, v = r.measured["decide"], r.measured["visible"]
    pairs = [
        ("decide_number", d["decide_number"], d["dict_check"], (0.5, 1.0)),
        ("visible (list)", v["visible_list"], v["dict_feed"], (0.35, None)),
        ("visible (array)", v["visible_arrays"], v["dict_feed_again"], (None, None)),
    ]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for i, (_, ours, theirs, goals) in enumerate(pairs):
        for j, q in enumerate(("p50_ns", "p99_ns")):
            x = i * 3 + j
            ax.bar(x, _ratio(ours[q], theirs[q]), color=("C0", "C1")[j])
            goal = goals[j]
            if goal is not None:
                ax.hlines(goal, x - 0.4, x + 0.4, colors="k", linestyles="dashed")
    ax.set_xticks([i * 3 + 0.5 for i in range(len(pairs))], [p[0] for p in pairs])
    ax.axhline(1.0, color="grey", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_ylabel("time ÷ dict of sets (log)")
    ax.set_title("p50 (blue) and p99 (orange); dashed: the target")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


def to_json(r: Results) -> str:
    data = asdict(r)
    data["options"]["folder"] = str(r.options.folder)
    return json.dumps(data, indent=1)


def main(argv: list[str]) -> None:
    folder, measure = Path(argv[0]), argv[1]
    found = MEASURES[measure](folder)
    print(json.dumps(found))


if __name__ == "__main__":
    main(sys.argv[1:])


__all__ = ["Options", "Results", "markdown", "plot", "run", "targets"]
