"""Server-side sessions and the sign-in hooks.

The browser holds only a random id (an HttpOnly, SameSite=Lax cookie); the
session itself, the CSRF token and anything a hook keeps (a companion's
unlocked key) live in this process's memory and nowhere else. Signing out,
or the server stopping, forgets them.

Hooks: after a successful sign-in each ``on_sign_in`` callback receives the
session, the person and the plaintext passphrase (demo people have one too,
used behind the scenes); ``on_sign_out`` receives the session and the person
before the session is forgotten; ``on_password_change`` receives the session,
the person, the old and the new passphrase.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

COOKIE = "nc_session"
#: A session unused this long (real time, not the engine's clock) is forgotten.
IDLE_SECONDS = 12 * 3600.0


@dataclass
class Session:
    id: str
    csrf: str
    person: str | None = None
    last_used: float = 0.0
    #: Room for extensions (the companion keeps its unlocked key here).
    data: dict[str, object] = field(default_factory=dict)


SignIn = Callable[[Session, str, str], None]
SignOut = Callable[[Session, str], None]
PasswordChange = Callable[[Session, str, str, str], None]


@dataclass
class Hooks:
    sign_in: list[SignIn] = field(default_factory=list)
    sign_out: list[SignOut] = field(default_factory=list)
    password_change: list[PasswordChange] = field(default_factory=list)

    def on_sign_in(self, callback: SignIn) -> SignIn:
        self.sign_in.append(callback)
        return callback

    def on_sign_out(self, callback: SignOut) -> SignOut:
        self.sign_out.append(callback)
        return callback

    def on_password_change(self, callback: PasswordChange) -> PasswordChange:
        self.password_change.append(callback)
        return callback


class Sessions:
    """Every live session of this process, by id."""

    def __init__(self, hooks: Hooks | None = None) -> None:
        self.hooks = hooks or Hooks()
        self._by_id: dict[str, Session] = {}
        self._lock = threading.Lock()

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        now = time.monotonic()
        with self._lock:
            found = self._by_id.get(session_id)
            if found is not None and now - found.last_used > IDLE_SECONDS and found.last_used:
                del self._by_id[session_id]
                found = None
        if found is not None:
            found.last_used = now
        return found

    def new(self) -> Session:
        session = Session(
            secrets.token_urlsafe(32), secrets.token_urlsafe(32), last_used=time.monotonic()
        )
        with self._lock:
            self._by_id[session.id] = session
        return session

    def sign_in(self, session: Session, person: str, passphrase: str) -> Session:
        """A fresh session id for the signed-in person (no fixation), then the hooks."""
        with self._lock:
            self._by_id.pop(session.id, None)
        fresh = self.new()
        fresh.person = person
        for hook in self.hooks.sign_in:
            hook(fresh, person, passphrase)
        return fresh

    def sign_out(self, session: Session) -> None:
        if session.person is not None:
            for hook in self.hooks.sign_out:
                hook(session, session.person)
        with self._lock:
            self._by_id.pop(session.id, None)
        session.person = None
        session.data.clear()

    def password_changed(self, session: Session, old: str, new: str) -> None:
        if session.person is not None:
            for hook in self.hooks.password_change:
                hook(session, session.person, old, new)
