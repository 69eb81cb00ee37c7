"""The longest write stall: how long single writes take while the overlay is merged.

A merge rebuilds every edge (about a second per ten million). ``longest_write_stall``
builds an engine with ``n_boundaries`` plain boundaries through the bulk path, then
times ``writes`` single ``set_boundary`` calls, one after another, across merges: the
longest of them is the stall a user would notice. The merge threshold is lowered to
``merge_after`` plain writes so the run crosses it within a few thousand writes (at its
default the overlay holds one write per eight edges first); what a merge costs a writer
does not depend on how many writes it folds, past the chunked tidying.
"""

from __future__ import annotations

import gc
import os
import tempfile
from pathlib import Path
from time import perf_counter

import numpy as np

from nocontact.bench.graph import generate, person_id

#: Memory-backed scratch space where the system has one (the store is thrown away).
SCRATCH = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None


def longest_write_stall(
    n_boundaries: int,
    writes: int = 3000,
    *,
    merge_after: int = 1000,
    people: int | None = None,
    seed: int = 42,
) -> dict[str, float]:
    """Time ``writes`` single writes on an engine holding ``n_boundaries`` plain boundaries.

    Returns milliseconds (``max``, ``p99``, ``p50`` of a write), ``merges``: merges that
    ran during the writes, and ``load_seconds``: the bulk import's time. The engine is
    opened on a SQLite file in a temporary folder (under ``/dev/shm`` when there is one)
    and thrown away after.
    """
    from nocontact.engine import Engine

    people = people or max(1000, n_boundaries // 10)
    graph = generate(people, n_boundaries, seed=seed)
    ids = graph.person_ids()
    rng = np.random.default_rng(seed + 1)
    owners = rng.integers(0, people, writes).tolist()
    targets = rng.integers(0, people, writes).tolist()
    with tempfile.TemporaryDirectory(dir=SCRATCH) as folder:
        start = perf_counter()
        engine = Engine.open(Path(folder) / "stall.db")
        try:
            engine.bulk_import(ids, graph.owners, graph.targets, graph.kinds)
            load = perf_counter() - start
            gc.freeze()  # as ``nocontact serve`` does after its load
            merger = engine._merger
            merger.threshold = lambda index: merge_after
            took: list[float] = []
            merges = 0
            for o, t in zip(owners, targets, strict=True):
                if o == t:
                    continue
                running = merger.running()
                began = perf_counter()
                engine.set_boundary(person_id(o), person_id(t), "block")
                took.append(perf_counter() - began)
                merges += not running and merger.running()
            merger.wait()
        finally:
            engine.close(checkpoint=False)
    ms = np.array(took) * 1000
    return {
        "max": float(ms.max()),
        "p99": float(np.percentile(ms, 99)),
        "p50": float(np.percentile(ms, 50)),
        "merges": float(merges),
        "load_seconds": load,
    }


if __name__ == "__main__":  # python -m nocontact.bench.stall [n_boundaries] [writes]
    import sys

    arguments = [int(a) for a in sys.argv[1:3]]
    print(longest_write_stall(*arguments))
