"""Addresses: the ways to reach a person, parsed and normalised to one URI each.

DESIGN section 2: an address is written as a URI, and every spelling of one
address gives the same URI, so the URI can serve as a key.

- ``tel:+14155550123``: a phone number in E.164 (Google's libphonenumber rules);
- ``tel:911;phone-context=+1``: a short number (an emergency number or an SMS
  short code), an RFC 3966 local number in the context of its country code;
- ``tel:anonymous``: a caller who withheld caller id (:data:`PRIVATE_CALLER`);
- ``mailto:Sam@example.org``: a mail address (domain lower-cased, IDN in ASCII);
- ``acct:chirp:sam`` / ``acct:mastodon:sam@social.example``: a handle on a platform;
- ``sender:MY BANK``: an alphanumeric SMS sender id.

Pure: no I/O. Every field of an :class:`Address` is a function of its ``uri``
alone, so parsing a stored URI back gives an equal :class:`Address` whatever
the default region.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from urllib.parse import quote, unquote

import phonenumbers
from phonenumbers import (
    CountryCodeSource,
    NumberParseException,
    PhoneNumber,
    PhoneNumberFormat,
    ValidationResult,
    shortnumberinfo,
)

from nocontact.core.errors import InvalidAddress

__all__ = [
    "Address",
    "AddressKind",
    "MAX_ADDRESS_LENGTH",
    "PRIVATE_CALLER",
    "looks_like_address",
    "normalize",
    "parse_address",
]

#: Longest text :func:`parse_address` accepts.
MAX_ADDRESS_LENGTH = 256

_FORMS = "use tel:, mailto:, acct:PLATFORM:HANDLE or sender:NAME"
_SCHEMES = ("tel:", "mailto:", "acct:", "sender:")
_PRIVATE_WORDS = frozenset({"anonymous", "private", "withheld"})
_RESERVED_PLATFORMS = frozenset({"phone", "sms", "mail"})

_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# A bare phone number: digits (any script) and the usual visual separators.
_PHONE_RE = re.compile(r"\+?[\d\s().\-/]+")
_PLATFORM_RE = re.compile(r"[a-z0-9][a-z0-9\-]{0,31}")
_HANDLE_RE = re.compile(r"[a-z0-9_.\-]{1,64}")
_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?")
_SENDER_RE = re.compile(r"[A-Za-z0-9 .\-&]{1,11}")
# RFC 5322 atext, ASCII part; any non-ASCII character is allowed too (RFC 6532).
_ATEXT = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~"
)
# What RFC 6068 lets a mailto: URI keep unescaped in a local part (besides A-Z a-z 0-9 _ . - ~).
_MAILTO_SAFE = "!$'*+"


class AddressKind(StrEnum):
    TEL = "tel"
    MAILTO = "mailto"
    ACCT = "acct"
    SENDER = "sender"
    PRIVATE = "private"


@dataclass(frozen=True, slots=True)
class Address:
    """One normalised address. Equal addresses have equal ``uri``."""

    uri: str
    kind: AddressKind
    platform: str
    region: str | None = None
    emergency: bool = False
    short_code: bool = False

    @property
    def domain(self) -> str | None:
        """The mail domain (mailto) or the instance domain of a federated handle (acct)."""
        if self.kind is AddressKind.MAILTO:
            return self.uri.rpartition("@")[2]
        if self.kind is AddressKind.ACCT:
            handle = self.uri.split(":", 2)[2]
            if "@" in handle:
                return handle.rpartition("@")[2]
        return None

    def __str__(self) -> str:
        return self.uri


#: A caller who withheld caller id.
PRIVATE_CALLER = Address(uri="tel:anonymous", kind=AddressKind.PRIVATE, platform="phone")


# --------------------------------------------------------------------------- API


def looks_like_address(text: str) -> bool:
    """True when ``text`` starts with a known scheme (tel:, mailto:, acct:, sender:).

    Cheap, and meant to tell addresses from person ids, which never contain ':'.
    """
    if not isinstance(text, str):
        return False
    head = text[:7].lower()
    return head.startswith(_SCHEMES)


def normalize(text: str, *, region: str = "US") -> str:
    """The canonical URI of ``text``: ``parse_address(text, region=region).uri``."""
    return parse_address(text, region=region).uri


#: Spellings parsed lately, with their region: a parse of a phone number costs
#: tens of microseconds, a batch of 10,000 checks names the same numbers again
#: and again, and an :class:`Address` is immutable, so one parse serves them all.
PARSED_CACHE_SIZE = 65_536


def parse_address(text: str, *, region: str = "US") -> Address:
    """Parse any accepted spelling of an address; raise :class:`InvalidAddress` otherwise.

    ``region`` (an ISO 3166 region code phonenumbers supports) is where a phone
    number written without a country code is dialled from. The last
    :data:`PARSED_CACHE_SIZE` spellings parsed are answered from a cache (errors
    are not cached).
    """
    if type(text) is str and type(region) is str:
        return _parse_cached(text, region)
    return _parse(text, region)


@lru_cache(maxsize=PARSED_CACHE_SIZE)
def _parse_cached(text: str, region: str) -> Address:
    return _parse(text, region)


def _parse(text: str, region: str) -> Address:
    region = _check_region(region)
    if not isinstance(text, str):
        raise _bad(f"an address must be a string, not {type(text).__name__}")
    if len(text) > MAX_ADDRESS_LENGTH:
        raise _bad(f"address is too long ({len(text)} characters, at most {MAX_ADDRESS_LENGTH})")
    text = _unwrap(text)
    if not text:
        raise _bad(f"address is empty: {_FORMS}")

    lowered = text.lower()
    if lowered in _PRIVATE_WORDS:
        return PRIVATE_CALLER
    if lowered.startswith("tel:"):
        return _parse_tel_uri(text, text[4:], region)
    if lowered.startswith("mailto:"):
        return _parse_mail(text, text[7:], uri=True)
    if lowered.startswith("acct:"):
        return _parse_acct(text, text[5:])
    if lowered.startswith("sender:"):
        return _parse_sender(text, text[7:])
    if _is_phone_like(text):
        return _parse_phone(text, text, region)
    scheme = _SCHEME_RE.match(text)
    if scheme:
        raise _bad(f"unknown address scheme {scheme.group(1).lower()!r}: {_FORMS}")
    if "@" in text:
        return _parse_mail(text, text, uri=False)
    raise _bad(f"{_q(text)} is not an address: {_FORMS}, or write a phone number or a mail address")


# ------------------------------------------------------------------ helpers: text


def _bad(detail: str) -> InvalidAddress:
    """An InvalidAddress about the address itself."""
    return InvalidAddress(detail, field="address")


def _q(text: str) -> str:
    """Quote user text for an error detail."""
    return "'" + text + "'"


def _unwrap(text: str) -> str:
    """Strip surrounding whitespace and one pair of angle brackets."""
    text = text.strip()
    if len(text) >= 2 and text[0] == "<" and text[-1] == ">":
        text = text[1:-1].strip()
    return text


def _check_region(region: object) -> str:
    if not isinstance(region, str):
        raise InvalidAddress(
            f"region must be a string such as 'US', not {type(region).__name__}", field="region"
        )
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidAddress(
            f"unknown region {region!r}: use an ISO 3166 region code phonenumbers supports, "
            "such as 'US' or 'GB'",
            field="region",
        )
    return code


# ------------------------------------------------------------------ helpers: tel


def _parse_tel_uri(text: str, rest: str, region: str) -> Address:
    number, *params = rest.split(";")
    number = number.strip()
    if number.lower() in _PRIVATE_WORDS and not params:
        return PRIVATE_CALLER
    context: str | None = None
    for param in params:
        name, sep, value = param.partition("=")
        name = name.strip().lower()
        if name == "phone-context" and sep:
            if context is not None:
                raise _bad(f"{_q(text)} has more than one phone-context")
            context = value.strip()
        else:
            raise _bad(
                f"{_q(text)} has an unsupported tel: parameter {name!r} "
                "(only phone-context is accepted)"
            )
    if not number:
        raise _bad(f"{_q(text)} has no number after 'tel:'")
    if not _is_phone_like(number):
        raise _bad(
            f"{_q(text)} is not a phone number: a tel: number has only digits, "
            "an optional leading '+' and separators"
        )
    if context is None:
        return _parse_phone(text, number, region)
    if number.startswith("+"):
        raise _bad(f"{_q(text)} is a global number and may not carry a phone-context")
    return _parse_in_context(text, _digits(number), _context_code(text, context))


def _context_code(text: str, context: str) -> int:
    """The country calling code a ``phone-context`` names (the only kind accepted)."""
    if not context.startswith("+"):
        raise _bad(
            f"{_q(text)} has phone-context {context!r}: it must be a country calling code "
            "such as '+1'"
        )
    digits = _digits(context[1:])
    if not digits or not re.fullmatch(r"[\d\-.()]+", context[1:]):
        raise _bad(f"{_q(text)} has a malformed phone-context {context!r}")
    code = int(digits)
    if not _regions_for_code(code):
        raise _bad(f"{_q(text)} has phone-context {context!r}, which is not a country calling code")
    return code


def _is_phone_like(text: str) -> bool:
    return _PHONE_RE.fullmatch(text) is not None and any(c.isdigit() for c in text)


def _digits(text: str) -> str:
    return phonenumbers.normalize_digits_only(text)


@lru_cache(maxsize=1024)
def _regions_for_code(code: int) -> tuple[str, ...]:
    """The geographic regions sharing a country calling code, main region first."""
    return tuple(r for r in phonenumbers.region_codes_for_country_code(code) if r != "ZZ")


def _short_number(digits: str, code: int) -> PhoneNumber:
    """A PhoneNumber for a short number's digits, keeping its leading zeros."""
    zeros = len(digits) - len(digits.lstrip("0"))
    if zeros == len(digits):
        zeros -= 1  # "000": the national number 0 carries the other zeros
    return PhoneNumber(
        country_code=code,
        national_number=int(digits),
        italian_leading_zero=True if zeros else None,
        number_of_leading_zeros=zeros if zeros > 1 else None,
    )


def _is_emergency_in(digits: str, region: str) -> bool:
    return bool(shortnumberinfo.is_emergency_number(digits, region))


def _is_short_in(digits: str, region: str) -> bool:
    """A short number when dialled in ``region``: a valid short number (emergency
    numbers included), an SMS service or a carrier-specific short code."""
    if not 1 <= len(digits) <= 8:
        return False
    if _is_emergency_in(digits, region):
        return True
    number = _short_number(digits, phonenumbers.country_code_for_region(region))
    return bool(
        shortnumberinfo.is_valid_short_number_for_region(number, region)
        or shortnumberinfo.is_sms_service_for_region(number, region)
        or shortnumberinfo.is_carrier_specific_for_region(number, region)
    )


@lru_cache(maxsize=1024)
def _short_address(digits: str, code: int) -> Address:
    """The address of short number ``digits`` in the context of country code ``code``.

    A function of the URI alone: it is an emergency number when it is one in any
    region sharing the code (erring on the side of never blocking emergency
    services), and its region is the first region sharing the code, main region
    first, where it is valid.
    """
    regions = _regions_for_code(code)
    emergency = any(_is_emergency_in(digits, r) for r in regions)
    test = _is_emergency_in if emergency else _is_short_in
    region = next((r for r in regions if test(digits, r)), regions[0] if regions else None)
    return Address(
        uri=f"tel:{digits};phone-context=+{code}",
        kind=AddressKind.TEL,
        platform="phone",
        region=region,
        emergency=emergency,
        short_code=not emergency,
    )


def _parse_phone(text: str, number: str, region: str) -> Address:
    """A phone number written as a human would (``number`` is ``text`` without ``tel:``)."""
    if number.startswith("+"):
        return _accept_long(text, _parse_number(text, number, None))
    digits = _digits(number)
    if _is_emergency_in(digits, region):
        return _short_address(digits, phonenumbers.country_code_for_region(region))
    parsed, error = _try_parse(number, region)
    if parsed is not None:
        source = parsed.country_code_source
        if source in (
            CountryCodeSource.FROM_NUMBER_WITH_IDD,
            CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN,
        ):
            return _accept_long(text, parsed)
        if phonenumbers.is_valid_number(parsed):
            return _long_address(parsed)
    if _is_short_in(digits, region):
        return _short_address(digits, phonenumbers.country_code_for_region(region))
    if parsed is None:
        raise _parse_error(text, error)
    return _accept_long(text, parsed, region=region)


def _parse_in_context(text: str, digits: str, code: int) -> Address:
    """A local number with an explicit ``phone-context=+CODE``."""
    regions = _regions_for_code(code)
    if any(_is_emergency_in(digits, r) for r in regions):
        return _short_address(digits, code)
    parsed, error = _try_parse(f"+{code}{digits}", None)
    if parsed is not None and phonenumbers.is_valid_number(parsed):
        return _long_address(parsed)
    if any(_is_short_in(digits, r) for r in regions):
        return _short_address(digits, code)
    if parsed is None:
        raise _parse_error(text, error)
    return _accept_long(text, parsed)


def _try_parse(
    number: str, region: str | None
) -> tuple[PhoneNumber, None] | tuple[None, NumberParseException]:
    try:
        return phonenumbers.parse(number, region, keep_raw_input=True), None
    except NumberParseException as exc:
        return None, exc


def _parse_number(text: str, number: str, region: str | None) -> PhoneNumber:
    try:
        return phonenumbers.parse(number, region)
    except NumberParseException as exc:
        raise _parse_error(text, exc) from None


def _parse_error(text: str, exc: NumberParseException | None) -> InvalidAddress:
    kind = exc.error_type if exc is not None else None
    if kind == NumberParseException.INVALID_COUNTRY_CODE:
        reason = "has no valid country calling code"
    elif kind == NumberParseException.TOO_SHORT_AFTER_IDD:
        reason = "is too short after its international prefix to be a phone number"
    elif kind == NumberParseException.TOO_SHORT_NSN:
        reason = "is too short to be a phone number"
    elif kind == NumberParseException.TOO_LONG:
        reason = "is too long to be a phone number"
    else:
        reason = "is not a phone number"
    return _bad(f"{_q(text)} {reason}")


def _accept_long(text: str, number: PhoneNumber, *, region: str | None = None) -> Address:
    """Accept a full (non-short) number if it is valid, or at least possible.

    ``region`` is the default region the text was read with, for the error detail.
    """
    if phonenumbers.is_valid_number(number):
        return _long_address(number)
    code = number.country_code or 0
    reason = phonenumbers.is_possible_number_with_reason(number)
    if region is None or reason == ValidationResult.IS_POSSIBLE:
        # "+1 911" is no number at all, and "+49 11833" is the short number 11833
        # dialled from abroad, which does not work: point to the short form.
        national = phonenumbers.national_significant_number(number)
        short_in = next((r for r in _regions_for_code(code) if _is_short_in(national, r)), None)
        if short_in is not None:
            raise _bad(
                f"{_q(text)} is not a phone number: {national} is a short number in "
                f"{short_in}; write it as 'tel:{national};phone-context=+{code}' or as "
                f"'{national}' with region {short_in}"
            )
    where = region or phonenumbers.region_code_for_country_code(code)
    if reason == ValidationResult.IS_POSSIBLE:
        address = _long_address(number)
        # A possible but invalid number may not survive its own E.164 form
        # (a national prefix read as part of the number): refuse rather than
        # hand out a URI that parses to another number.
        e164 = address.uri.removeprefix("tel:")
        again, _ = _try_parse(e164, None)
        if again is None or phonenumbers.format_number(again, PhoneNumberFormat.E164) != e164:
            raise _bad(f"{_q(text)} is not a valid phone number in {where}")
        return address
    if reason == ValidationResult.TOO_SHORT:
        detail = "is too short to be a phone number"
        if region is not None:
            detail += f" and is not a short number in {region}"
    elif reason == ValidationResult.TOO_LONG:
        detail = "is too long to be a phone number"
    elif reason == ValidationResult.INVALID_COUNTRY_CODE:
        detail = f"has an unknown country calling code +{code}"
    elif reason == ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        detail = "is a local number without an area code: include the area code"
    else:  # INVALID_LENGTH
        detail = f"has a number of digits that no phone number in {where} has"
    raise _bad(f"{_q(text)} {detail}")


def _long_address(number: PhoneNumber) -> Address:
    if number.extension:
        raise _bad("phone extensions are not supported in addresses")
    region = phonenumbers.region_code_for_number(number)
    if region is None:
        region = phonenumbers.region_code_for_country_code(number.country_code or 0)
    return Address(
        uri="tel:" + phonenumbers.format_number(number, PhoneNumberFormat.E164),
        kind=AddressKind.TEL,
        platform="phone",
        region=region if region not in ("001", "ZZ") else None,
    )


# ---------------------------------------------------------- helpers: mail, acct


def _domain(text: str, domain: str) -> str:
    """A domain name lower-cased, IDN-encoded to ASCII, and checked label by label."""
    raw = domain
    if not domain:
        raise _bad(f"{_q(text)} has no domain after '@'")
    if domain.startswith("[") or domain.endswith("]"):
        raise _bad(f"{_q(text)} has an address literal {raw!r}; use a domain name")
    domain = domain.lower()
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise _bad(
                f"{_q(text)} has a domain {raw!r} that is not a valid internationalised name"
            ) from None
    labels = domain.split(".")
    if len(labels) < 2:
        raise _bad(f"{_q(text)} has a domain {raw!r} without a dot")
    if len(domain) > 253:
        raise _bad(f"{_q(text)} has a domain longer than 253 characters")
    for label in labels:
        if not label:
            raise _bad(f"{_q(text)} has a domain {raw!r} with an empty label")
        if not _LABEL_RE.fullmatch(label):
            raise _bad(
                f"{_q(text)} has a domain label {label!r} that is not letters, digits and "
                "inner hyphens (at most 63)"
            )
    if labels[-1].isdigit():
        raise _bad(f"{_q(text)} has a domain {raw!r} whose last label is a number")
    return domain


def _parse_mail(text: str, spec: str, *, uri: bool) -> Address:
    """A mail address; ``uri`` when ``spec`` comes from a ``mailto:`` URI (percent-encoded)."""
    if uri:
        if "?" in spec or "#" in spec:
            raise _bad(
                f"{_q(text)} carries header fields or a fragment ('?', '#'): give the address only"
            )
        try:
            spec = _unwrap(unquote(spec, errors="strict"))
        except UnicodeDecodeError:
            raise _bad(f"{_q(text)} has a percent-escape that is not UTF-8") from None
        if not spec:
            raise _bad(f"{_q(text)} has no mail address after 'mailto:'")
    if spec.count("@") != 1:
        found = spec.count("@")
        raise _bad(f"{_q(text)} must contain exactly one '@', not {found}")
    local, _, domain = spec.partition("@")
    local = unicodedata.normalize("NFC", local)
    if not local:
        raise _bad(f"{_q(text)} has nothing before the '@'")
    if len(local) > 64:
        raise _bad(f"{_q(text)} has a local part longer than 64 characters")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise _bad(f"{_q(text)} has a local part {local!r} with a leading, trailing or doubled '.'")
    bad = next(
        (c for c in local if c != "." and c not in _ATEXT and (c.isascii() or not c.isprintable())),
        None,
    )
    if bad is not None:
        raise _bad(
            f"{_q(text)} has a local part with the character {bad!r}, "
            "which a mail address cannot contain unquoted"
        )
    domain = _domain(text, domain)
    return Address(
        uri=f"mailto:{quote(local, safe=_MAILTO_SAFE)}@{domain}",
        kind=AddressKind.MAILTO,
        platform="mail",
    )


def _parse_acct(text: str, rest: str) -> Address:
    platform, sep, handle = rest.partition(":")
    if not sep:
        raise _bad(f"{_q(text)} has no platform: write acct:PLATFORM:HANDLE")
    platform = platform.strip().lower()
    if not platform:
        raise _bad(f"{_q(text)} has an empty platform: write acct:PLATFORM:HANDLE")
    if not _PLATFORM_RE.fullmatch(platform):
        raise _bad(
            f"{_q(text)} has a platform {platform!r} that is not 1-32 letters, digits and "
            "hyphens starting with a letter or digit"
        )
    if platform in _RESERVED_PLATFORMS:
        hint = {"phone": "tel:", "sms": "tel: or sender:", "mail": "mailto:"}[platform]
        raise _bad(f"{_q(text)} uses the reserved platform {platform!r}: use {hint}")
    handle = handle.strip().casefold()
    handle = handle.removeprefix("@")
    user, at, domain = handle.partition("@")
    if not user:
        raise _bad(f"{_q(text)} has an empty handle")
    if len(user) > 64:
        raise _bad(f"{_q(text)} has a handle longer than 64 characters")
    if not _HANDLE_RE.fullmatch(user):
        bad = next(c for c in user if not _HANDLE_RE.fullmatch(c))
        raise _bad(
            f"{_q(text)} has a handle with the character {bad!r}: "
            "a handle has letters, digits, '_', '.' and '-' only"
        )
    if at:
        if "@" in domain:
            raise _bad(f"{_q(text)} has a handle with more than one '@'")
        handle = f"{user}@{_domain(text, domain)}"
    return Address(uri=f"acct:{platform}:{handle}", kind=AddressKind.ACCT, platform=platform)


def _parse_sender(text: str, rest: str) -> Address:
    name = " ".join(rest.split())
    if not name:
        raise _bad(f"{_q(text)} has an empty sender name")
    if len(name) > 11:
        raise _bad(f"{_q(text)} has a sender name of {len(name)} characters (at most 11)")
    if not _SENDER_RE.fullmatch(name):
        bad = next(c for c in name if not _SENDER_RE.fullmatch(c))
        raise _bad(
            f"{_q(text)} has a sender name with the character {bad!r}: "
            "use letters, digits, spaces, '.', '-' and '&'"
        )
    if not any(c.isalpha() for c in name):
        raise _bad(
            f"{_q(text)} has a sender name without a letter; "
            "a numeric sender is a phone number (tel:)"
        )
    return Address(uri=f"sender:{name.upper()}", kind=AddressKind.SENDER, platform="sms")
