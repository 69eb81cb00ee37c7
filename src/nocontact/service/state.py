"""The service's parts, wired together: engine, keys, metrics, one writer thread.

Reads run on the event loop straight from the engine's in-memory index, except
large ones (a batch, a feed or an audience of more than :data:`LARGE` entries),
which run on a small pool of reader threads (``read_threads``) so that one
request never holds the loop (and every other request, health checks included)
for long. Writes run one at a time on a single writer thread (SQLite has one
writer, and a write waits for its commit to reach the disk).

Before every write, and for a read (at most once a millisecond), the worker
asks the store whether another process (another worker, the CLI) wrote; if so
the engine applies the events after its revision, so no write is validated
against an old state and no read answers from one. On SQLite the question is
one ``PRAGMA data_version``. On PostgreSQL it costs no query: each commit
notifies the store's channel (``NOTIFY``), the store's listener thread keeps
the newest revision heard, and each notification starts the catch-up at once
on the writer thread, without waiting for a request. While the listener is not
connected, or after it has connected again (notifications may have been
missed), the answer is "yes" and the engine catches up by revision; while
PostgreSQL cannot be reached at all, requests that need the store fail quickly
with ``503``.

A read with ``min_revision`` beyond the engine's catches up at once, then
waits for a wake (a write by this worker, or a notification from another) or
:data:`POLL_SECONDS`, whichever comes first, up to ``revision_wait``.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from functools import partial
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

from nocontact.core.errors import StoreError
from nocontact.engine import Engine, EngineConfig
from nocontact.store.postgres import is_postgres_url
from nocontact.store.sqlite import default_path
from nocontact.telephony.attempts import Attempts

from . import logs
from .auth import KeyStore
from .metrics import Metrics
from .problems import edge
from .settings import Settings

T = TypeVar("T")
#: The longest a ``min_revision`` read waits for a wake before it looks again.
POLL_SECONDS = 0.05
#: How often a read checks the store for other processes' writes, in seconds.
CHECK_EVERY = 0.001
#: Seconds a read that names no revision waits for a catch-up before answering.
CATCH_UP_WAIT = 0.05
#: Seconds a read waits before trying an unreachable store again.
OUTAGE_PAUSE = 0.1
#: Entries (checks, items, candidates) beyond which a read leaves the event loop.
LARGE = 200


class Service:
    """Everything a request handler needs; built once per worker."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        db = settings.db
        #: A SQLite file, or a PostgreSQL URL.
        self.path: Path | str = (
            default_path() if not db else db if is_postgres_url(db) else Path(db)
        )
        self.config = EngineConfig(region=settings.region)
        self.engine = Engine.open(self.path, config=self.config)
        # What the load made lives as long as the worker: out of the collector's sight, so
        # a full collection no longer walks millions of ids (a pause of tens of ms).
        gc.freeze()
        self.keys = KeyStore(self.engine.store)
        self.attempts = Attempts(self.engine.store)
        self.metrics = Metrics()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nocontact-writer")
        self._readers = ThreadPoolExecutor(
            max_workers=settings.read_threads, thread_name_prefix="nocontact-reader"
        )
        #: Set (then replaced) on each write of this worker, and, on PostgreSQL, of others.
        self.changed = asyncio.Event()
        self._closed = False
        self._checked = 0.0  # when a read last checked the store for others' writes
        #: The loop to wake from the store's listener thread (the one serving requests).
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue_lock = threading.Lock()
        self._catch_up_queued = False
        self.engine.store.listen(self._written_elsewhere)

    async def write(self, func: Callable[[Engine], T]) -> T:
        """Run one write on the writer thread (the engine catches up with other writers)."""
        self._loop = loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self._writer, lambda: func(self.engine))
        self._wake()
        return result

    def _wake(self) -> None:
        """Wake whatever waits for a write (feeds, ``min_revision`` reads); on the loop."""
        self.changed.set()
        self.changed = asyncio.Event()

    def _written_elsewhere(self) -> None:
        """From the store's listener thread: another process may have written. Catch up
        now, on the writer thread (one catch-up queued at a time), not at the next read."""
        with self._queue_lock:
            if self._catch_up_queued:
                return
            self._catch_up_queued = True
        with suppress(RuntimeError):  # shut down: the service is closing
            self._writer.submit(self._catch_up)

    def _catch_up(self) -> None:
        with self._queue_lock:
            self._catch_up_queued = False  # a notification from here on queues another
        try:
            self.engine.refresh()
        except StoreError:
            pass  # the next request that needs the store reports it
        except Exception:
            logging.getLogger(logs.LOGGER).exception("catching up after a notification failed")
        loop = self._loop
        if loop is not None:
            with suppress(RuntimeError):  # the loop has closed: nobody waits any more
                loop.call_soon_threadsafe(self._wake)

    async def read(self, size: int, func: Callable[[], T]) -> T:
        """Run a read of ``size`` entries: on the loop when small, on a reader thread when
        large (the loop keeps answering meanwhile)."""
        if size <= LARGE:
            return func()
        return await self.off_loop(func)

    async def off_loop(self, func: Callable[[], T]) -> T:
        """Run ``func`` on a reader thread."""
        return await asyncio.get_running_loop().run_in_executor(self._readers, func)

    async def on_writer(self, func: Callable[[Engine], T]) -> T:
        """Run ``func`` on the writer thread (reads of the event log write due ends)."""
        return await asyncio.get_running_loop().run_in_executor(
            self._writer, lambda: func(self.engine)
        )

    async def fresh(self, min_revision: int | None) -> Engine:
        """The engine, caught up with writes made elsewhere, and at least at ``min_revision``.

        At most once a millisecond, one cheap check of the store; only when
        another process wrote does the engine catch up, on the writer thread.
        """
        engine = self.engine
        self._loop = loop = asyncio.get_running_loop()
        now = time.monotonic()
        if now - self._checked >= CHECK_EVERY:  # the check costs a few µs: not per request
            self._checked = now
            if engine.written_elsewhere():
                await self._catch_up_for_read(loop, bounded=min_revision is None)
        if min_revision is None or min_revision <= engine.revision:
            return engine
        deadline = time.monotonic() + self.settings.revision_wait
        while True:
            changed = self.changed  # taken before looking: a wake meanwhile is not lost
            # The caller saw ``min_revision`` committed: look without asking first.
            await loop.run_in_executor(self._writer, partial(engine.refresh, force=True))
            if engine.revision >= min_revision:
                return engine
            left = deadline - time.monotonic()
            if left <= 0:
                raise edge(
                    "revision_not_reached",
                    f"this server is at revision {engine.revision}, not yet {min_revision};"
                    " retry shortly",
                    field="min_revision",
                    retry_after="1",
                )
            with suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(POLL_SECONDS, left))

    async def _catch_up_for_read(self, loop: asyncio.AbstractEventLoop, *, bounded: bool) -> None:
        """Catch up before a read. A read that names no revision waits at most
        :data:`CATCH_UP_WAIT` (the writer thread may be busy, or the store out of
        reach) and then answers from the index; the catch-up goes on meanwhile."""
        catching_up = loop.run_in_executor(self._writer, self.engine.refresh)
        if not bounded:
            await catching_up
            return
        done, _ = await asyncio.wait({catching_up}, timeout=CATCH_UP_WAIT)
        if not done:
            catching_up.add_done_callback(_ignore_outcome)
        elif isinstance(catching_up.exception(), StoreError):
            # Out of reach: answer from the index (every write heard before the outage)
            # and try the store again after a pause.
            self._checked = time.monotonic() + OUTAGE_PAUSE
        else:
            catching_up.result()

    def close(self) -> None:
        """Finish the write in flight, then close the store; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._readers.shutdown(wait=True)
        self._writer.shutdown(wait=True)
        self.keys.close()
        self.engine.close()

    @property
    def where(self) -> str:
        """The database, for logs: a URL without its password."""
        if isinstance(self.path, Path):
            return str(self.path)
        parts = urlsplit(self.path)
        host = parts.hostname or ""
        netloc = (parts.username + "@" if parts.username else "") + host
        netloc += f":{parts.port}" if parts.port else ""
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    def sizes(self) -> dict[str, int]:
        """Rows in the store's main tables (the index holds the same), for metrics."""
        return self.engine.store.counts(("persons", "addresses", "boundaries"))


def _ignore_outcome(future: asyncio.Future[bool]) -> None:
    """Retrieve a background catch-up's outcome; the next read that needs it reports it."""
    if not future.cancelled():
        future.exception()
