"""A plain list of phone numbers, one a line, in any human spelling.

``(415) 555-0123``, ``+44 20 7946 0958``, ``0044 20 7946 0958``, ``415.555.0123``:
each is normalised with libphonenumber for the default ``region`` (the one the
person dials from). Blank lines and lines starting with ``#`` are skipped; text
after a comma (a label some phones export) is ignored.
"""

from __future__ import annotations

from nocontact.core.addresses import AddressKind, parse_address
from nocontact.core.errors import InvalidAddress

from .rows import BoundaryRow, Parsed


def parse_numbers(lines: list[str], region: str = "US", kind: str = "block") -> Parsed:
    out = Parsed()
    for number, line in enumerate(lines, 1):
        text = line.split(",", 1)[0].strip()
        if not text or text.startswith("#"):
            continue
        try:
            parsed = parse_address(text, region=region)
        except InvalidAddress as exc:
            out.bad.append((number, exc.detail))
            continue
        if parsed.kind is not AddressKind.TEL or parsed.emergency:
            out.bad.append((number, f"{text!r} is not a phone number that can be blocked"))
            continue
        out.rows.append(BoundaryRow(number, parsed.uri, kind))
    return out
