"""Contacts as vCard (``.vcf``, versions 2.1, 3.0 and 4.0), read with ``vobject``.

Every card becomes one person with all its numbers and e-mail addresses (a
card with two numbers and an e-mail is one person reachable three ways). The
name is the card's ``FN``, else its ``N``. Numbers are normalised for the
default ``region``. Line numbers are those of each card's ``BEGIN:VCARD``.
"""

from __future__ import annotations

from typing import Any

from nocontact.core.addresses import AddressKind, parse_address
from nocontact.core.errors import InvalidAddress

from .rows import ContactRow, Parsed


def _card_lines(lines: list[str]) -> list[int]:
    return [n for n, line in enumerate(lines, 1) if line.strip().upper() == "BEGIN:VCARD"]


def _name(card: Any) -> str | None:
    fn = card.contents.get("fn")
    if fn and str(fn[0].value).strip():
        return str(fn[0].value).strip()
    n = card.contents.get("n")
    if n:
        value = n[0].value
        parts = [value.prefix, value.given, value.additional, value.family, value.suffix]
        text = " ".join(str(p).strip() for p in parts if p and str(p).strip())
        return text or None
    return None


def parse_vcards(lines: list[str], region: str = "US") -> Parsed:
    import vobject  # imported when a vCard is read: it takes a moment

    out = Parsed()
    starts = _card_lines(lines)
    text = "\r\n".join(lines) + "\r\n"
    try:
        cards = list(vobject.readComponents(text, ignoreUnreadable=False))
    except Exception as exc:  # vobject raises its own ParseError and plain ValueErrors
        line = getattr(exc, "lineNumber", None)
        out.bad.append((int(line) if isinstance(line, int) else 1, f"not a vCard file: {exc}"))
        return out
    if not cards or len(cards) != len(starts):
        out.bad.append((1, "no vCard found (each card starts with BEGIN:VCARD)"))
        return out
    for card, line in zip(cards, starts, strict=True):
        if card.name.upper() != "VCARD":
            out.bad.append((line, f"a {card.name} is not a vCard"))
            continue
        addresses: list[str] = []
        bad = False
        for tel in card.contents.get("tel", []):
            value = str(tel.value).strip()
            if not value:
                continue
            try:
                parsed = parse_address(value.removeprefix("tel:"), region=region)
                if parsed.kind is not AddressKind.TEL or parsed.emergency:
                    raise InvalidAddress(f"{value!r} is not a personal phone number")
                addresses.append(parsed.uri)
            except InvalidAddress as exc:
                out.bad.append((line, f"TEL {exc.detail}"))
                bad = True
        for email in card.contents.get("email", []):
            value = str(email.value).strip()
            if not value:
                continue
            try:
                addresses.append(parse_address(f"mailto:{value.removeprefix('mailto:')}").uri)
            except InvalidAddress as exc:
                out.bad.append((line, f"EMAIL {exc.detail}"))
                bad = True
        if bad:
            continue
        if not addresses:
            out.bad.append((line, "the card has no phone number or e-mail address"))
            continue
        out.rows.append(ContactRow(line, _name(card), tuple(dict.fromkeys(addresses))))
    return out
