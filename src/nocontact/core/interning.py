"""Keys (person ids, address URIs) numbered densely, 0 to n - 1, in the order first seen.

The compiled ``_interner`` keeps every key as UTF-8 in one blob with an offset
each and an open-addressing table keyed by Python's (per-process randomised)
string hash: about 20 bytes a key where a dict and a list of str spend over a
hundred. ``PureInterner`` is its twin, a dict and a list, used when the kernel is
not built or ``NOCONTACT_PURE_PYTHON`` is set; both answer alike.

Both load and save keys as a checkpoint stores them (``extend``, ``export``): the
UTF-8 of every key back to back and each one's end offset as native int64, so a
checkpoint's keys are never a million Python strings on the way in.
"""

from __future__ import annotations

import sys
from typing import Any, Protocol, overload

import numpy as np

from .compiled import kernel

#: What ``extend`` reads from: any contiguous buffer.
Buffer = bytes | memoryview | np.ndarray[Any, Any]


class Interner(Protocol):
    """What the index asks of either interner."""

    @overload
    def get(self, key: str, /) -> int | None: ...
    @overload
    def get(self, key: str, default: int, /) -> int: ...
    def intern(self, key: str, /) -> int:
        """The key's number, numbering it next if new (a lone surrogate raises)."""
        ...

    def key(self, number: int, /) -> str:
        """The key numbered ``number`` (IndexError outside 0 to n - 1)."""
        ...

    def extend(self, blob: Buffer, ends: Buffer, /) -> None:
        """Number new keys given as ``export`` gives them; all or none (ValueError)."""
        ...

    def export(self) -> tuple[bytes, bytes]:
        """Every key: their UTF-8 back to back, and each one's end as native int64."""
        ...

    def nbytes(self) -> int:
        """Bytes held, all in."""
        ...

    def __len__(self) -> int: ...
    def __contains__(self, key: object, /) -> bool: ...


class PureInterner:
    """The compiled interner's twin: a dict from key to number and a list back."""

    __slots__ = ("_keys", "_numbers", "get")

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self._keys: list[str] = []
        #: The dict's own ``get``: the hot path pays no extra call.
        self.get = self._numbers.get

    def intern(self, key: str) -> int:
        found = self._numbers.get(key)
        if found is not None:
            return found
        if not isinstance(key, str):
            raise TypeError(f"a key is a str, not {type(key).__name__}")
        key.encode()  # as the compiled twin: a key is valid UTF-8
        number = len(self._keys)
        self._numbers[key] = number
        self._keys.append(key)
        return number

    def key(self, number: int) -> str:
        if number < 0:
            raise IndexError("no key has this number")
        return self._keys[number]

    def extend(self, blob: Buffer, ends: Buffer) -> None:
        data, raw = bytes(blob), bytes(ends)
        if len(raw) % 8:
            raise ValueError("ends must be 64-bit integers")
        stops = np.frombuffer(raw, np.int64).tolist()
        if stops != sorted(stops) or (stops and stops[0] < 0) or (stops or [0])[-1] != len(data):
            raise ValueError("ends must rise, stay within the blob and end at its length")
        keys = [data[a:b].decode() for a, b in zip([0, *stops], stops, strict=False)]
        if len(set(keys)) != len(keys) or any(k in self._numbers for k in keys):
            raise ValueError("a key repeats")
        for key in keys:
            self.intern(key)

    def export(self) -> tuple[bytes, bytes]:
        encoded = [k.encode() for k in self._keys]
        ends = np.cumsum([len(e) for e in encoded], dtype=np.int64)
        return b"".join(encoded), ends.tobytes()

    def nbytes(self) -> int:
        keys = sum(sys.getsizeof(k) for k in self._keys)
        return sys.getsizeof(self._numbers) + sys.getsizeof(self._keys) + keys + 32 * len(self)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._numbers


def trim_heap() -> bool:
    """Give memory freed by a bulk load back to the system (glibc, compiled kernel only).

    The allocator keeps freed heap memory for reuse: after an open, that is the
    checkpoint's bytes, SQLite's pages and transient arrays, several bytes a boundary.
    """
    compiled = kernel("_interner")
    return compiled is not None and bool(compiled.trim_heap())


def new_interner() -> Interner:
    """The compiled interner when built (and not turned off), else the pure twin."""
    compiled = kernel("_interner")
    if compiled is None:
        return PureInterner()
    made: Interner = compiled.Interner()
    return made
