"""Caller and callee of a SIP request, as nocontact addresses.

Pure: no I/O. A proxy hands over the URIs it sees (P-Asserted-Identity or
From for the caller, the Request-URI for the callee); the user part of a
``sip:`` URI, or a ``tel:`` URI, is read as a phone number dialled from the
network's region. A caller without a usable number (RFC 3323 ``anonymous``,
a withheld id, a user part that is not a number) is ``tel:anonymous``, the
address the ``private`` pattern covers.
"""

from __future__ import annotations

from urllib.parse import unquote

from nocontact.core.addresses import PRIVATE_CALLER, Address, parse_address
from nocontact.core.errors import InvalidAddress

#: User parts and hosts that RFC 3323 and carriers use for a withheld caller id.
_ANONYMOUS = frozenset({"anonymous", "restricted", "unavailable", "unknown", "private", "withheld"})


def user_part(uri: str) -> str:
    """The number in a SIP or tel URI, percent-decoded; other text as it is.

    ``sip:+14155550123@example.org;user=phone`` gives ``+14155550123``;
    ``tel:+14155550123`` stays a tel URI (its ``phone-context`` matters).
    """
    text = uri.strip()
    if text.startswith("<") and ">" in text:
        text = text[1 : text.index(">")]
    lowered = text.lower()
    if lowered.startswith("tel:"):
        return text
    for scheme in ("sips:", "sip:"):
        if lowered.startswith(scheme):
            text = text[len(scheme) :]
            break
    user, at, host = text.partition("@")
    if not at:
        return ""  # sip:example.org names a host, not a user
    if host.split(";")[0].split(":")[0].lower() == "anonymous.invalid":
        return "anonymous"
    return unquote(user.split(";")[0])


def caller_address(uri: str, *, withheld: bool = False, region: str = "US") -> Address:
    """Who is calling: a phone number, or ``tel:anonymous`` without a usable one."""
    if withheld:
        return PRIVATE_CALLER
    user = user_part(uri)
    if user.lower() in _ANONYMOUS or not user:
        return PRIVATE_CALLER
    try:
        return parse_address(user, region=region)
    except InvalidAddress:
        return PRIVATE_CALLER


def callee_address(uri: str, *, region: str = "US") -> Address | None:
    """Whom the request is for; None when it names no phone number nocontact could cover."""
    user = user_part(uri)
    if not user:
        return None
    try:
        found = parse_address(user, region=region)
    except InvalidAddress:
        return None
    return found if found.platform == "phone" and found is not PRIVATE_CALLER else None
