"""The service's parts, wired together: engine, keys, metrics, one writer thread.

Reads run on the event loop straight from the engine's in-memory index, except
large ones (a batch, a feed or an audience of more than :data:`LARGE` entries),
which run on a small pool of reader threads (``read_threads``) so that one
request never holds the loop (and every other request, health checks included)
for long. Writes
run one at a time on a single writer thread (SQLite has one writer, and a
write waits for its commit to reach the disk). Before every write, and for a
read (at most once a millisecond), the store is checked (one cheap
``PRAGMA data_version`` on SQLite, one index lookup on PostgreSQL) for writes
made elsewhere (another worker, the CLI); if there are any, the engine applies
the events after its revision, so no write is validated against an old state
and no read answers from one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

from nocontact.engine import Engine, EngineConfig
from nocontact.store.postgres import is_postgres_url
from nocontact.store.sqlite import default_path
from nocontact.telephony.attempts import Attempts

from .auth import KeyStore
from .metrics import Metrics
from .problems import edge
from .settings import Settings

T = TypeVar("T")
POLL_SECONDS = 0.05
#: How often a read checks the store for other processes' writes, in seconds.
CHECK_EVERY = 0.001
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
        self.keys = KeyStore(self.engine.store)
        self.attempts = Attempts(self.engine.store)
        self.metrics = Metrics()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nocontact-writer")
        self._readers = ThreadPoolExecutor(
            max_workers=settings.read_threads, thread_name_prefix="nocontact-reader"
        )
        self.changed = asyncio.Event()
        self._closed = False
        self._checked = 0.0  # when a read last checked the store for others' writes

    async def write(self, func: Callable[[Engine], T]) -> T:
        """Run one write on the writer thread (the engine catches up with other writers)."""
        result = await asyncio.get_running_loop().run_in_executor(
            self._writer, lambda: func(self.engine)
        )
        self.changed.set()
        self.changed = asyncio.Event()
        return result

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
        another process wrote does the engine reload, on the writer thread.
        """
        engine = self.engine
        loop = asyncio.get_running_loop()
        now = time.monotonic()
        if now - self._checked >= CHECK_EVERY:  # the check costs a few µs: not per request
            self._checked = now
            if engine.written_elsewhere():
                await loop.run_in_executor(self._writer, engine.refresh)
        if min_revision is None or min_revision <= engine.revision:
            return engine
        deadline = time.monotonic() + self.settings.revision_wait
        while True:
            await loop.run_in_executor(self._writer, engine.refresh)
            if engine.revision >= min_revision:
                return engine
            if time.monotonic() >= deadline:
                raise edge(
                    "revision_not_reached",
                    f"this server is at revision {engine.revision}, not yet {min_revision};"
                    " retry shortly",
                    field="min_revision",
                    retry_after="1",
                )
            await asyncio.sleep(POLL_SECONDS)

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
