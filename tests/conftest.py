"""Shared fixtures: engines on real SQLite files, with a clock the test moves."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from nocontact.engine import Engine, EngineConfig
from nocontact.store.sqlite import SQLiteStore

# CI runs every property at least 2,000 times; a developer's run is quicker.
settings.register_profile("ci", max_examples=2000, print_blob=True)
settings.register_profile("dev", max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

#: 2027-01-15T08:00:00Z: far from any epoch edge, easy to read in failures.
T0 = 1_800_000_000.0


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: float = T0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


EngineFactory = Callable[..., Engine]


@pytest.fixture
def make_engine(tmp_path: Path, clock: FakeClock) -> Iterator[EngineFactory]:
    """Open engines on SQLite files in a temporary folder; all closed at the end."""
    opened: list[Engine] = []

    def make(name: str = "nocontact.db", **config: object) -> Engine:
        store = SQLiteStore.open(tmp_path / name, synchronous="OFF")
        engine = Engine(store, config=EngineConfig(**config), clock=clock)  # type: ignore[arg-type]
        opened.append(engine)
        return engine

    yield make
    for engine in opened:
        engine.close()


@pytest.fixture
def engine(make_engine: EngineFactory) -> Engine:
    return make_engine()
