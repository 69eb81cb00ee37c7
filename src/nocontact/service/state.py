"""The service's parts, wired together: engine, keys, metrics, one writer thread.

Reads run on the event loop straight from the engine's in-memory index. Writes
run one at a time on a single writer thread (SQLite has one writer, and a
write waits for its commit to reach the disk). Before every write, and for a
read asking for a ``min_revision`` the engine has not reached, the store is
checked for writes made elsewhere (another worker, the CLI); if there are any,
the engine is reopened on the store, so no write is validated against an old
state and no read answers from one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from nocontact.engine import Engine, EngineConfig
from nocontact.store.sqlite import default_path
from nocontact.telephony.attempts import Attempts

from .auth import KeyStore
from .metrics import Metrics
from .problems import edge
from .settings import Settings

T = TypeVar("T")
POLL_SECONDS = 0.05


class Service:
    """Everything a request handler needs; built once per worker."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = Path(settings.db) if settings.db else default_path()
        self.config = EngineConfig(region=settings.region)
        self.engine = Engine.open(self.path, config=self.config)
        self.keys = KeyStore(self.path)
        self.attempts = Attempts(self.path)
        self.metrics = Metrics()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nocontact-writer")
        self.changed = asyncio.Event()
        self._closed = False

    async def write(self, func: Callable[[Engine], T]) -> T:
        """Run one write on the writer thread, against a current engine."""

        def run() -> T:
            self._catch_up()
            return func(self.engine)

        result = await asyncio.get_running_loop().run_in_executor(self._writer, run)
        self.changed.set()
        self.changed = asyncio.Event()
        return result

    async def on_writer(self, func: Callable[[Engine], T]) -> T:
        """Run ``func`` on the writer thread (reads of the event log write due ends)."""
        return await asyncio.get_running_loop().run_in_executor(
            self._writer, lambda: func(self.engine)
        )

    def _catch_up(self) -> bool:
        """Reopen the engine if the store holds writes it has not seen. On the writer thread."""
        engine = self.engine
        seen = engine.revision
        newer = [e for e in engine.events(seen, 1) if e.revision > engine.revision]
        if not newer:
            return False
        self.engine = Engine.open(self.path, config=self.config)
        engine.close()
        return True

    async def fresh(self, min_revision: int | None) -> Engine:
        """An engine at least as fresh as ``min_revision``, waiting a little for it."""
        if min_revision is None or min_revision <= self.engine.revision:
            return self.engine
        deadline = time.monotonic() + self.settings.revision_wait
        loop = asyncio.get_running_loop()
        while True:
            await loop.run_in_executor(self._writer, self._catch_up)
            if self.engine.revision >= min_revision:
                return self.engine
            if time.monotonic() >= deadline:
                raise edge(
                    "revision_not_reached",
                    f"this server is at revision {self.engine.revision}, not yet {min_revision};"
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
        self._writer.shutdown(wait=True)
        self.keys.close()
        self.attempts.close()
        self.engine.close()

    def sizes(self) -> dict[str, int]:
        """Rows in the store's main tables (the index holds the same), for metrics."""
        import sqlite3

        uri = self.path.resolve().as_uri() + "?mode=ro"
        with sqlite3.connect(uri, uri=True) as conn:
            return {
                t: int(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0])
                for t in ("persons", "addresses", "boundaries")
            }
