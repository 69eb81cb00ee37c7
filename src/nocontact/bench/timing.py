"""Timing primitives: per-call latency percentiles and batch throughput.

Every call is timed on its own with ``time.perf_counter_ns``; the timer's own cost (two
back-to-back reads, measured once per run) is subtracted. The garbage collector is off
while a timed loop runs, and each loop starts with untimed warm-up calls.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

#: A callable and the argument tuples it is called with, one call per tuple.
Calls = tuple[Callable[..., Any], Sequence[tuple[Any, ...]]]
Advance = Callable[[int], None]

WARMUP = 1000
#: A batch is run at least this many times.
BATCH_RUNS_MIN = 2
_TICK = 1024


@dataclass(frozen=True, slots=True)
class Latency:
    p50_ns: float
    p99_ns: float
    samples: int


@dataclass(frozen=True, slots=True)
class Throughput:
    per_second: float
    items: int
    repeats: int


@contextmanager
def no_gc() -> Iterator[None]:
    """Collect once, then keep the collector off for the timed section."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def timer_overhead_ns(samples: int = 20_000) -> int:
    """The median cost of reading the clock twice in a row."""
    clock = time.perf_counter_ns
    spans = np.empty(samples, np.int64)
    with no_gc():
        for i in range(samples):
            t0 = clock()
            t1 = clock()
            spans[i] = t1 - t0
    return int(np.median(spans))


def time_each(calls: Calls, overhead_ns: int, advance: Advance | None = None) -> Latency:
    """Time every call on its own: p50 and p99 in nanoseconds, minus the timer overhead."""
    fn, args = calls
    for a in args[: min(WARMUP, max(1, len(args) // 10))]:
        fn(*a)
    clock = time.perf_counter_ns
    spans: npt.NDArray[np.int64] = np.empty(len(args), np.int64)
    with no_gc():
        for i, a in enumerate(args):
            t0 = clock()
            fn(*a)
            t1 = clock()
            spans[i] = t1 - t0
            if advance is not None and i % _TICK == _TICK - 1:
                advance(_TICK)
    if advance is not None:
        advance(len(args) % _TICK)
    net = np.maximum(spans - overhead_ns, 0)
    p50, p99 = np.percentile(net, [50, 99])
    return Latency(float(p50), float(p99), len(args))


def time_batch(
    calls: Calls,
    items: int,
    *,
    min_seconds: float = 1.0,
    max_repeats: int = 5,
    advance: Advance | None = None,
) -> tuple[Throughput, list[Any]]:
    """Run all calls (one batch) repeatedly: items per second of the median run.

    After a warm-up on the first call, runs at least ``BATCH_RUNS_MIN`` times and stops
    after ``max_repeats`` runs or once ``min_seconds`` have been spent. Returns the
    results of the last run too.
    """
    fn, args = calls
    if args:
        fn(*args[0])
    runs: list[int] = []
    results: list[Any] = []
    clock = time.perf_counter_ns
    while len(runs) < max_repeats and (len(runs) < BATCH_RUNS_MIN or sum(runs) < min_seconds * 1e9):
        with no_gc():
            t0 = clock()
            results = [fn(*a) for a in args]
            runs.append(clock() - t0)
        if advance is not None:
            advance(1)
    seconds = float(np.median(runs)) / 1e9
    return Throughput(items / seconds if seconds else float("inf"), items, len(runs)), results


def time_interleaved(
    first: Calls, second: Calls, overhead_ns: int, *, round_size: int = 100
) -> tuple[Latency, Latency]:
    """Time two approaches on the same inputs, every call on its own, in alternating rounds.

    Round ``i`` runs ``round_size`` calls of one approach, then the same calls of the other,
    the first going first on even rounds and second on odd ones, so both share the
    machine's noise. Returns each one's p50 and p99 (minus the timer overhead).
    """
    (fn_a, args_a), (fn_b, args_b) = first, second
    if len(args_a) != len(args_b):
        raise ValueError("both approaches must be handed the same calls")
    for fn, args in ((fn_a, args_a), (fn_b, args_b)):
        for a in args[: min(WARMUP, max(1, len(args) // 10))]:
            fn(*a)
    clock = time.perf_counter_ns
    spans = np.empty((2, len(args_a)), np.int64)
    sides = ((fn_a, args_a, spans[0]), (fn_b, args_b, spans[1]))
    with no_gc():
        for n, lo in enumerate(range(0, len(args_a), round_size)):
            hi = min(lo + round_size, len(args_a))
            for fn, args, out in sides if n % 2 == 0 else sides[::-1]:
                for i in range(lo, hi):
                    a = args[i]
                    t0 = clock()
                    fn(*a)
                    t1 = clock()
                    out[i] = t1 - t0
    net = np.maximum(spans - overhead_ns, 0)
    (a50, a99), (b50, b99) = np.percentile(net, [50, 99], axis=1).T
    n = len(args_a)
    return Latency(float(a50), float(a99), n), Latency(float(b50), float(b99), n)


def time_batches_interleaved(
    first: Calls, second: Calls, items: int, *, repeats: int = 5
) -> tuple[Throughput, Throughput]:
    """Items per second of each side's median run, the sides alternating run by run."""
    sides = (first, second)
    runs: tuple[list[int], list[int]] = ([], [])
    clock = time.perf_counter_ns
    for fn, args in sides:
        fn(*args[0])
    for n in range(repeats * 2):
        side = (n + n // 2) % 2  # a, b, b, a, a, b, ...
        fn, args = sides[side]
        with no_gc():
            t0 = clock()
            for a in args:
                fn(*a)
            runs[side].append(clock() - t0)
    out = []
    for spent in runs:
        seconds = float(np.median(spent)) / 1e9
        out.append(Throughput(items / seconds if seconds else float("inf"), items, len(spent)))
    return out[0], out[1]
