"""Every cell of docs/semantics.md, checked against the engine end to end.

The document is the reviewed contract: these tests read it back, set each kind
of boundary between Olivia (the owner) and Tom (the target) on a real store,
and ask the engine about every action in every direction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from nocontact.core.model import Disclosure, Kind
from nocontact.docgen import semantics_markdown
from nocontact.engine import Engine

from .conftest import EngineFactory

DOC = Path(__file__).parents[1] / "docs" / "semantics.md"
CELL = re.compile(r"(\w+) · `(\w+)` · (notified|quiet)")


@dataclass(frozen=True)
class Rule:
    kind: Kind | None
    disclosure: Disclosure
    actor: str
    action: str
    outcome: str
    sees: str
    notify: bool

    def __str__(self) -> str:
        who = {"tom": "target", "olivia": "owner"}[self.actor]
        kind = self.kind.value if self.kind else "none"
        if self.disclosure is Disclosure.UNAVAILABLE:
            kind += " (unavailable)"
        told = "notified" if self.notify else "quiet"
        return f"{kind}: {who} {self.action} -> {self.outcome}, sees {self.sees}, {told}"


def read_rules() -> list[Rule]:
    rules: list[Rule] = []
    kind: Kind | None = None
    columns: list[str] = []
    tables = True  # False in sections that are not a kind's table
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            title = line[3:].strip()
            tables = title == "no boundary" or title in set(Kind)
            kind = Kind(title) if tables and title != "no boundary" else None
        elif not tables:
            continue
        elif line.startswith("| action |"):
            columns = [c.strip() for c in line.strip("|").split("|")][1:]
        elif line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            action = cells[0].strip("`")
            for column, cell in zip(columns, cells[1:], strict=True):
                match = CELL.fullmatch(cell)
                assert match, f"cannot read cell {cell!r}"
                outcome, sees, told = match.groups()
                disclosure = (
                    Disclosure.UNAVAILABLE if "unavailable" in column else Disclosure.SILENT
                )
                actors = (
                    ["tom", "olivia"]
                    if column == "either way"
                    else (["tom"] if column.startswith("target") else ["olivia"])
                )
                for actor in actors:
                    rules.append(
                        Rule(kind, disclosure, actor, action, outcome, sees, told == "notified")
                    )
    return rules


RULES = read_rules()


def test_document_is_current() -> None:
    """docs/semantics.md is what the code's table says (python -m nocontact.docgen)."""
    assert DOC.read_text(encoding="utf-8") == semantics_markdown()


def test_every_kind_and_action_is_covered() -> None:
    """Every kind has a row for every action in each direction."""
    assert len(RULES) == 16 * 2 + 16 * 3 + 5 * 16 * 2


@pytest.fixture(scope="module")
def engines(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[tuple[Kind | None, Disclosure], Engine]:
    from nocontact.store.sqlite import SQLiteStore

    from .conftest import T0, FakeClock

    made: dict[tuple[Kind | None, Disclosure], Engine] = {}
    folder = tmp_path_factory.mktemp("semantics")
    variants = [(None, Disclosure.SILENT)] + [(k, Disclosure.SILENT) for k in Kind]
    variants.append((Kind.BLOCK, Disclosure.UNAVAILABLE))
    for kind, disclosure in variants:
        name = f"{kind.value if kind else 'none'}-{disclosure.value}.db"
        engine = Engine(SQLiteStore.open(folder / name, synchronous="OFF"), clock=FakeClock())
        engine.add_person("olivia", name="Olivia")
        engine.add_person("tom", name="Tom")
        if kind is not None:
            engine.set_boundary("olivia", "tom", kind, disclosure=disclosure, ends=T0 + 7 * 86400)
        made[(kind, disclosure)] = engine
    yield made  # type: ignore[misc]
    for engine in made.values():
        engine.close()


@pytest.mark.parametrize("rule", RULES, ids=str)
def test_rule(rule: Rule, engines: dict[tuple[Kind | None, Disclosure], Engine]) -> None:
    """Each row of the contract holds, end to end through the engine."""
    engine = engines[(rule.kind, rule.disclosure)]
    other = "olivia" if rule.actor == "tom" else "tom"
    decision = engine.check(rule.actor, rule.action, other)
    assert (decision.outcome.value, decision.actor_sees.value, decision.notify) == (
        rule.outcome,
        rule.sees,
        rule.notify,
    )


def test_silent_block_never_tells_the_target(
    engines: dict[tuple[Kind | None, Disclosure], Engine],
) -> None:
    """Under a silent block, nothing the target does shows them a boundary."""
    engine = engines[(Kind.BLOCK, Disclosure.SILENT)]
    for rule in RULES:
        if rule.actor == "tom":
            sees = engine.check("tom", rule.action, "olivia").actor_sees.value
            assert sees in {"sent", "normal", "delivered"}, rule


def test_unknown_parties_get_the_default(make_engine: EngineFactory) -> None:
    """People the engine has never heard of are decided as having no boundary."""
    engine = make_engine()
    decision = engine.check("nobody", "message", "tel:+14155550100")
    assert decision.outcome.value == "deliver"
    assert decision.explanation is None
