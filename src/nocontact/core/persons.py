"""Who among the numbered keys is a person, and the display names of those who have one.

A byte a key says "a person" (addresses are numbered too); only persons with a
display name take a dict entry. Read as a mapping from person id to display
name (None when unnamed), as ``explain`` and the engine's reads use it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from .interning import Interner

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]


class Persons(Mapping[str, str | None]):
    """Person id -> display name or None, over the index's numbering."""

    def __init__(self, ids: Interner) -> None:
        self._ids = ids
        self._flags = bytearray()  # by number: 1 for a person
        self._named: dict[int, str] = {}  # number -> display name, for those with one
        self._count = 0

    def add(self, person: str, name: str | None) -> None:
        """Number ``person`` if new, mark it a person and set (or clear) its display name."""
        number = self._ids.intern(person)
        flags = self._flags
        if number >= len(flags):  # grow by doubling: O(1) amortised per person
            flags.extend(bytes(max(number + 1, 2 * len(flags)) - len(flags)))
        if not flags[number]:
            flags[number] = 1
            self._count += 1
        if name is None:
            self._named.pop(number, None)
        else:
            self._named[number] = name

    def add_unnamed(self, persons: Sequence[str]) -> None:
        """``add(p, None)`` for each of ``persons``, the flags set at once (a bulk import)."""
        numbers = np.fromiter(map(self._ids.intern, persons), np.int64, len(persons))
        if not numbers.size:
            return
        flags = self._flags
        top = int(numbers.max()) + 1
        if top > len(flags):
            flags.extend(bytes(max(top, 2 * len(flags)) - len(flags)))
        view = np.frombuffer(flags, np.uint8)
        self._count += np.unique(numbers[view[numbers] == 0]).size
        view[numbers] = 1
        del view  # a view pins the bytearray: a later ``add`` could not grow it
        if self._named:
            for number in numbers.tolist():
                self._named.pop(number, None)

    def name_of(self, number: int) -> str | None:
        """The display name of the person numbered ``number``, if they have one."""
        return self._named.get(number)

    def is_person(self, number: int) -> bool:
        flags = self._flags
        return 0 <= number < len(flags) and bool(flags[number])

    def _number(self, person: str) -> int | None:
        number = self._ids.get(person)
        return number if number is not None and self.is_person(number) else None

    def __contains__(self, person: object) -> bool:
        return isinstance(person, str) and self._number(person) is not None

    def __getitem__(self, person: str) -> str | None:
        number = self._number(person)
        if number is None:
            raise KeyError(person)
        return self._named.get(number)

    def __setitem__(self, person: str, name: str | None) -> None:
        self.add(person, name)

    def __iter__(self) -> Iterator[str]:
        key = self._ids.key
        # A copy: a view would pin the bytearray, and a writer growing it would fail.
        for number in np.flatnonzero(np.frombuffer(bytes(self._flags), np.uint8)).tolist():
            yield key(number)

    def __len__(self) -> int:
        return self._count

    def nbytes(self) -> int:
        named = sum(sys.getsizeof(n) + 32 for n in self._named.values())  # names and numbers
        return sys.getsizeof(self._flags) + sys.getsizeof(self._named) + named

    # -- as a checkpoint stores them ------------------------------------------

    def arrays(self, n: int) -> dict[str, npt.NDArray[np.generic]]:
        """The flags for ``n`` numbers, and the named persons' numbers, names and ends."""
        flags = np.zeros(n, np.uint8)
        given = np.frombuffer(bytes(self._flags[:n]), np.uint8)
        flags[: given.size] = given
        numbers = np.fromiter(self._named, np.int64, len(self._named))
        encoded = [name.encode() for name in self._named.values()]
        return {
            "person_flags": flags,
            "named_numbers": numbers,
            "names": np.frombuffer(b"".join(encoded), np.uint8),
            "name_ends": np.cumsum([len(e) for e in encoded], dtype=np.int64),
        }

    def load(self, flags: U8, numbers: I64, names: U8, name_ends: I64) -> None:
        """Take what ``arrays`` gave (for a numbering ``_ids`` holds already)."""
        self._flags = bytearray(flags.tobytes())
        self._count = int(np.count_nonzero(flags))
        text = names.tobytes()
        starts = [0, *name_ends.tolist()]
        self._named = {
            number: text[starts[i] : starts[i + 1]].decode()
            for i, number in enumerate(numbers.tolist())
        }
