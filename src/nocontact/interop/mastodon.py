"""Mastodon's CSV exports: blocked accounts, muted accounts, blocked domains.

Mastodon writes ``blocks.csv`` as one ``user@domain`` a line (newer versions
under an ``Account address`` header), ``mutes.csv`` as ``Account address,Hide
notifications`` and ``domain_blocks.csv`` under a ``#domain`` header. Handles
may carry a leading ``@`` and any case; the domain is lower-cased. A Mastodon
export names no platform: handles become ``acct:PLATFORM:user@domain`` for the
``platform`` given (``mastodon`` by default).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from nocontact.core.addresses import AddressKind, parse_address
from nocontact.core.errors import InvalidAddress
from nocontact.core.index import check_pattern
from nocontact.core.model import Boundary, Channel

from .rows import BoundaryRow, Parsed

ACCOUNT_HEADER = "Account address"
MUTES_HEADER = ("Account address", "Hide notifications")
DOMAINS_HEADER = "#domain"
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no", ""}


def _cells(lines: list[str]) -> Iterable[tuple[int, list[str]]]:
    """Non-blank CSV records with their line numbers (1-based)."""
    for number, line in enumerate(lines, 1):
        if line.strip():
            yield number, [c.strip() for c in next(csv.reader(io.StringIO(line)))]


def handle(text: str, platform: str) -> str:
    """``@Sam@Social.Example`` as ``acct:mastodon:sam@social.example`` (checked)."""
    raw = text.strip().removeprefix("@")
    if "@" not in raw:
        raise InvalidAddress(f"{text!r} is not an account address (user@domain)")
    parsed = parse_address(f"acct:{platform}:{raw}")
    if parsed.kind is not AddressKind.ACCT or parsed.domain is None:
        raise InvalidAddress(f"{text!r} is not an account address (user@domain)")
    return parsed.uri


def parse_blocks(lines: list[str], platform: str = "mastodon", kind: str = "block") -> Parsed:
    out = Parsed()
    for number, cells in _cells(lines):
        if cells[0].lower() == ACCOUNT_HEADER.lower():
            continue
        try:
            out.rows.append(BoundaryRow(number, handle(cells[0], platform), kind))
        except InvalidAddress as exc:
            out.bad.append((number, exc.detail))
    return out


def parse_mutes(lines: list[str], platform: str = "mastodon") -> Parsed:
    """Muted accounts; ``Hide notifications`` false keeps their notifications coming."""
    out = Parsed()
    everything_but_notifications = sorted(set(Channel) - {Channel.NOTIFICATIONS})
    for number, cells in _cells(lines):
        if [c.lower() for c in cells[:2]] == [h.lower() for h in MUTES_HEADER]:
            continue
        try:
            target = handle(cells[0], platform)
            hide = cells[1].lower() if len(cells) > 1 else "true"
            if hide not in _TRUE | _FALSE:
                out.bad.append((number, f"Hide notifications must be true or false, not {hide!r}"))
                continue
            options = {} if hide in _TRUE else {"channels": everything_but_notifications}
            out.rows.append(BoundaryRow(number, target, "mute", options=options))
        except InvalidAddress as exc:
            out.bad.append((number, exc.detail))
    return out


def parse_domains(lines: list[str], platform: str = "mastodon") -> Parsed:
    """Blocked domains: every handle on the instance, as ``acct:PLATFORM:*@DOMAIN``."""
    out = Parsed()
    for number, cells in _cells(lines):
        if cells[0].lower() == DOMAINS_HEADER:
            continue
        domain = cells[0].lower().removeprefix("*.").strip()
        try:
            out.rows.append(BoundaryRow(number, check_pattern(f"acct:{platform}:*@{domain}"),
                                        "block"))  # fmt: skip
        except InvalidAddress:
            out.bad.append((number, f"{cells[0]!r} is not a domain"))
    return out


def write_accounts(boundaries: Iterable[Boundary], *, mutes: bool = False) -> str:
    """Boundaries on handles as Mastodon's blocks.csv (or mutes.csv) text."""
    rows = [list(MUTES_HEADER)] if mutes else [[ACCOUNT_HEADER]]
    for b in sorted(boundaries, key=lambda b: b.target):
        if b.target.startswith("acct:") and "@" in b.target:
            address = b.target.split(":", 2)[2]
            if mutes:
                hide = b.channels is None or Channel.NOTIFICATIONS in b.channels
                rows.append([address, "true" if hide else "false"])
            else:
                rows.append([address])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def write_domains(boundaries: Iterable[Boundary]) -> str:
    lines = [DOMAINS_HEADER]
    for b in sorted(boundaries, key=lambda b: b.target):
        if b.target.startswith("pattern:instance:"):
            lines.append(b.target.rpartition(":")[2])
    return "\n".join(lines) + "\n"
