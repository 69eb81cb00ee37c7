"""``nocontact bench`` at a tiny size: it runs end to end and writes its report and plot.

Functional only: no figure is judged here (the targets live in the benchmark itself).
PostgreSQL and Redis take part when they can be reached; otherwise their rows say why,
and the tests about them are skipped with that reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from nocontact.bench.baselines import LABELS
from nocontact.bench.graph import generate, pack, workload
from nocontact.bench.reference import resolve
from nocontact.cli import main
from nocontact.core.model import Action, Kind, Outcome

TINY = ["--people", "2000", "--boundaries", "20000", "--queries", "2000"]


@dataclass(frozen=True)
class Run:
    exit_code: int
    output: str
    report: str
    plot: Path

    def row(self, label: str) -> str:
        """The results row of ``label`` (the widest row it heads: not the software table)."""
        found = re.findall(rf"^\| {re.escape(label)} \|.*$", self.report, re.M)
        assert found, f"no row for {label} in the report"
        return max(found, key=lambda row: row.count("|"))


#: The HTTP benchmark's section, as a run of ``nocontact bench --http`` left it.
HTTP_SECTION = (
    "<!-- bench-http:start -->\n## HTTP service\n\nstale figures\n<!-- bench-http:end -->\n"
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = tmp_path_factory.mktemp("bench")
    out, plot = folder / "BENCHMARKS.md", folder / "bench.png"
    out.write_text("# Benchmarks\n\n" + HTTP_SECTION)
    result = CliRunner().invoke(
        main, ["bench", *TINY, "--out", str(out), "--plot", str(plot)], catch_exceptions=False
    )
    print(result.output)
    return Run(result.exit_code, result.output, out.read_text() if out.exists() else "", plot)


def test_bench_writes_report_and_plot(tiny: Run) -> None:
    """A tiny run exits 0 and writes BENCHMARKS.md (with the command) and a PNG."""
    assert tiny.exit_code == 0, tiny.output
    assert "nocontact bench --people 2000 --boundaries 20000 --seed 42" in tiny.report
    assert tiny.plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert tiny.plot.name in tiny.report


def test_bench_keeps_the_http_section(tiny: Run) -> None:
    """``nocontact bench`` replaces its own section only: the HTTP one stays, after it."""
    assert tiny.report.startswith("# Benchmarks\n\n<!-- bench:start -->\nWritten by")
    assert tiny.report.count("# Benchmarks") == 1
    assert tiny.report.endswith("<!-- bench:end -->\n\n" + HTTP_SECTION)


def test_bench_http_keeps_the_bench_section(
    tiny: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``nocontact bench --http`` replaces its own section only: the engine's stays."""
    from nocontact.bench import http as bench_http

    found = bench_http.HttpResults(
        9000.0, 1.0, 2.0, 4500.0, 0.5, 1.5, 1_200_000.0, 8.0, 12.0, "nocontact bench --http",
        half_lag_p99_ms=0.8, single_cpu_ms=0.1, batch_cpu_ms=7.5,
    )  # fmt: skip
    calls: list[float] = []

    def run(seconds: float, command: str) -> bench_http.HttpResults:
        calls.append(seconds)
        return found

    monkeypatch.setattr(bench_http, "run", run)
    out = tmp_path / "BENCHMARKS.md"
    out.write_text(tiny.report)
    engine_part = tiny.report.split("<!-- bench-http:start -->")[0]
    for _ in range(2):  # a second run replaces the section it wrote
        result = CliRunner().invoke(main, ["bench", "--http", "--out", str(out)])
        assert result.exit_code == 0, result.output
    text = out.read_text()
    assert calls == [5.0, 5.0]
    assert text.startswith(engine_part)
    assert text.count("<!-- bench-http:start -->") == 1 and text.count("## HTTP service") == 1
    assert "1,200,000" in text and "7.50 ms" in text and "stale figures" not in text
    assert text.endswith("<!-- bench-http:end -->\n")


def test_sections_replace_only_their_own() -> None:
    """A section is replaced between its markers, or put in its place when it is new."""
    from nocontact.bench import sections

    new = sections.replace("", "bench-http", "## HTTP\n")
    assert new == "<!-- bench-http:start -->\n## HTTP\n<!-- bench-http:end -->\n"
    both = sections.replace("# Benchmarks\n\n" + new + "\nnotes\n", "bench", "engine\n")
    assert both == (
        "# Benchmarks\n\n<!-- bench:start -->\nengine\n<!-- bench:end -->\n\n"
        "<!-- bench-http:start -->\n## HTTP\n<!-- bench-http:end -->\n\nnotes\n"
    )
    again = sections.replace(both, "bench-http", "## HTTP, again")
    assert again == both.replace("## HTTP\n", "## HTTP, again\n")
    assert sections.replace(again, "bench", "engine") == again


def test_every_approach_has_a_row(tiny: Run) -> None:
    """nocontact and every baseline has a row: figures, or the reason it was skipped."""
    for label in ("nocontact", *LABELS.values()):
        assert tiny.row(label)
    for label in ("nocontact", LABELS["dict"], LABELS["sqlite"], LABELS["numpy"]):
        assert "skipped" not in tiny.row(label)
        assert " µs" in tiny.row(label) or " ns" in tiny.row(label)


def test_correctness_check_passed(tiny: Run) -> None:
    """nocontact's sampled decisions equal the reference; the baselines the ground truth."""
    assert re.search(r"[\d,]+ sampled decisions equal the reference", tiny.report)
    assert re.search(r"[\d,]+ sampled visibility answers equal the reference", tiny.report)
    assert "differ" not in tiny.report


def test_targets_are_judged(tiny: Run) -> None:
    """The report says, for each target, whether nocontact met it."""
    targets = tiny.report.split("## nocontact against its targets")[1].split("## Results")[0]
    for figure in ("index memory", "one `decide`", "`visible`", "`decide_many`", "cold start"):
        assert figure in targets
    assert targets.count("| met |") + targets.count("**missed**") >= 4


@pytest.mark.parametrize("name", ["postgres", "redis"])
def test_server_baselines(tiny: Run, name: str) -> None:
    """PostgreSQL and Redis are measured when reachable, else skipped with the reason."""
    row = tiny.row(LABELS[name])
    if "skipped" in row:
        reason = row.split("skipped: ", 1)[1].split(" |")[0]
        assert reason in tiny.output.replace("\n", " ") or LABELS[name] in tiny.output
        pytest.skip(f"{LABELS[name]}: {reason}")
    assert "equal the ground truth" in tiny.report.split(LABELS[name] + ": its batch")[1][:60]


def test_generator_is_deterministic() -> None:
    """One seed gives one graph and one workload; another seed another."""
    a, b, c = generate(500, 5000, 7), generate(500, 5000, 7), generate(500, 5000, 8)
    for field in ("owners", "targets", "kinds"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.owners, c.owners) or not np.array_equal(a.targets, c.targets)
    wa, wb = workload(a, 1000), workload(b, 1000)
    assert np.array_equal(wa.actors, wb.actors) and np.array_equal(wa.candidates, wb.candidates)


def test_generator_has_no_self_loops_or_duplicates() -> None:
    """Every boundary joins two different people, and each (owner, target) pair once."""
    graph = generate(300, 20_000, 1)
    assert graph.boundaries == 20_000
    assert not np.any(graph.owners == graph.targets)
    assert np.unique(pack(graph.owners, graph.targets)).size == graph.boundaries
    assert set(np.unique(graph.kinds).tolist()) <= {list(Kind).index(k) for k in Kind} - {
        list(Kind).index(Kind.SPACE)
    }


def test_generator_is_heavy_tailed() -> None:
    """A few people hold and receive many boundaries; most hold a few."""
    graph = generate(10_000, 100_000, 3)
    out_degree = np.bincount(graph.owners, minlength=graph.people)
    in_degree = np.bincount(graph.targets, minlength=graph.people)
    assert out_degree.max() > 20 * np.median(out_degree)
    assert in_degree.max() > 20 * np.median(in_degree)


def test_workload_hits_about_one_percent() -> None:
    """About 1% of the query pairs hold a boundary, one way or the other."""
    graph = generate(5_000, 50_000, 5)
    work = workload(graph, 20_000)
    keys = graph.keys()
    both = np.isin(pack(work.actors, work.targets), keys) | np.isin(
        pack(work.targets, work.actors), keys
    )
    assert 0.005 < both.mean() < 0.02
    assert not np.any(work.actors == work.targets)
    assert work.candidates.shape == (work.feeds, 1000)


def test_reference_own_stopping_boundary_decides_alone() -> None:
    """The actor's own pledge diverts, even when the other side has blocked them too."""
    assert resolve(Action.MESSAGE, Kind.PLEDGE, Kind.BLOCK) is Outcome.DIVERT
    assert resolve(Action.MESSAGE, None, Kind.BLOCK) is Outcome.DROP
    assert resolve(Action.MESSAGE, Kind.MUTE, Kind.RESTRICT) is Outcome.REQUEST
    assert resolve(Action.MESSAGE, None, None) is Outcome.DELIVER


def test_http_load_generator_reads_answers_split_anywhere() -> None:
    """The generator's connection finds each answer's end however its bytes arrive."""
    import asyncio

    from nocontact.bench.http import _Conn

    def answer(body: bytes) -> bytes:
        return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nx: y\r\n\r\n" % len(body) + body

    answers = [answer(b""), answer(b"x" * 20_000), answer(b'{"a":1}')]
    loop = asyncio.new_event_loop()
    try:
        for size in (1, 7, 4096, 30_000):
            conn = _Conn()
            for data in answers:  # one request in flight at a time, as the generator sends
                waiter = conn.waiter = loop.create_future()
                for at in range(0, len(data), size):
                    assert not waiter.done()
                    conn.data_received(data[at : at + size])
                assert waiter.result() == data.split(b"\r\n\r\n")[0], size
                assert conn.left == -1 and not conn.head
    finally:
        loop.close()


def test_http_open_loop_keeps_its_schedule() -> None:
    """The open loop sends every scheduled request and times each one, on any connection."""
    import asyncio
    from typing import cast

    from nocontact.bench import http as bench_http

    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"

    class Echo(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = cast(asyncio.Transport, transport)

        def data_received(self, data: bytes) -> None:
            for _ in range(data.count(b"\r\n\r\n")):
                self.transport.write(answer)

    async def run() -> bench_http._Round:
        server = await asyncio.get_running_loop().create_server(Echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            request = bench_http._request("/v1/decide", b"{}", "key")
            return await bench_http._open_loop(port, [request], 2000, 0.25)
        finally:
            server.close()

    found = asyncio.run(run())
    assert found.count == len(found.latencies) == len(found.lags) == 500
    assert all(0 <= x < 1 for x in found.latencies)
    assert 0.2 < found.elapsed < 5


def test_lists_bench_small_run_agrees_and_reports() -> None:
    """``bench --lists`` at a tiny size: answers agree with decide; memory is per subscription."""
    from nocontact.bench.lists import ListsOptions, markdown, run_lists

    found = run_lists(
        ListsOptions(members=300, direct=100, candidates=200, subscribers=50, strangers=300,
                     repeats=20)
    )  # fmt: skip
    assert found.agrees
    assert 0 < found.hidden_share < 1
    # 49 more subscribers add 147 subscriptions, never 147 x 300 member entries.
    assert found.bytes_many - found.bytes_one < 147 * 2_000
    text = markdown(found, "nocontact bench --lists")
    assert "## Shared lists at scale" in text and "`visible_ids`" in text


def test_workers_bench_tiny_run_reports_every_figure(tmp_path: Path) -> None:
    """``bench --workers`` at a tiny size: both stores measured (or PostgreSQL's reason
    given), every latency, rate and stall figure positive, targets judged, section written."""
    from nocontact.bench import workers

    from .pg import SERVER

    out = tmp_path / "BENCHMARKS.md"
    out.write_text("# Benchmarks\n\n" + HTTP_SECTION)
    tiny = ["--samples", "5", "--http-seconds", "0.5", "--stall-boundaries", "1000"]
    result = CliRunner(env={"NOCONTACT_BENCH_POSTGRES": SERVER, "NOCONTACT_DB": None}).invoke(
        main, ["bench", "--workers", *tiny, "--out", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.startswith("# Benchmarks\n\n" + HTTP_SECTION + "\n<!-- bench-workers:start -->")
    assert "## Many workers" in text and "nocontact bench --workers --samples 5" in text
    header = re.search(r"^\| figure \| SQLite \| PostgreSQL \| target \|$", text, re.M)
    assert header, text
    postgres_down = "PostgreSQL was not measured" in text
    for row in re.findall(r"^\| write on A to enforcement.*$", text, re.M):
        cells = row.split(" | ")[1:3]
        for cell in cells[:1] if postgres_down else cells:
            p50, p99, longest = (float(x) for x in cell.split(" ms")[0].split(" / "))
            assert 0 < p50 <= p99 <= longest
            assert cell.endswith(("(met)", "(**missed**)"))
    rates = re.findall(r"^\| (?:single `decide`|`decide/batch`).* workers? \| ([\d,]+)", text, re.M)
    assert len(rates) == 4 and all(int(r.replace(",", "")) > 0 for r in rates)
    stall = re.search(
        r"^\| \d+ single writes at 1,000 boundaries.*\| ([\d.]+) / ([\d.]+) / ([\d.]+) ms",
        text,
        re.M,
    )
    assert stall and 0 < float(stall[1]) <= float(stall[3])
    assert "| not judged |" in text  # the stall target is set at 10 M boundaries
    if postgres_down:
        pytest.skip("PostgreSQL: " + text.split("PostgreSQL was not measured: ")[1].split("\n")[0])
    assert workers.SECTION in text


def test_workers_targets_follow_the_figures() -> None:
    """The many-workers verdicts come from the measured values; an unreachable
    PostgreSQL is reported with its reason."""
    from nocontact.bench import workers

    def results(p99_ms: float, stall_ms: float, n: int) -> str:
        spread = workers.Spread(1.0, p99_ms, p99_ms + 1, 10)
        sqlite = workers.StoreResults(
            "SQLite", polled=spread, waited=spread,
            throughput={1: workers.Throughput(100.0, 1e6), 2: workers.Throughput(150.0, 1.5e6)},
        )  # fmt: skip
        down = workers.StoreResults("PostgreSQL", skipped="PostgreSQL unreachable: refused")
        stall = {"boundaries": float(n), "writes": 10.0, "merges": 2.0, "p50_ms": 1.0,
                 "p99_ms": stall_ms, "max_ms": stall_ms}  # fmt: skip
        found = workers.WorkersResults(workers.WorkersOptions(), [sqlite, down], stall, "cmd")
        return workers.markdown(found)

    good = results(10.0, 5.0, workers.STALL_BOUNDARIES)
    assert "1.00 / 10.00 / 11.00 ms (met)" in good and "150 (1.50×)" in good
    assert "| 1.00 / 5.00 / 5.00 ms | max < 20 ms (at 10,000,000 boundaries) | met |" in good
    assert "PostgreSQL was not measured: PostgreSQL unreachable: refused" in good
    bad = results(60.0, 25.0, workers.STALL_BOUNDARIES)
    assert "(**missed**)" in bad and bad.rstrip().endswith("| **missed** |")
    assert results(10.0, 25.0, 1000).rstrip().endswith("| not judged |")


def test_product_bench_tiny_run_agrees_and_reports(tmp_path: Path) -> None:
    """``bench --product`` at a tiny size: fresh processes, every figure next to the dict of
    sets, the targets judged, the plot written, and every sampled answer right on both sides
    (nocontact against the reference, the dict of sets against the ground truth)."""
    out, plot = tmp_path / "BENCHMARKS.md", tmp_path / "product.png"
    out.write_text("# Benchmarks\n\n" + HTTP_SECTION)
    result = CliRunner().invoke(
        main,
        ["bench", "--product", *TINY, "--results", str(tmp_path), "--out", str(out),
         "--plot", str(plot)],
        catch_exceptions=False,
    )  # fmt: skip
    print(result.output)
    assert result.exit_code == 0
    text = out.read_text()
    assert "<!-- bench-product:start -->" in text and "stale figures" in text
    for figure in ("`decide_number`, ints in", "`visible_ids`, list of 1,000 in",
                   "`decide_ids`, arrays in", "memory per boundary", "`bulk_import`",
                   "open, fresh process"):  # fmt: skip
        assert f"| {figure}" in text
    assert re.search(
        r"\| [\d.]+ µs / [\d.]+ µs \| [\d.]+ µs / [\d.]+ µs \| [\d.]+× / [\d.]+× \|", text
    )
    assert len(re.findall(r"\| (met|\*\*missed\*\*) \|", text)) == 8
    assert re.search(r"Answers: 0 of [\d,]+ nocontact answers differ .*; 0 of the dict", text)
    assert "Method." in text and "posix_fadvise" in text
    assert plot.stat().st_size > 0
    assert not list(tmp_path.glob("product-*")), "the store is removed after the run"


def test_product_workload_asks_about_heavy_users() -> None:
    """With ``heavy``, a third of the viewers own a random boundary: their mean out-degree
    is far above the plain workload's."""
    graph = generate(20_000, 40_000, seed=5)
    degree = np.bincount(graph.owners, minlength=graph.people)
    plain = workload(graph, 20_000)
    heavy = workload(graph, 20_000, heavy=1 / 3)
    assert degree[heavy.viewers].mean() > 2 * degree[plain.viewers].mean()
    assert degree[heavy.actors].mean() > 2 * degree[plain.actors].mean()
    assert not np.any(heavy.actors == heavy.targets)
    assert not np.any(heavy.candidates == heavy.viewers[:, None])


def test_interleaved_timing_gives_both_sides() -> None:
    """Both sides are called once per input (after the warm-up) and get their own figures."""
    from nocontact.bench.timing import time_interleaved

    seen: dict[str, int] = {"a": 0, "b": 0}

    def a(x: int) -> None:
        seen["a"] += 1

    def b(x: int) -> None:
        seen["b"] += 1

    args = [(i,) for i in range(1000)]
    first, second = time_interleaved((a, args), (b, args), 0, round_size=7)
    assert first.samples == second.samples == 1000
    assert seen["a"] == seen["b"] == 1000 + 100  # the warm-up: a tenth
    assert 0 <= first.p50_ns <= first.p99_ns
