"""Envelope encryption of the companion's records.

Each person has a random 256-bit *data key*. It never touches the disk in the
clear: it is wrapped (AES-256-GCM) under a *key-encryption key* derived from
the person's passphrase with argon2id and a per-person random salt. Every record
is sealed with the data key under a fresh 96-bit nonce, with the record's
person, kind and id as associated data, so a ciphertext moved to another row or
another person does not open.

A passphrase change derives a new key-encryption key (with a new salt) and
re-wraps the same data key: no record is re-encrypted and every one stays
readable. A wrong passphrase fails the wrapped key's authentication tag and
opens nothing (:class:`WrongPassphrase`).

The argon2id parameters are stored beside each wrapped key, so stronger
defaults later never lock anyone out of what they wrote earlier.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from nocontact.core.errors import NocontactError

__all__ = [
    "DEFAULT_KDF",
    "DataKey",
    "KdfParams",
    "LockedRecord",
    "WrappedKey",
    "WrongPassphrase",
    "change_passphrase",
    "new_key",
    "unlock",
]

KEY_BYTES = 32
NONCE_BYTES = 12
SALT_BYTES = 16
_KEY_CONTEXT = b"nocontact/companion/data-key/v1"
_RECORD_CONTEXT = b"nocontact/companion/record/v1"


class WrongPassphrase(NocontactError):
    """The passphrase does not open this person's data key."""

    code = "wrong_passphrase"
    title = "Wrong passphrase"
    status = 403


class LockedRecord(NocontactError):
    """A record does not open with this key (tampered, moved or someone else's)."""

    code = "locked_record"
    title = "Record cannot be opened"
    status = 403


@dataclass(frozen=True, slots=True)
class KdfParams:
    """argon2id costs. The default is RFC 9106's second recommended option."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 4

    def to_json(self) -> str:
        return json.dumps(
            {"alg": "argon2id", "t": self.time_cost, "m": self.memory_kib, "p": self.parallelism},
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> KdfParams:
        data = json.loads(text)
        if data.get("alg") != "argon2id":
            raise LockedRecord(f"unknown key derivation {data.get('alg')!r}")
        return cls(int(data["t"]), int(data["m"]), int(data["p"]))


DEFAULT_KDF = KdfParams()


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """What is stored for a person: never the data key itself."""

    person: str
    salt: bytes
    params: KdfParams
    wrapped: bytes  # nonce || AES-GCM(kek, data key)


def _kek(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    return hash_secret_raw(
        secret=passphrase.encode("utf-8"),
        salt=salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def _key_aad(person: str) -> bytes:
    return _KEY_CONTEXT + b"|" + person.encode("utf-8")


def _wrap(person: str, passphrase: str, key: bytes, params: KdfParams) -> WrappedKey:
    salt = secrets.token_bytes(SALT_BYTES)
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(_kek(passphrase, salt, params)).encrypt(nonce, key, _key_aad(person))
    return WrappedKey(person, salt, params, nonce + sealed)


class DataKey:
    """A person's unlocked data key: seals and opens their records.

    It lives in server memory for one signed-in session and is never stored,
    logged or shown (``repr`` says nothing about it).
    """

    __slots__ = ("__weakref__", "_aead", "person")

    def __init__(self, person: str, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("a data key is 32 bytes")
        self.person = person
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return f"DataKey(person={self.person!r})"

    def _aad(self, kind: str, record_id: str) -> bytes:
        parts = (self.person, kind, record_id)
        return _RECORD_CONTEXT + b"".join(b"|" + p.encode("utf-8") for p in parts)

    def seal(self, kind: str, record_id: str, plaintext: bytes) -> bytes:
        """``nonce || ciphertext``, a fresh nonce every time."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, self._aad(kind, record_id))

    def open(self, kind: str, record_id: str, blob: bytes) -> bytes:
        try:
            nonce, sealed = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
            return self._aead.decrypt(nonce, sealed, self._aad(kind, record_id))
        except (InvalidTag, ValueError):
            raise LockedRecord(f"the {kind} record {record_id!r} does not open") from None


def new_key(
    person: str, passphrase: str, params: KdfParams = DEFAULT_KDF
) -> tuple[WrappedKey, DataKey]:
    """A fresh random data key for ``person``, wrapped under ``passphrase``."""
    key = secrets.token_bytes(KEY_BYTES)
    return _wrap(person, passphrase, key, params), DataKey(person, key)


def _unwrap(stored: WrappedKey, passphrase: str) -> bytes:
    kek = _kek(passphrase, stored.salt, stored.params)
    nonce, sealed = stored.wrapped[:NONCE_BYTES], stored.wrapped[NONCE_BYTES:]
    try:
        return AESGCM(kek).decrypt(nonce, sealed, _key_aad(stored.person))
    except InvalidTag:
        raise WrongPassphrase("that passphrase does not open this companion") from None


def unlock(stored: WrappedKey, passphrase: str) -> DataKey:
    """The data key, if ``passphrase`` is the one it was wrapped under."""
    return DataKey(stored.person, _unwrap(stored, passphrase))


def change_passphrase(
    stored: WrappedKey, old: str, new: str, params: KdfParams | None = None
) -> WrappedKey:
    """Re-wrap the same data key under ``new`` (a new salt): every record stays readable."""
    key = _unwrap(stored, old)
    return _wrap(stored.person, new, key, params or stored.params)
