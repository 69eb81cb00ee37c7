"""Shared fixtures: engines on real SQLite files, with a clock the test moves."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import pytest
from hypothesis import settings

from nocontact.engine import Engine, EngineConfig
from nocontact.store.sqlite import SQLiteStore

# CI runs every property at least 2,000 times; a developer's run is quicker. No
# per-example deadline: a loaded machine makes examples slow, not wrong (a missed
# deadline that passes on replay would be reported as a flaky failure).
settings.register_profile("ci", max_examples=2000, print_blob=True, deadline=None)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

#: Seconds one test may run before it is stopped and reported as over its budget
#: (``NOCONTACT_TEST_BUDGET`` to change it). Far above what any test needs on a
#: loaded machine: it is there to turn a hang into a clear failure.
TEST_BUDGET = float(os.environ.get("NOCONTACT_TEST_BUDGET", "1200"))


class BudgetExceeded(BaseException):
    """A test ran past :data:`TEST_BUDGET`.

    A ``BaseException``, not an ``Exception``: hypothesis lets it through at once
    instead of taking it for a failing example and replaying it (which reports a
    timeout as a long ``FlakyFailure``), so the report says what happened.
    """


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> object:
    """Stop a test that runs past its budget, with a message that says so."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        return (yield)

    def expire(signum: int, frame: FrameType | None) -> None:
        raise BudgetExceeded(
            f"TIMEOUT: {item.nodeid} ran past its budget of {TEST_BUDGET:.0f} s"
            " (NOCONTACT_TEST_BUDGET). A time limit, not a failing property: the machine"
            " is too slow or too loaded for this run, or the test hangs."
        )

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, TEST_BUDGET)
    try:
        return (yield)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


#: Where a test that opens a fresh database per example puts it: memory-backed when
#: the system has such a folder (a fresh SQLite file there costs half as much).
SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None

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
