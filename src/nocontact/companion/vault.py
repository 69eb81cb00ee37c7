"""One person's records, sealed and opened with their data key; and the keyring.

A :class:`Vault` is what every companion tool works through: it turns records
into sealed rows and back, and never hands the store a byte of plaintext. The
:class:`Keyring` finds the unlocked data key of a signed-in session. The
session itself holds the only strong reference (in its server-side data), so
a key lives exactly as long as its session: sign-out, an idle session the app
forgets, or a restart, and it is gone; the companion then asks the person to
sign in again.
"""

from __future__ import annotations

import json
import secrets
import threading
import weakref
from typing import Any, TypeVar

from .crypto import DEFAULT_KDF, DataKey, KdfParams, change_passphrase, new_key, unlock
from .records import KINDS, Record
from .store import CompanionStore

__all__ = ["Keyring", "Vault"]

R = TypeVar("R", bound=Record)
_BY_KIND = {cls.KIND: cls for cls in KINDS}


def new_id() -> str:
    return secrets.token_hex(8)


class Vault:
    """The sealed records of the person whose key this is."""

    def __init__(self, store: CompanionStore, key: DataKey) -> None:
        self._store = store
        self._key = key

    @property
    def person(self) -> str:
        return self._key.person

    @property
    def key(self) -> DataKey:
        """The unlocked key, for its session to hold (and nothing else)."""
        return self._key

    def save(self, record: R) -> R:
        """Seal and store ``record`` (a new id if it has none)."""
        if not record.id:
            record.id = record.SINGLE or new_id()
        plain = json.dumps(record.to_doc(), ensure_ascii=False, sort_keys=True).encode("utf-8")
        self._store.put(
            self.person, record.KIND, record.id, self._key.seal(record.KIND, record.id, plain)
        )
        return record

    def _open(self, cls: type[R], record_id: str, body: bytes) -> R:
        doc = json.loads(self._key.open(cls.KIND, record_id, body))
        doc["id"] = record_id
        return cls.from_doc(doc)

    def get(self, cls: type[R], record_id: str | None = None) -> R | None:
        """One record by id (or the person's single record of a kind)."""
        rid = record_id or cls.SINGLE
        if rid is None:
            raise ValueError(f"{cls.KIND} records need an id")
        body = self._store.get(self.person, cls.KIND, rid)
        return None if body is None else self._open(cls, rid, body)

    def single(self, cls: type[R]) -> R:
        """The person's one record of a kind, or a blank one."""
        found = self.get(cls)
        return found if found is not None else cls()

    def all(self, cls: type[R]) -> list[R]:
        """Every record of a kind, oldest first."""
        rows = self._store.rows(self.person, cls.KIND)
        found = [self._open(cls, row.id, row.body) for row in rows]
        return sorted(found, key=lambda r: (r.created, r.id))

    def burn(self, cls: type[Record], record_id: str) -> bool:
        """Securely delete one record. True if it was there."""
        return self._store.delete(self.person, cls.KIND, record_id)

    def export(self) -> dict[str, list[dict[str, Any]]]:
        """Every record the person has, opened, grouped by kind."""
        out: dict[str, list[dict[str, Any]]] = {}
        for row in self._store.rows(self.person):
            cls = _BY_KIND.get(row.kind)
            if cls is not None:
                out.setdefault(row.kind, []).append(self._open(cls, row.id, row.body).to_doc())
        for docs in out.values():
            docs.sort(key=lambda d: (d.get("created", 0.0), d.get("id", "")))
        return out

    def delete_everything(self) -> int:
        """Every row of this person's companion, key included, securely deleted."""
        return self._store.delete_person(self.person)


class Keyring:
    """Unlocked data keys by session id, in this process's memory only."""

    def __init__(self, store: CompanionStore, params: KdfParams = DEFAULT_KDF) -> None:
        self.store = store
        self.params = params
        # Weak: the session's own data holds the key; when the session goes, so does it.
        self._keys: weakref.WeakValueDictionary[str, DataKey] = weakref.WeakValueDictionary()
        self._lock = threading.Lock()

    def sign_in(self, session_id: str, person: str, passphrase: str) -> Vault:
        """Unlock (or, the first time, create) ``person``'s key for this session.

        The caller keeps ``vault.key`` for as long as the session lasts (the
        keyring holds it weakly). Raises :class:`~.crypto.WrongPassphrase`
        when the passphrase does not open a key that exists.
        """
        stored = self.store.key(person)
        if stored is None:
            wrapped, key = new_key(person, passphrase, self.params)
            self.store.put_key(wrapped)
        else:
            key = unlock(stored, passphrase)
        with self._lock:
            self._keys[session_id] = key
        return Vault(self.store, key)

    def vault(self, session_id: str, person: str) -> Vault | None:
        """The open vault of a signed-in session, if its key is unlocked."""
        with self._lock:
            key = self._keys.get(session_id)
        if key is None or key.person != person:
            return None
        return Vault(self.store, key)

    def sign_out(self, session_id: str) -> None:
        with self._lock:
            self._keys.pop(session_id, None)

    def forget_person(self, person: str) -> None:
        """Drop every session key of ``person`` (after deleting everything)."""
        with self._lock:
            for sid in [s for s, k in self._keys.items() if k.person == person]:
                del self._keys[sid]

    def change_passphrase(self, person: str, old: str, new: str) -> None:
        """Re-wrap ``person``'s data key under ``new``; nothing else changes."""
        stored = self.store.key(person)
        if stored is None:
            return  # nothing written yet: the next sign-in creates a key under ``new``
        self.store.put_key(change_passphrase(stored, old, new))
