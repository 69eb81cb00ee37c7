"""The results, shown: a rich table on screen, ``BENCHMARKS.md`` and a PNG plot.

Pure rendering of :class:`~nocontact.bench.runner.Results`; the targets of DESIGN
section 7 are judged here, from the figures of the same run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

from nocontact.bench import EXTRA, sections
from nocontact.bench.graph import FEED_SIZE, IN_EXPONENT, KIND_MIX, OUT_EXPONENT
from nocontact.bench.runner import Results, Row
from nocontact.bench.subject import INTERNING
from nocontact.bench.timing import BATCH_RUNS_MIN

#: The section of ``BENCHMARKS.md`` that :func:`markdown` fills (see :mod:`.sections`).
SECTION = "bench"
BASELINE = "dict"
#: DESIGN section 7, for nocontact.
MEMORY_TARGET = 16.0
SINGLE_TARGET = 1.0
FEED_TARGET_NS = 25_000.0
BATCH_TARGET = 5_000_000.0
COLD_TARGET_S = 10.0
COLD_SIZE = 10_000_000


@dataclass(frozen=True, slots=True)
class Target:
    figure: str
    target: str
    measured: str
    #: None when this run could not judge it.
    met: bool | None

    @property
    def verdict(self) -> str:
        return {True: "met", False: "missed", None: "not judged"}[self.met]


def duration(ns: float | None) -> str:
    if ns is None:
        return "—"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.0f} ns"


def rate(per_second: float | None) -> str:
    if per_second is None:
        return "—"
    if per_second >= 1e6:
        return f"{per_second / 1e6:.3g} M/s"
    if per_second >= 1e3:
        return f"{per_second / 1e3:.3g} k/s"
    return f"{per_second:.3g}/s"


def times(value: float | None, base: float | None) -> str:
    """``value`` as a multiple of ``base``, to two or three significant digits."""
    if value is None or not base:
        return ""
    x = value / base
    if x >= 100:
        return f"{x:,.0f}×"
    if x >= 10:
        return f"{x:.0f}×"
    return f"{x:.2f}×" if x >= 0.1 else f"{x:.2g}×"


def _figures(results: Results) -> list[tuple[str, Callable[[Row], float | None], str]]:
    """Each column: title, the figure of a row, its kind (time in ns, s, bytes, rate)."""
    n = results.options.boundaries
    return [
        ("build", lambda r: None if r.build_s is None else r.build_s * 1e9, "ns"),
        ("memory / boundary", lambda r: r.memory_bytes / n if r.memory_bytes else None, "B"),
        ("single p50", lambda r: r.single.p50_ns if r.single else None, "ns"),
        ("single p99", lambda r: r.single.p99_ns if r.single else None, "ns"),
        (f"visible {results.feed_size:,} p50", lambda r: r.feed.p50_ns if r.feed else None, "ns"),
        (f"visible {results.feed_size:,} p99", lambda r: r.feed.p99_ns if r.feed else None, "ns"),
        ("batch", lambda r: r.batch.per_second if r.batch else None, "rate"),
    ]


def cells(results: Results, row: Row, between: str = " ") -> list[str]:
    """A row's figures, each with its ratio to the dict of sets of the same run."""
    if row.skipped is not None:
        return [f"skipped: {row.skipped}"] + [""] * (len(_figures(results)) - 1)
    base = results.row(BASELINE)
    shown = []
    for _, figure, kind in _figures(results):
        value = figure(row)
        text = _format(kind, value)
        ratio = "" if base is None or row is base else times(value, figure(base))
        shown.append(f"{text}{between}({ratio})" if ratio else text)
    return shown


def _format(kind: str, value: float | None) -> str:
    if kind == "rate":
        return rate(value)
    if kind == "B":
        return "—" if value is None else f"{value:.1f} B"
    return duration(value)


def targets(results: Results) -> list[Target]:
    """DESIGN section 7's figures for nocontact, judged on this run."""
    me = results.row("nocontact")
    base = results.row(BASELINE)
    if me is None:
        return []
    n = results.options.boundaries
    judged: list[Target] = []
    per = me.memory_bytes / n if me.memory_bytes is not None else None
    judged.append(
        Target(
            "index memory",
            f"≤ {MEMORY_TARGET:g} B per boundary",
            "—" if per is None else f"{per:.2f} B per boundary",
            None if per is None else per <= MEMORY_TARGET,
        )
    )
    if me.single and base and base.single and base.single.p50_ns:
        multiple = me.single.p50_ns / base.single.p50_ns
        judged.append(
            Target(
                "one `decide`, full call, p50",
                f"≤ {SINGLE_TARGET:g}× a dict-of-sets bare membership check",
                f"{duration(me.single.p50_ns)} = {multiple:.2f}× ({duration(base.single.p50_ns)})",
                multiple <= SINGLE_TARGET,
            )
        )
        by_id = results.single_by_id
        if by_id is not None:
            multiple = by_id.p50_ns / base.single.p50_ns
            judged.append(
                Target(
                    "one `decide` by person id (strings), p50",
                    "(for reference: the same call, ids looked up first)",
                    f"{duration(by_id.p50_ns)} = {multiple:.2f}×",
                    None,
                )
            )
    else:
        judged.append(
            Target("one `decide`, full call, p50", "≤ 1× dict of sets", "no dict of sets", None)
        )
    feed = me.feed.p50_ns if me.feed else None
    judged.append(
        Target(
            f"`visible`, {results.feed_size:,} candidates, p50",
            f"≤ {duration(FEED_TARGET_NS)} (with {FEED_SIZE:,} candidates)",
            duration(feed),
            None if feed is None or results.feed_size != FEED_SIZE else feed <= FEED_TARGET_NS,
        )
    )
    batch = me.batch.per_second if me.batch else None
    judged.append(
        Target(
            "`decide_many` on person ids",
            f"≥ {BATCH_TARGET:,.0f} decisions/s",
            "—" if batch is None else f"{batch:,.0f} decisions/s",
            None if batch is None else batch >= BATCH_TARGET,
        )
    )
    cold = results.cold_start_s
    judged.append(
        Target(
            f"cold start, {n:,} boundaries in SQLite",
            f"≤ {COLD_TARGET_S:g} s (at {COLD_SIZE:,} boundaries)",
            "—" if cold is None else f"{cold:.2f} s",
            None if cold is None else cold <= COLD_TARGET_S,
        )
    )
    return judged


def table(results: Results) -> Table:
    """The on-screen table."""
    shown = Table(
        title=f"{results.options.people:,} people, {results.options.boundaries:,} boundaries"
        " (ratios to the dict of sets)"
    )
    shown.add_column("approach", style="bold", no_wrap=True)
    for title, _, _ in _figures(results):
        shown.add_column(title, justify="right")
    for row in results.rows:
        shown.add_row(row.label, *cells(results, row, between="\n"))
    return shown


def targets_table(results: Results) -> Table:
    shown = Table(title="nocontact against DESIGN section 7")
    for title in ("figure", "target", "measured", ""):
        shown.add_column(title)
    for t in targets(results):
        style = {True: "green", False: "red", None: "yellow"}[t.met]
        shown.add_row(t.figure, t.target, t.measured, f"[{style}]{t.verdict}")
    return shown


def _workload(results: Results) -> list[str]:
    o, s = results.options, results.shape
    kinds = ", ".join(f"{share:.0%} {kind.value}" for kind, share in KIND_MIX.items())
    return [
        f"- **{o.people:,} people, {o.boundaries:,} directed boundaries**, seed {o.seed},"
        f" generated with numpy in {results.generation_s:.1f} s. Heavy-tailed: owners are drawn"
        f" with weight rank^-{OUT_EXPONENT}, targets with rank^-{IN_EXPONENT} (random ranks);"
        " no self-loops, no duplicate pairs.",
        f"  The most boundaries one person holds: {s['max_out']:,.0f}, receives:"
        f" {s['max_in']:,.0f} (medians {s['median_out']:g} and {s['median_in']:g}); the top 1%"
        f" of people hold {s['top_out_share']:.0%} and receive {s['top_in_share']:.0%} of all"
        f" boundaries. Kinds: {kinds}.",
        f"- **{results.pairs:,} query pairs**, {results.hits:,}"
        f" ({results.hits / max(results.pairs, 1):.2%}) with a boundary one way or the other.",
        f"- **{results.feeds:,} viewers with {results.feed_size:,} candidate authors each**,"
        " drawn at random, about 1% of them people the viewer has a boundary with (where the"
        " viewer has any).",
    ]


def _measures(results: Results) -> list[str]:
    me = results.row("nocontact")
    lines = [
        "- **nocontact** answers the full question. *single*: `Engine.decide_number(actor,"
        " message, target)` returning its `Decision`, handed two person numbers as the"
        " baselines are handed two integers; the targets table also gives"
        " `Engine.decide(Interaction(actor, message, target))` with person ids as strings"
        " (the `Interaction` objects made before timing, as a caller holds one), which adds"
        " two lookups of string ids in a dict of a million keys; *visible*:"
        " `Engine.visible_ids(viewer, candidates)` on person numbers (`view_post` is `show`);"
        " *batch*: `Engine.decide_ids(actors, message, targets)` on person numbers, over all"
        " query pairs in one call. *Build*: `Engine.bulk_import` into a new SQLite file"
        " (store and index). *Memory*: `Engine.index_nbytes()`, the boundary index's arrays"
        + (
            " ("
            + ", ".join(
                f"{part} {size / results.options.boundaries:.2f} B"
                for part, size in results.index_parts.items()
                if part != INTERNING
            )
            + " per boundary)"
            if results.index_parts
            else ""
        )
        + "; interning the person ids takes another"
        f" {results.index_parts.get(INTERNING, 0) / results.options.people:.1f} B per person."
    ]
    if me is not None and results.nocontact_resident is not None:
        mib = results.nocontact_resident / 2**20
        lines.append(
            f"  The process's resident memory grew by {mib:,.0f} MiB over the bulk import"
            " (store connection, caches and index)."
            if mib >= 0
            else f"  The process's resident memory shrank by {-mib:,.0f} MiB over the bulk"
            " import: at its end the import hands back to the system what it freed, the"
            " generated graph's temporaries included (the index's own size is above)."
        )
    if results.cold_start_s is not None:
        lines.append(
            f"  *Cold start*: close, then `Engine.open` on the {results.options.boundaries:,}"
            f"-boundary SQLite file to a ready engine: {results.cold_start_s:.2f} s (the file"
            " was just written, so it sits in the OS page cache)."
        )
    lines.append(
        '- **The baselines** answer only the bare question "is there a boundary between A and'
        ' B, either way?" (they know nothing of kinds): *single* one pair, *visible* a mask for'
        " a viewer's candidates, *batch* every query pair. The dict of sets and SQLite take"
        " Python ints (lists made before timing); numpy takes arrays; PostgreSQL and Redis pay"
        " a round trip to 127.0.0.1 per single call and per feed, and batch in chunks"
        " (`unnest` joins of 10,000 pairs; pipelines of 5,000 pairs)."
    )
    for row in results.rows:
        if row.name == "nocontact" or row.skipped is not None:
            continue
        samples = ""
        if row.single and row.feed and row.batch:
            samples = (
                f"; {row.single.samples:,} single calls, {row.feed.samples:,} feeds,"
                f" a batch of {row.batch.items:,}"
            )
        lines.append(f"  - {row.label}: memory by {row.memory_method}; {row.software}{samples}.")
    return lines


def _method(results: Results) -> list[str]:
    return [
        "- Every single call and every feed is timed on its own with `time.perf_counter_ns`,"
        f" minus the timer's own cost ({results.timer_overhead_ns} ns, measured in this run);"
        " p50 and p99 over all calls. The garbage collector is off during timed loops, and"
        " each loop starts with untimed warm-up calls.",
        f"- A batch is run at least {BATCH_RUNS_MIN} times (up to 5, until 1 s is spent);"
        " its throughput is from the median run.",
        "- Ratios in parentheses are to the dict of sets of the same run: below 1× is better"
        " for times and memory, above 1× for batch throughput.",
        "- Memory is measured, never estimated: `tracemalloc` over the dict-of-sets build,"
        " file sizes for SQLite, `pg_total_relation_size` for PostgreSQL, the growth of INFO"
        " `used_memory` for Redis, `nbytes` for numpy, `index_nbytes()` for nocontact.",
    ]


def markdown(results: Results, command: str, plot: Path | None, out: Path) -> str:
    """The section of ``BENCHMARKS.md`` this benchmark writes (see :mod:`.sections`)."""
    o = results.options
    lines = [
        f"Written by `nocontact bench` on {results.started:%Y-%m-%d %H:%M} UTC, with:",
        "",
        "```",
        command,
        "```",
        "",
        "## Machine",
        "",
        *sections.table(["", ""], [[k, v] for k, v in results.machine.items()]),
        "",
        "## Workload",
        "",
        *_workload(results),
        "",
        "## nocontact against its targets (DESIGN section 7)",
        "",
        *sections.table(
            ["figure", "target", "measured", ""],
            [[t.figure, t.target, t.measured, sections.verdict(t.met)] for t in targets(results)],
        ),
        "",
    ]
    if o.boundaries != COLD_SIZE:
        lines += [
            f"The targets are set for {COLD_SIZE:,} boundaries; this run has {o.boundaries:,}.",
            "",
        ]
    lines += [
        "## Results",
        "",
        *sections.table(
            ["approach"] + [title for title, _, _ in _figures(results)],
            [[row.label, *cells(results, row)] for row in results.rows],
        ),
        "",
    ]
    if plot is not None:
        lines += [f"![the figures, per approach]({os.path.relpath(plot, out.parent)})", ""]
    lines += [
        "## Correctness",
        "",
        *[f"- {verdict.line()}." for verdict in results.checks],
        *[
            f"- {row.label}: its batch and feed answers"
            f" {'equal' if row.agrees else '**differ from**'} the ground truth."
            for row in results.rows
            if row.agrees is not None
        ],
        "",
        "## What each row measures",
        "",
        *_measures(results),
        "",
        "## Method",
        "",
        *_method(results),
        "",
    ]
    return "\n".join(lines)


def plot(results: Results, path: Path) -> str | None:
    """Bars of each figure per approach on log scales; returns why not, if it cannot."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return f"matplotlib is not installed: {EXTRA}"
    rows = [r for r in results.rows if r.skipped is None]
    n = results.options.boundaries
    base = results.row(BASELINE)
    panels: list[tuple[str, Callable[[Row], float | None], float | None]] = [
        (
            "single call p50 (µs)",
            lambda r: r.single.p50_ns / 1e3 if r.single else None,
            base.single.p50_ns / 1e3 * SINGLE_TARGET if base and base.single else None,
        ),
        (
            f"visible, {results.feed_size:,} candidates, p50 (µs)",
            lambda r: r.feed.p50_ns / 1e3 if r.feed else None,
            FEED_TARGET_NS / 1e3,
        ),
        ("batch (decisions/s)", lambda r: r.batch.per_second if r.batch else None, BATCH_TARGET),
        (
            "memory (bytes/boundary)",
            lambda r: r.memory_bytes / n if r.memory_bytes else None,
            MEMORY_TARGET,
        ),
    ]
    figure, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    for ax, (title, value, target) in zip(axes.flat, panels, strict=True):
        shown = [(r.label, v) for r in rows if (v := value(r)) is not None and v > 0]
        colours = ["#c0392b" if label == "nocontact" else "#7f8c8d" for label, _ in shown]
        ax.bar([label for label, _ in shown], [v for _, v in shown], color=colours)
        ax.set_yscale("log")
        ax.set_title(title)
        ax.tick_params(axis="x", rotation=30, labelsize=8)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
        if target is not None:
            ax.axhline(target, color="#c0392b", linestyle="--", linewidth=1, label="target")
            ax.legend(fontsize=8)
    figure.suptitle(
        f"nocontact bench: {results.options.people:,} people, {n:,} boundaries"
        f" (seed {results.options.seed})"
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return None
