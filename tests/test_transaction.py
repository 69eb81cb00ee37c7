"""``Engine.transaction``: every write inside is stored by one commit, or none is."""

from __future__ import annotations

import pytest

from nocontact.core.errors import InvalidInput, SelfBoundary, UnknownPerson
from nocontact.engine import Engine

from .conftest import EngineFactory


def test_writes_inside_see_each_other_and_commit_once(engine: Engine) -> None:
    """A person created inside can be blocked inside; the whole is one revision."""
    before = engine.revision
    with engine.transaction("test"):
        engine.add_person("alex")
        engine.add_person("sam")
        engine.set_boundary("alex", "sam", "block")
        engine.create_list("alex", "Mine", list_id="mine", members=["sam"])
    assert engine.revision == before + 1
    assert engine.check("sam", "message", "alex").outcome == "drop"
    assert {e.revision for e in engine.events(before)} == {before + 1}


def test_an_error_inside_stores_nothing(make_engine: EngineFactory) -> None:
    """If anything inside raises, nothing is stored and the index forgets it too."""
    engine = make_engine("t.db")
    engine.add_person("alex")
    before = engine.revision

    def doomed() -> None:
        with engine.transaction("test"):
            engine.add_person("sam")
            engine.set_boundary("alex", "sam", "block")
            engine.set_boundary("alex", "alex", "block")

    with pytest.raises(SelfBoundary):
        doomed()
    assert engine.revision == before
    with pytest.raises(UnknownPerson):
        engine.person("sam")
    engine.close()
    again = make_engine("t.db")
    assert again.revision == before
    assert again.check("sam", "message", "alex").outcome == "deliver"


def test_transactions_do_not_nest(engine: Engine) -> None:
    """A transaction inside another is refused (and the outer one stores nothing)."""
    engine.add_person("alex")
    before = engine.revision

    def nested() -> None:
        with engine.transaction("outer"):
            engine.add_person("sam")
            with engine.transaction("inner"):
                pass

    with pytest.raises(InvalidInput):
        nested()
    assert engine.revision == before


def test_list_writes_and_imports_catch_up_with_other_writers(make_engine: EngineFactory) -> None:
    """Two engines on one store: list writes and imports first catch up with the other's."""
    from nocontact.interop.apply import import_file

    one, two = make_engine("shared.db"), make_engine("shared.db")
    one.add_person("alex")
    two.add_person("cara")  # two has not seen alex yet: its writes catch up first
    two.create_list("cara", "Spam", list_id="spam")
    two.subscribe("alex", "spam")
    one.add_list_members("spam", ["+1 415 555 0177"])  # one catches up with the list
    import_file(two, "+1 415 555 0100\n", owner="alex")
    assert two.check("+1 415 555 0177", "call", "alex").outcome == "drop"
    one.refresh()
    assert one.check("+1 415 555 0100", "call", "alex").outcome == "drop"
