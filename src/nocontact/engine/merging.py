"""The background merge: the overlay is folded into the edges while writes go on.

``Merger.maybe_start`` is the one place that decides "merge now?": the engine
asks it after every change to its revision (its own writes, events caught up
from other workers, a reload). It never waits. The merge runs on one thread
per engine, and takes the engine's lock only for the light steps (see
``nocontact.core.merge``): the start, the install, and the tidying, a chunk
at a time, so no write waits for more than one chunk.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from nocontact.core.index import Index
from nocontact.core.merge import Built, MergeJob, build
from nocontact.engine.values import MERGE_AT

__all__ = ["Merger"]

log = logging.getLogger(__name__)

#: Merged boundaries dropped from the overlay per turn of the lock (a few milliseconds).
TIDY_CHUNK = 500
#: The pause between two turns: a lock is not fair, and without it a waiting writer
#: would not get the lock before the merge takes it again.
TIDY_PAUSE = 0.002
#: How often a merge waiting for the lock checks whether the engine closed.
LOCK_POLL = 0.05


def merge_threshold(index: Index) -> int:
    """Plain writes the overlay holds before a merge: more as the edges grow."""
    return MERGE_AT + index.edges.size // 8


class Merger:
    """One background merge at a time for an engine's index."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._thread: threading.Thread | None = None
        self._closed = False
        #: The heavy step; tests replace it to hold a merge half-way.
        self.build: Callable[[MergeJob], Built] = build
        #: Plain writes that make a merge due; benchmarks lower it to cross it soon.
        self.threshold: Callable[[Index], int] = merge_threshold

    def maybe_start(self, index: Index) -> bool:
        """Start a merge if ``index`` needs one and none runs (call under the lock)."""
        if self._closed or self.running() or not index.merge_due(self.threshold(index)):
            return False
        job = index.merge_start()
        if job is None:
            return False
        self._thread = threading.Thread(
            target=self._run, args=(index, job), name="nocontact-merge", daemon=True
        )
        self._thread.start()
        return True

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the running merge, if any (never while holding the engine's lock)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def close(self) -> None:
        """Stop starting merges and wait for the running one (it gives up at the next lock)."""
        self._closed = True
        self.wait()

    def _run(self, index: Index, job: MergeJob) -> None:
        try:
            built = self.build(job)
            if not self._acquire():
                return
            try:
                index.merge_install(built)
            finally:
                self._lock.release()
            more = True
            while more and self._acquire():
                try:
                    more = index.merge_tidy(TIDY_CHUNK)
                finally:
                    self._lock.release()
                time.sleep(TIDY_PAUSE)
        except Exception:  # the index stays whole: a failed merge only leaves the overlay big
            log.exception("background merge failed")

    def _acquire(self) -> bool:
        """Take the engine's lock, unless the engine closes first."""
        while not self._lock.acquire(timeout=LOCK_POLL):
            if self._closed:
                return False
        if self._closed:
            self._lock.release()
            return False
        return True
