"""The companion's envelope encryption: argon2id wraps a random data key, AES-GCM seals records."""

from __future__ import annotations

import time

import pytest

from nocontact.companion.crypto import (
    DEFAULT_KDF,
    KdfParams,
    LockedRecord,
    WrongPassphrase,
    change_passphrase,
    new_key,
    unlock,
)

FAST = KdfParams(time_cost=1, memory_kib=1024, parallelism=1)


def test_the_right_passphrase_opens_what_was_sealed() -> None:
    """A record sealed with a person's data key opens with the key their passphrase unwraps."""
    wrapped, key = new_key("sam", "correct horse", FAST)
    blob = key.seal("letter", "l1", b"dear nobody")
    assert unlock(wrapped, "correct horse").open("letter", "l1", blob) == b"dear nobody"


def test_a_wrong_passphrase_opens_nothing() -> None:
    """A wrong passphrase fails the wrapped key's tag: a clear error, no key, no record."""
    wrapped, _ = new_key("sam", "correct horse", FAST)
    with pytest.raises(WrongPassphrase):
        unlock(wrapped, "correct hose")
    with pytest.raises(WrongPassphrase):
        unlock(wrapped, "")


def test_a_passphrase_change_rewraps_the_same_key() -> None:
    """After a change, the new passphrase opens every old record; the old one opens nothing."""
    wrapped, key = new_key("sam", "old pass", FAST)
    blobs = [key.seal("checkin", f"c{i}", f"mood {i}".encode()) for i in range(5)]
    rewrapped = change_passphrase(wrapped, "old pass", "new pass")
    assert rewrapped.salt != wrapped.salt
    opened = unlock(rewrapped, "new pass")
    assert [opened.open("checkin", f"c{i}", b) for i, b in enumerate(blobs)] == [
        f"mood {i}".encode() for i in range(5)
    ]
    with pytest.raises(WrongPassphrase):
        unlock(rewrapped, "old pass")
    with pytest.raises(WrongPassphrase):
        change_passphrase(wrapped, "not it", "new pass")


def test_every_seal_uses_a_fresh_nonce() -> None:
    """The same plaintext sealed twice gives two different ciphertexts (96-bit random nonces)."""
    _, key = new_key("sam", "pass", FAST)
    first, second = key.seal("letter", "l1", b"same"), key.seal("letter", "l1", b"same")
    assert first[:12] != second[:12] and first != second


@pytest.mark.parametrize(
    ("person", "kind", "record_id"),
    [("kim", "letter", "l1"), ("sam", "checkin", "l1"), ("sam", "letter", "l2")],
)
def test_a_record_moved_elsewhere_does_not_open(person: str, kind: str, record_id: str) -> None:
    """Person, kind and id are bound as associated data: a moved ciphertext fails."""
    wrapped, key = new_key("sam", "pass", FAST)
    blob = key.seal("letter", "l1", b"dear nobody")
    other = unlock(wrapped, "pass") if person == "sam" else new_key(person, "pass", FAST)[1]
    with pytest.raises(LockedRecord):
        other.open(kind, record_id, blob)


def test_a_tampered_record_does_not_open() -> None:
    """One flipped bit anywhere in a sealed record makes it refuse to open."""
    _, key = new_key("sam", "pass", FAST)
    blob = bytearray(key.seal("letter", "l1", b"dear nobody"))
    blob[-1] ^= 1
    with pytest.raises(LockedRecord):
        key.open("letter", "l1", bytes(blob))


def test_the_default_costs_are_rfc_9106s_and_stored_with_the_key() -> None:
    """argon2id t=3, m=64 MiB, p=4 by default; the costs travel with the wrapped key."""
    assert (DEFAULT_KDF.time_cost, DEFAULT_KDF.memory_kib, DEFAULT_KDF.parallelism) == (3, 65536, 4)
    started = time.perf_counter()
    wrapped, _ = new_key("sam", "pass")
    assert wrapped.params == DEFAULT_KDF
    assert KdfParams.from_json(DEFAULT_KDF.to_json()) == DEFAULT_KDF
    assert time.perf_counter() - started < 5


def test_a_data_key_says_nothing_about_itself() -> None:
    """repr of an unlocked key names its person only, never key bytes."""
    _, key = new_key("sam", "pass", FAST)
    assert repr(key) == "DataKey(person='sam')"
