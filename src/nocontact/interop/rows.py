"""What a parsed file holds: rows to apply, each with its line, and bad rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nocontact.core.errors import InvalidInput

#: The largest file an import reads (the HTTP body limit is lower: see the service).
MAX_IMPORT_BYTES = 20 * 1024 * 1024
#: The most rows one import applies (one transaction holds them all).
MAX_IMPORT_ROWS = 200_000
#: Every format ``nocontact import`` reads.
FORMATS = (
    "mastodon-blocks",
    "mastodon-mutes",
    "mastodon-domains",
    "vcard",
    "numbers",
    "json",
)


@dataclass(frozen=True, slots=True)
class BoundaryRow:
    """Set a boundary from the importing owner (or ``owner``, in the native format)."""

    line: int
    target: str
    kind: str
    owner: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ContactRow:
    """A person known by name and addresses; the owner's contact, or a target."""

    line: int
    name: str | None
    addresses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RecordRow:
    """A record of the native format, applied as is (persons, lists, subscriptions...)."""

    line: int
    type: str
    data: dict[str, Any]


Row = BoundaryRow | ContactRow | RecordRow


@dataclass(slots=True)
class Parsed:
    rows: list[Row] = field(default_factory=list)
    bad: list[tuple[int, str]] = field(default_factory=list)


def decode(content: bytes | str) -> list[str]:
    """The file's lines: UTF-8 with or without a byte-order mark, any line ends."""
    if isinstance(content, bytes):
        if len(content) > MAX_IMPORT_BYTES:
            raise InvalidInput(
                f"the file has {len(content)} bytes; at most {MAX_IMPORT_BYTES}", field="content"
            )
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                f"the file is not UTF-8 text (byte {exc.start})", field="content"
            ) from None
    elif len(content) > MAX_IMPORT_BYTES:
        raise InvalidInput(f"the file is longer than {MAX_IMPORT_BYTES} bytes", field="content")
    return content.removeprefix("\ufeff").splitlines()
