"""API keys for the products that call the service.

A key is ``nck_<id>_<secret>``; only the SHA-256 of the secret is stored (the
secret is 32 random bytes, so a fast hash is enough: there is nothing to
brute-force), in the store's ``service_api_keys`` table. Keys are compared in
constant time, also for ids that do not exist.
A key travels as ``Authorization: Bearer KEY``, or as the password of HTTP
Basic credentials (for clients such as a SIP proxy's pooled HTTP connections,
which can carry credentials in the URL but not a header of their own).
Scopes: ``decide`` (decide, visible, audience) and ``admin`` (everything,
``decide`` included). A revoked key stops working within :data:`CACHE_SECONDS`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import threading
import time
from dataclasses import dataclass
from enum import StrEnum

from nocontact.core.errors import InvalidInput, StoreError
from nocontact.store import Store, open_store

CACHE_SECONDS = 1.0
PREFIX = "nck_"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS service_api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    scope TEXT NOT NULL,
    hash BLOB NOT NULL,
    created REAL NOT NULL,
    revoked REAL
)
"""
_DUMMY = hashlib.sha256(b"no such key").digest()


def token_from(authorization: str) -> str | None:
    """The key in an Authorization header: ``Bearer KEY``, or HTTP Basic with the key as
    password (any user name), for clients that cannot set a header of their own."""
    scheme, _, value = authorization.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip() or None
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("ascii")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


class Scope(StrEnum):
    DECIDE = "decide"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Key:
    id: str
    name: str
    scope: Scope
    created: float
    revoked: float | None

    def allows(self, needed: Scope) -> bool:
        return self.scope is Scope.ADMIN or self.scope is needed


@dataclass(frozen=True, slots=True)
class _Row:
    key: Key
    hash: bytes


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class KeyStore:
    """Keys in the store's ``service_api_keys`` table (a numbered migration makes it)."""

    def __init__(self, where: str | os.PathLike[str] | Store) -> None:
        """On an open store (shared, left open), or on the store at a path or URL (owned)."""
        if isinstance(where, (str, os.PathLike)):
            self._store: Store = open_store(where)
            self._owned = True
        else:
            self._store, self._owned = where, False
        self._lock = threading.Lock()
        self._rows: dict[str, _Row] = {}
        self._loaded = -CACHE_SECONDS
        self._refreshing = False  # a background read of the keys is under way

    def close(self) -> None:
        if self._owned:
            self._store.close()

    def create(self, name: str, scope: Scope | str) -> tuple[Key, str]:
        """A new key; the token is shown once and never stored."""
        if not name or len(name) > 64:
            raise InvalidInput("a key needs a name of 1-64 characters", field="name")
        try:
            chosen = Scope(scope)
        except ValueError:
            raise InvalidInput("scope must be decide or admin", field="scope") from None
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        key = Key(key_id, name, chosen, time.time(), None)
        with self._lock:
            self._store.add_api_key(
                (key_id, name, chosen.value, _digest(secret), key.created, None)
            )
        self._read()
        return key, f"{PREFIX}{key_id}_{secret}"

    def revoke(self, key_id: str) -> Key:
        with self._lock:
            done = self._store.revoke_api_key(key_id, time.time())
        if not done:
            raise InvalidInput(f"no active key {key_id!r}", field="id")
        return next(k for k in self.list() if k.id == key_id)

    def list(self) -> list[Key]:
        return [row.key for row in self._load(force=True).values()]

    def verify(self, token: str | None) -> Key | None:
        """The key for ``token``, or None; the same work whether or not the id exists."""
        if not token or not token.startswith(PREFIX):
            return None
        key_id, _, secret = token.removeprefix(PREFIX).partition("_")
        row = self._load().get(key_id)
        expected = row.hash if row is not None else _DUMMY
        same = hmac.compare_digest(expected, _digest(secret))
        if row is None or not same or row.key.revoked is not None:
            return None
        return row.key

    def _load(self, *, force: bool = False) -> dict[str, _Row]:
        """The keys: read now the first time or when asked (``force``); otherwise from
        the cache, refreshed in the background once it is :data:`CACHE_SECONDS` old, so
        that a request (on the event loop) never waits for the store, nor fails with
        it: while the store is out of reach no key can be made or revoked, and the
        keys read before still hold. This process's own changes are read at once."""
        if force or self._loaded < 0:
            return self._read()
        with self._lock:
            due = not self._refreshing and time.monotonic() - self._loaded >= CACHE_SECONDS
            self._refreshing |= due
        if due:
            threading.Thread(target=self._refresh, name="nocontact-keys", daemon=True).start()
        return self._rows

    def _read(self) -> dict[str, _Row]:
        with self._lock:
            found = self._store.api_keys()
        self._rows = {
            r[0]: _Row(Key(r[0], r[1], Scope(r[2]), r[4], r[5]), bytes(r[3])) for r in found
        }
        self._loaded = time.monotonic()
        return self._rows

    def _refresh(self) -> None:
        try:
            self._read()
        except StoreError:
            self._loaded = time.monotonic()  # out of reach: keep the keys, try again later
        finally:
            self._refreshing = False
