"""The correctness check at scale: nocontact's answers against a plain reference.

The reference knows only the spec: the semantics table (``effect`` and ``DEFAULT``) and
the precedence of ``docs/semantics.md``. For each pair it looks up, in a dict of dicts
``kinds[owner][target]``, the boundary each side holds toward the other (the generated
graph has at most one per direction) and resolves them: when the actor's own boundary
stops the interaction it decides alone; otherwise the strictest outcome wins, then the
strictest kind, then the actor's own boundary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from nocontact.bench.graph import I32, Graph, pack, person_id
from nocontact.core.model import KIND_PRECEDENCE, OUTCOME_SEVERITY, Action, Direction, Kind, Outcome
from nocontact.core.semantics import DEFAULT, effect

#: Outcomes that stop an interaction: the actor's own boundary then decides alone.
STOPS = frozenset(
    {Outcome.DENY, Outcome.DROP, Outcome.HIDE, Outcome.HOLD, Outcome.DIVERT, Outcome.LIMITED}
)
OUTCOMES = list(Outcome)
KINDS = list(Kind)
_SEVERITY = {o: i for i, o in enumerate(OUTCOME_SEVERITY)}
_KIND_RANK = {k: i for i, k in enumerate(KIND_PRECEDENCE)}

#: Answers for person pairs (graph numbers): outcome codes, or visibility masks.
DecideCodes = Callable[[I32, I32], npt.NDArray[np.uint8]]
VisibleMask = Callable[[int, I32], npt.NDArray[np.bool_]]


def resolve(action: Action, own: Kind | None, other: Kind | None) -> Outcome:
    """The outcome when the actor holds ``own`` toward the target and the target ``other``."""
    held: list[tuple[tuple[int, int, int], Outcome]] = []
    if own is not None:
        outcome = effect(own, Direction.OUTBOUND, action).outcome
        if outcome in STOPS:
            return outcome
        held.append(((_SEVERITY[outcome], _KIND_RANK[own], 0), outcome))
    if other is not None:
        outcome = effect(other, Direction.INBOUND, action).outcome
        held.append(((_SEVERITY[outcome], _KIND_RANK[other], 1), outcome))
    if not held:
        return DEFAULT[action].outcome
    return min(held)[1]


@dataclass
class Verdict:
    """How many answers were compared, and the first few that differed."""

    what: str
    sampled: int = 0
    differ: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.sampled > 0 and self.differ == 0

    def line(self) -> str:
        if self.passed:
            return f"{self.sampled:,} sampled {self.what} equal the reference"
        return (
            f"{self.differ:,} of {self.sampled:,} sampled {self.what} differ from the reference,"
            f" e.g. {'; '.join(self.examples)}"
        )


class Reference:
    """``kinds[owner][target]`` for the boundaries among the people asked about."""

    def __init__(self, graph: Graph, people: I32) -> None:
        wanted = np.unique(people)
        mine = np.isin(graph.owners, wanted) & np.isin(graph.targets, wanted)
        self.kinds: dict[int, dict[int, Kind]] = {}
        rows = zip(
            graph.owners[mine].tolist(),
            graph.targets[mine].tolist(),
            graph.kinds[mine].tolist(),
            strict=True,
        )
        for owner, target, kind in rows:
            self.kinds.setdefault(owner, {})[target] = KINDS[kind]

    def outcome(self, action: Action, actor: int, target: int) -> Outcome:
        own = self.kinds.get(actor, {}).get(target)
        other = self.kinds.get(target, {}).get(actor)
        return resolve(action, own, other)


def both_ways(graph: Graph, limit: int, seed: int) -> tuple[I32, I32]:
    """Up to ``limit`` pairs where each side holds a boundary toward the other."""
    keys = graph.keys()
    reverse = pack(graph.targets, graph.owners)
    at = np.minimum(keys.searchsorted(reverse), keys.size - 1)
    mutual = np.flatnonzero(keys[at] == reverse)
    if mutual.size > limit:
        mutual = np.random.default_rng([seed, 2]).choice(mutual, limit, replace=False)
    return graph.owners[mutual], graph.targets[mutual]


def check_decisions(graph: Graph, actors: I32, targets: I32, decide: DecideCodes) -> Verdict:
    """``message`` outcomes for every pair, against the reference."""
    verdict = Verdict("decisions")
    reference = Reference(graph, np.concatenate((actors, targets)))
    got = decide(actors, targets)
    for actor, target, code in zip(actors.tolist(), targets.tolist(), got.tolist(), strict=True):
        want = reference.outcome(Action.MESSAGE, actor, target)
        verdict.sampled += 1
        if OUTCOMES[code] is not want:
            verdict.differ += 1
            if len(verdict.examples) < 5:
                verdict.examples.append(
                    f"{person_id(actor)} message {person_id(target)}: {OUTCOMES[code].value},"
                    f" reference {want.value}"
                )
    return verdict


def check_visible(graph: Graph, viewers: I32, candidates: I32, visible: VisibleMask) -> Verdict:
    """``visible`` masks (``view_post`` is ``show``) for each viewer's feed."""
    verdict = Verdict("visibility answers")
    reference = Reference(graph, np.concatenate((viewers, candidates.ravel())))
    for viewer, row in zip(viewers.tolist(), candidates, strict=True):
        got = visible(viewer, row)
        for author, shown in zip(row.tolist(), got.tolist(), strict=True):
            want = reference.outcome(Action.VIEW_POST, viewer, author) is Outcome.SHOW
            verdict.sampled += 1
            if shown != want:
                verdict.differ += 1
                if len(verdict.examples) < 5:
                    verdict.examples.append(
                        f"{person_id(viewer)} sees {person_id(author)}'s posts: {shown},"
                        f" reference {want}"
                    )
    return verdict
