"""A bulk import's digests, hashed in a second process ahead of the rows that need them.

Hashing millions of plain ids holds the GIL (hashlib's keyed BLAKE2b, called from C,
about 0.7 µs a boundary), so in the importing process it could only come before the
store's writing, never beside it. A child process (``python -c`` calling ``main``
here: it never runs the caller's own script) hashes the pieces
one after another while the store writes the rows of the pieces before; only the
first piece is waited for. If the child cannot start or dies, the pieces left are
hashed here: the answer is the same, only later.

The two talk by pickles over the child's standard input and output, private pipes
between two processes of the same program.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import nocontact
from nocontact.core.plain_ids import I64, U8, U64, Digester

#: Below this many boundaries, starting a process costs more than the hashing it saves.
AHEAD_FROM = 1_000_000

Piece = tuple[I64, I64, U8]


def digests_ahead(digester: Digester, pieces: Sequence[Piece], *, ahead: bool) -> Iterator[U64]:
    """The digests of each piece (owners, targets, codes), in order; with ``ahead``,
    hashed in another process while the caller works on the pieces before."""
    child = _spawn() if ahead and len(pieces) > 1 else None
    if child is None:
        for piece in pieces:
            yield digester(*piece)
        return
    assert child.stdin is not None and child.stdout is not None
    rest = pieces[1:]
    feeder = threading.Thread(
        target=_feed, args=(child.stdin, digester, rest), name="nocontact-hash-feed", daemon=True
    )
    feeder.start()
    answers: IO[bytes] | None = child.stdout
    try:
        yield digester(*pieces[0])  # while the child starts
        for piece in rest:
            found = None
            if answers is not None:
                try:
                    found = pickle.load(answers)
                except (EOFError, OSError, pickle.UnpicklingError):
                    answers = None  # the child is gone: the rest is hashed here
            yield found if found is not None else digester(*piece)
    finally:
        child.kill()
        child.wait()
        feeder.join()
        child.stdout.close()


def _spawn() -> subprocess.Popen[bytes] | None:
    # The child finds this very package, however the caller found it.
    root = str(Path(nocontact.__file__).resolve().parent.parent)
    paths = [root, os.environ.get("PYTHONPATH", "")]
    try:
        return subprocess.Popen(
            [sys.executable, "-c", f"from {__name__} import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)},
        )
    except (OSError, ValueError):
        return None


def _feed(pipe: IO[bytes], digester: Digester, pieces: Sequence[Piece]) -> None:
    """Write the digester, then every piece (pickling lets go of the GIL in the writes)."""
    try:
        with pipe:
            pickle.dump(digester, pipe, protocol=pickle.HIGHEST_PROTOCOL)
            for piece in pieces:
                pickle.dump(piece, pipe, protocol=pickle.HIGHEST_PROTOCOL)
    except (BrokenPipeError, OSError):
        pass  # the child is gone (or was stopped): the reader hashes what is left


def main() -> None:
    """The child: read a digester, then hash each piece read, until the input ends."""
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    try:
        digester: Digester = pickle.load(source)
        while True:
            piece: Piece = pickle.load(source)
            pickle.dump(digester(*piece), sink, protocol=pickle.HIGHEST_PROTOCOL)
            sink.flush()
    except EOFError:  # the importer has sent all it had, or stopped
        return
