"""nocontact itself, behind the baselines' interface, so the runner times it the same way.

Unlike the baselines it answers the full question: a single call is a whole
``decide_number`` that returns a ``Decision`` (and, as a second figure, ``decide`` on an
``Interaction`` of person ids as strings), ``feed`` is ``visible_ids`` (``view_post`` is
``show``) and ``batch`` is ``decide_ids`` for ``message``, on person numbers.

It loads through the engine's bulk path into a SQLite file; its memory is what
``index_nbytes`` reports for the boundary index (the interning of person ids is reported
apart). ``cold_start`` closes the engine and times opening the file again to a ready
engine.
"""

from __future__ import annotations

import os
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from nocontact.bench.baselines import Approach, Built, Mask, Progress
from nocontact.bench.graph import I32, Graph
from nocontact.bench.timing import Calls
from nocontact.core.model import Action, Interaction
from nocontact.core.semantics import DEFAULT

if TYPE_CHECKING:
    from nocontact.engine import Engine

Numbers = npt.NDArray[np.int64]
#: ``index_nbytes`` reports the interning of person ids under this key, apart from the index.
INTERNING = "interning"


def resident_bytes() -> int:
    """This process's resident set size, from ``/proc/self/statm`` (0 where there is none)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class Nocontact(Approach):
    name = "nocontact"
    label = "nocontact"

    def __init__(self, folder: Path) -> None:
        self.path = folder / "nocontact.db"
        self._engine: Engine | None = None
        self.ids: list[str] = []
        #: Person number of each graph person.
        self.numbers: Numbers = np.empty(0, np.int64)
        self.parts: dict[str, int] = {}
        self.resident_growth = 0

    @property
    def engine(self) -> Engine:
        assert self._engine is not None, "build first"
        return self._engine

    def build(self, graph: Graph, progress: Progress) -> Built:
        from nocontact.engine import Engine

        self.ids = graph.person_ids()
        written = 0

        def told(total: int) -> None:
            nonlocal written
            progress(total - written)
            written = total

        resident = resident_bytes()
        start = perf_counter()
        self._engine = Engine.open(self.path)
        self.engine.bulk_import(self.ids, graph.owners, graph.targets, graph.kinds, progress=told)
        seconds = perf_counter() - start
        self.resident_growth = resident_bytes() - resident
        self._number()
        self.parts = dict(self.engine.index_nbytes())
        index = sum(size for part, size in self.parts.items() if part != INTERNING)
        return Built(seconds, index, "index_nbytes(): the boundary index, interning apart")

    def _number(self) -> None:
        number = self.engine.person_number
        self.numbers = np.array([number(p) for p in self.ids], np.int64)

    def cold_start(self) -> float:
        """Close the engine, then open its SQLite file again: seconds to a ready engine."""
        from nocontact.engine import Engine

        self.engine.close()
        self._engine = None
        start = perf_counter()
        self._engine = Engine.open(self.path)
        seconds = perf_counter() - start
        self._number()
        return seconds

    def check(self, a: int, b: int) -> bool:
        """Whether ``a``'s message to ``b`` goes otherwise than with no boundary at all."""
        decision = self.engine.decide(Interaction(self.ids[a], Action.MESSAGE, self.ids[b]))
        return decision.outcome is not DEFAULT[Action.MESSAGE].outcome

    def feed(self, viewer: int, candidates: I32) -> Mask:
        numbers = self.numbers
        return self.engine.visible_ids(int(numbers[viewer]), numbers[candidates])

    def batch(self, actors: I32, targets: I32) -> npt.NDArray[np.uint8]:
        numbers = self.numbers
        return self.engine.decide_ids(numbers[actors], Action.MESSAGE, numbers[targets])

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    # Inputs in the engine's own terms, prepared before the clock starts.

    def singles(self, actors: I32, targets: I32) -> Calls:
        """``decide_number``: like the baselines, the call is handed two integers."""
        numbers = self.numbers
        pairs: list[tuple[Any, ...]] = [
            (a, Action.MESSAGE, b)
            for a, b in zip(numbers[actors].tolist(), numbers[targets].tolist(), strict=True)
        ]
        return self.engine.decide_number, pairs

    def singles_by_id(self, actors: I32, targets: I32) -> Calls:
        """``decide(Interaction(...))`` with person ids as strings, as most products call it."""
        ids = self.ids
        interactions: list[tuple[Any, ...]] = [
            (Interaction(ids[a], Action.MESSAGE, ids[b]),)
            for a, b in zip(actors.tolist(), targets.tolist(), strict=True)
        ]
        return self.engine.decide, interactions

    def feeds(self, viewers: I32, candidates: I32) -> Calls:
        numbers = self.numbers
        args: list[tuple[Any, ...]] = [
            (int(numbers[v]), numbers[row]) for v, row in zip(viewers, candidates, strict=True)
        ]
        return self.engine.visible_ids, args

    def batches(self, actors: I32, targets: I32) -> Calls:
        numbers = self.numbers
        return self.engine.decide_ids, [(numbers[actors], Action.MESSAGE, numbers[targets])]
