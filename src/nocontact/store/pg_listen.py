"""The PostgreSQL store's ear: one ``LISTEN`` connection, on a thread of its own.

Every commit of the store sends ``pg_notify(channel, revision)`` inside its
transaction, so the notification leaves only when the commit does. A
:class:`Listener` keeps one autocommit connection (outside the pool) listening
on that channel and records the highest revision it heard; the store then
knows of other processes' writes without asking the database.

A connection can be lost, and a notification sent while nobody listened is
never delivered: whenever the listener (re)connects it opens a new *epoch*,
and the store treats everything before its next full check as unknown (see
``PostgresStore.written_elsewhere``). While the listener cannot connect it
says the database is *down*, so that requests wait only briefly for a pooled
connection instead of the pool's full timeout; it keeps retrying, with a
growing pause.

Imported only by :mod:`nocontact.store.postgres`, only for a PostgreSQL URL.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

__all__ = ["Listener", "channel_for"]

log = logging.getLogger("nocontact.store")

#: PostgreSQL truncates identifiers (a channel is one) to this many bytes.
IDENTIFIER_BYTES = 63
#: How long one wait for notifications lasts: also how soon ``close`` is noticed.
TICK = 0.25
#: The longest pause between two attempts to reconnect, in seconds.
MAX_PAUSE = 1.0
#: TCP keepalives, so that a connection whose peer vanished without a word is
#: noticed in seconds rather than hours.
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 2,
}


def channel_for(schema: str) -> str:
    """The channel of the store in ``schema``: several schemas share one database."""
    channel = f"nocontact_{schema}"
    if len(channel.encode()) <= IDENTIFIER_BYTES:
        return channel
    return "nocontact_" + hashlib.sha256(schema.encode()).hexdigest()[:40]


class Listener:
    """Listens on ``channel`` until closed; the state is read by the store's threads."""

    def __init__(
        self,
        url: str,
        channel: str,
        *,
        wake: Callable[[], None],
        reconnected: Callable[[], None],
    ) -> None:
        """``wake`` is called on every notification and every change of state;
        ``reconnected`` after a reconnection, before the new epoch opens."""
        import psycopg

        self._psycopg: Any = psycopg
        self._url = url
        self.channel = channel
        self._wake = wake
        self._reconnected = reconnected
        self._lock = threading.Lock()
        self._stop = threading.Event()
        #: The highest revision heard of (or learned otherwise, see :meth:`heard`).
        self.notified = 0
        #: Counts the connections that reached ``LISTEN``: a new one means unknown.
        self.epoch = 0
        #: Whether a connection is listening now.
        self.listening = False
        #: Whether the last attempt to connect failed.
        self.down = False
        #: The server process of the listening connection (``pg_stat_activity.pid``).
        self.pid: int | None = None
        self._thread = threading.Thread(target=self._run, name="nocontact-listen", daemon=True)
        self._thread.start()

    def heard(self, revision: int) -> None:
        """Record that the store holds ``revision`` (a notification, or a commit's check)."""
        with self._lock:
            self.notified = max(self.notified, revision)

    def close(self) -> None:
        """Stop listening; returns within about :data:`TICK` (the thread is a daemon)."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=TICK + 1.0)

    # -- the thread ---------------------------------------------------------------

    def _run(self) -> None:
        pause = 0.0
        ever = False
        while not self._stop.wait(pause):
            try:
                conn = self._connect()
            except self._psycopg.Error as exc:
                if not self.down:
                    log.warning("PostgreSQL listener cannot connect: %s", exc)
                self._set(down=True)
                pause = min(max(pause * 2, 0.05), MAX_PAUSE)
                continue
            pause = 0.05  # a connection that drops at once is not retried in a tight loop
            try:
                with conn:
                    self._listen(conn, again=ever)
                    ever = True
                    while not self._stop.is_set():
                        for notify in conn.notifies(timeout=TICK):
                            self._notified(notify.payload)
            except self._psycopg.Error as exc:
                if not self._stop.is_set():
                    log.warning("PostgreSQL listener lost its connection: %s", exc)
            finally:
                self._set(listening=False)

    def _connect(self) -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] = self._psycopg.connect(
            self._url,
            autocommit=True,
            connect_timeout=3,
            application_name=f"nocontact:listen:{self.channel}"[:IDENTIFIER_BYTES],
            **KEEPALIVES,
        )
        return conn

    def _listen(self, conn: psycopg.Connection[Any], *, again: bool) -> None:
        from psycopg import sql

        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
        if again:
            self._reconnected()
            log.info("PostgreSQL listener reconnected")
        with self._lock:
            self.pid = conn.info.backend_pid
            self.epoch += 1
        self._set(listening=True, down=False)

    def _notified(self, payload: str) -> None:
        try:
            revision = int(payload)
        except ValueError:
            return
        self.heard(revision)
        self._call_wake()

    def _set(self, *, listening: bool | None = None, down: bool | None = None) -> None:
        with self._lock:
            if listening is not None:
                self.listening = listening
            if down is not None:
                self.down = down
        self._call_wake()

    def _call_wake(self) -> None:
        try:
            self._wake()
        except Exception:  # a failing waker must not stop the listener
            log.exception("PostgreSQL listener: waking the store's user failed")
