"""Named sections of ``BENCHMARKS.md``, each between its own pair of markers.

``nocontact bench`` writes the ``bench`` section, ``nocontact bench --http``
the ``bench-http`` one, ``nocontact bench --sip`` the ``bench-sip`` one and
``nocontact bench --app`` the ``bench-app`` one, ``nocontact bench --product`` the
``bench-product`` one, ``nocontact bench --workers``
the ``bench-workers`` one; each replaces only its own, so a run of one keeps what
the others wrote. A section not in the file yet is put in :data:`ORDER`. The
tables they hold are made by :func:`table`, their verdicts by :func:`verdict`.
"""

from __future__ import annotations

from pathlib import Path

TITLE = "# Benchmarks"
#: Where a section goes when the file does not hold it yet.
ORDER = (
    "bench",
    "bench-product",
    "bench-http",
    "bench-workers",
    "bench-sip",
    "bench-app",
    "bench-lists",
)


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table, one line a row (a ``|`` inside a cell is escaped)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def verdict(met: bool | None) -> str:
    """A target's verdict in a table: ``met``, ``**missed**``, or ``not judged``."""
    return {True: "met", False: "**missed**", None: "not judged"}[met]


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def _span(text: str, name: str) -> tuple[int, int] | None:
    """Where the section starts and where what follows it starts, if the file holds it."""
    start, end = markers(name)
    at = text.find(start)
    stop = text.find(end, at + len(start)) if at >= 0 else -1
    if stop < 0:
        return None
    stop += len(end)
    while text.startswith("\n", stop):
        stop += 1
    return at, stop


def replace(text: str, name: str, body: str) -> str:
    """``text`` with section ``name`` holding ``body``; every other line kept as it was."""
    start, end = markers(name)
    block = f"{start}\n{body.strip(chr(10))}\n{end}\n"
    found = _span(text, name)
    if found is not None:
        at, stop = found
        rest = text[stop:]
        return text[:at] + block + ("\n" + rest if rest else "")
    later = ORDER[ORDER.index(name) + 1 :] if name in ORDER else ()
    for other in later:
        span = _span(text, other)
        if span is not None:
            return text[: span[0]] + block + "\n" + text[span[0] :]
    head = text.rstrip("\n")
    return (head + "\n\n" if head else "") + block


def write(path: Path, name: str, body: str) -> None:
    """Replace (or add) section ``name`` of the file at ``path``, creating the file if need be."""
    text = path.read_text(encoding="utf-8") if path.exists() else TITLE + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(replace(text, name, body), encoding="utf-8")
