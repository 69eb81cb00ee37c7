"""Addresses: every spelling of one address parses to one canonical URI."""

from __future__ import annotations

import dataclasses
import string
from urllib.parse import quote

import phonenumbers
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from nocontact.core.addresses import (
    PRIVATE_CALLER,
    Address,
    AddressKind,
    looks_like_address,
    normalize,
    parse_address,
)
from nocontact.core.errors import InvalidAddress, InvalidInput

# ------------------------------------------------------------------ phone numbers


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("tel:+14155550123", "US"),
        ("tel:+1-415-555-0123", "US"),
        ("+1 (415) 555-0123", "US"),
        ("+1.415.555.0123", "GB"),
        ("(415) 555-0123", "US"),
        ("415-555-0123", "US"),
        ("1 415 555 0123", "US"),
        ("011 1 415 555 0123", "US"),
        ("00 1 415 555 0123", "GB"),
        ("  <+14155550123>  ", "DE"),
        ("tel:4155550123;phone-context=+1", "GB"),
    ],
)
def test_us_number_spellings_share_one_uri(text: str, region: str) -> None:
    """Every spelling of a US number, fictional 555-01xx included, gives its E.164 tel: URI."""
    address = parse_address(text, region=region)
    assert address.uri == "tel:+14155550123"
    assert address.kind is AddressKind.TEL
    assert address.platform == "phone"
    assert address.region == "US"
    assert not address.emergency
    assert not address.short_code


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("tel:+442079460958", "US"),
        ("tel:+44-20-7946-0958", "US"),
        ("+44 20 7946 0958", "US"),
        ("+44 (0)20 7946 0958", "US"),
        ("020 7946 0958", "GB"),
        ("0044 20 7946 0958", "GB"),
        ("011 44 20 7946 0958", "US"),
        ("00 44 20 7946 0958", "DE"),
        ("tel:020 7946 0958;phone-context=+44", "US"),
    ],
)
def test_gb_number_spellings_share_one_uri(text: str, region: str) -> None:
    """Every spelling of a GB number (national, international prefix, tel:) gives one URI."""
    address = parse_address(text, region=region)
    assert address.uri == "tel:+442079460958"
    assert address.region == "GB"


def test_normalize_is_the_uri_of_parse_address() -> None:
    """normalize() returns parse_address(...).uri with the same region."""
    assert normalize("020 7946 0958", region="GB") == "tel:+442079460958"
    assert normalize("(415) 555-0123") == "tel:+14155550123"


def test_region_is_case_insensitive() -> None:
    """A region code is accepted in any case."""
    assert normalize("020 7946 0958", region="gb") == "tel:+442079460958"


def test_non_geographic_number_has_no_region() -> None:
    """A non-geographic number (+800) is accepted and has no region."""
    address = parse_address("+800 1234 5678")
    assert address.uri == "tel:+80012345678"
    assert address.region is None


@pytest.mark.parametrize(
    ("text", "region", "uri", "home"),
    [
        ("911", "US", "tel:911;phone-context=+1", "US"),
        ("112", "US", "tel:112;phone-context=+1", "US"),
        ("911", "CA", "tel:911;phone-context=+1", "US"),
        ("112", "GB", "tel:112;phone-context=+44", "GB"),
        ("999", "GB", "tel:999;phone-context=+44", "GB"),
        ("112", "DE", "tel:112;phone-context=+49", "DE"),
        ("110", "DE", "tel:110;phone-context=+49", "DE"),
        ("112", "FR", "tel:112;phone-context=+33", "FR"),
        ("15", "FR", "tel:15;phone-context=+33", "FR"),
        ("17", "FR", "tel:17;phone-context=+33", "FR"),
        ("000", "AU", "tel:000;phone-context=+61", "AU"),
        ("tel:911;phone-context=+1", "GB", "tel:911;phone-context=+1", "US"),
        ("tel:999;phone-context=+44", "US", "tel:999;phone-context=+44", "GB"),
        ("tel:112;phone-context=+49", "US", "tel:112;phone-context=+49", "DE"),
    ],
)
def test_emergency_numbers_are_recognised(text: str, region: str, uri: str, home: str) -> None:
    """Emergency numbers become RFC 3966 local numbers with emergency=True."""
    address = parse_address(text, region=region)
    assert address.uri == uri
    assert address.kind is AddressKind.TEL
    assert address.region == home
    assert address.emergency
    assert not address.short_code
    assert parse_address(address.uri) == address


@pytest.mark.parametrize("code", ["24273", "20000", "33669"])
def test_us_sms_short_code(code: str) -> None:
    """A US SMS short code is a short number with short_code=True, emergency=False."""
    address = parse_address(code, region="US")
    assert address.uri == f"tel:{code};phone-context=+1"
    assert address.short_code
    assert not address.emergency
    assert address.region == "US"
    assert parse_address(address.uri, region="GB") == address


def test_short_number_fields_depend_on_the_uri_only() -> None:
    """Parsing a short-number URI gives the same Address whatever the default region."""
    uri = "tel:911;phone-context=+1"
    assert {parse_address(uri, region=r) for r in ("US", "GB", "DE", "CA", "JP")} == {
        parse_address(uri)
    }


# ----------------------------------------------------------------- private caller


@pytest.mark.parametrize(
    "text",
    ["tel:anonymous", "TEL:Anonymous", "anonymous", "ANONYMOUS", "private", "Private", "withheld"],
)
def test_private_caller_spellings(text: str) -> None:
    """Withheld caller id in any of its spellings is PRIVATE_CALLER."""
    address = parse_address(text)
    assert address == PRIVATE_CALLER
    assert address.uri == "tel:anonymous"
    assert address.kind is AddressKind.PRIVATE
    assert address.platform == "phone"
    assert address.region is None
    assert not address.emergency


# ------------------------------------------------------------------------- mailto


@pytest.mark.parametrize(
    ("text", "uri"),
    [
        ("mailto:Sam@Example.ORG", "mailto:Sam@example.org"),
        ("Sam@Example.ORG", "mailto:Sam@example.org"),
        ("  <Sam@Example.ORG>  ", "mailto:Sam@example.org"),
        ("MAILTO:Sam@Example.ORG", "mailto:Sam@example.org"),
        ("mailto:<Sam@Example.ORG>", "mailto:Sam@example.org"),
        ("sam+news@mail.example.org", "mailto:sam+news@mail.example.org"),
        ("sam.o'neil@example.org", "mailto:sam.o'neil@example.org"),
        ("a%b@example.org", "mailto:a%25b@example.org"),
        ("mailto:a%25b@example.org", "mailto:a%25b@example.org"),
        ("sam@Bücher.Example", "mailto:sam@xn--bcher-kva.example"),
        ("sam@xn--bcher-kva.example", "mailto:sam@xn--bcher-kva.example"),
    ],
)
def test_mailto_normalisation(text: str, uri: str) -> None:
    """Mail addresses keep the local part, lower-case the domain and encode IDN to ASCII."""
    address = parse_address(text)
    assert address.uri == uri
    assert address.kind is AddressKind.MAILTO
    assert address.platform == "mail"
    assert address.region is None
    assert address.domain == uri.rpartition("@")[2]
    assert parse_address(address.uri) == address


# --------------------------------------------------------------------------- acct


@pytest.mark.parametrize(
    ("text", "uri", "platform", "domain"),
    [
        ("acct:Chirp:@Sam", "acct:chirp:sam", "chirp", None),
        ("acct:chirp:sam", "acct:chirp:sam", "chirp", None),
        ("ACCT:CHIRP:SAM_O.K-1", "acct:chirp:sam_o.k-1", "chirp", None),
        ("acct:my-app2:x", "acct:my-app2:x", "my-app2", None),
        (
            "acct:Mastodon:@Sam@Social.Example",
            "acct:mastodon:sam@social.example",
            "mastodon",
            "social.example",
        ),
        (
            "acct:mastodon:sam@münchen.social",
            "acct:mastodon:sam@xn--mnchen-3ya.social",
            "mastodon",
            "xn--mnchen-3ya.social",
        ),
    ],
)
def test_acct_normalisation(text: str, uri: str, platform: str, domain: str | None) -> None:
    """acct: lower-cases the platform, casefolds the handle, strips '@' and keeps a domain."""
    address = parse_address(text)
    assert address.uri == uri
    assert address.kind is AddressKind.ACCT
    assert address.platform == platform
    assert address.domain == domain
    assert parse_address(address.uri) == address


# ------------------------------------------------------------------------- sender


@pytest.mark.parametrize(
    ("text", "uri"),
    [
        ("sender:My Bank", "sender:MY BANK"),
        ("sender:  my   bank ", "sender:MY BANK"),
        ("SENDER:Vodafone", "sender:VODAFONE"),
        ("sender:A&B-Co.", "sender:A&B-CO."),
        ("sender:DHL 24", "sender:DHL 24"),
        ("sender:ABCDEFGHIJK", "sender:ABCDEFGHIJK"),
    ],
)
def test_sender_normalisation(text: str, uri: str) -> None:
    """sender: names are upper-cased with inner whitespace collapsed."""
    address = parse_address(text)
    assert address.uri == uri
    assert address.kind is AddressKind.SENDER
    assert address.platform == "sms"
    assert address.domain is None
    assert parse_address(address.uri) == address


# ---------------------------------------------------------------------- invalid


@pytest.mark.parametrize(
    ("text", "region", "fragment"),
    [
        ("", "US", "empty"),
        ("   ", "US", "empty"),
        ("x" * 257, "US", "too long"),
        ("+1 415", "US", "too short"),
        ("tel:+1415", "US", "too short"),
        ("+1 415 555 0123 4567 890", "US", "too long"),
        ("+999 1234567", "US", "country calling code"),
        ("555-0123", "US", "area code"),
        ("12345", "US", "not a short number in US"),
        ("911", "GB", "not a short number in GB"),
        ("tel:+1911", "US", "911 is a short number in US"),
        ("+44 999", "US", "999 is a short number in GB"),
        ("tel:+1-800-FLOWERS", "US", "only digits"),
        ("tel:", "US", "no number"),
        ("tel:+14155550123;ext=12", "US", "unsupported tel: parameter 'ext'"),
        ("tel:+14155550123;phone-context=+1", "US", "global number"),
        ("tel:911;phone-context=example.com", "US", "country calling code"),
        ("tel:911;phone-context=+999", "US", "not a country calling code"),
        ("xmpp:sam@jabber.org", "US", "unknown address scheme 'xmpp'"),
        ("https://example.org", "US", "unknown address scheme 'https'"),
        ("sam", "US", "not an address"),
        ("mailto:", "US", "no mail address"),
        ("mailto:sam@example.org?subject=hi", "US", "header fields"),
        ("a@b@example.org", "US", "exactly one '@'"),
        ("@example.org", "US", "nothing before the '@'"),
        ("sam@", "US", "no domain"),
        ("sam@localhost", "US", "without a dot"),
        ("sam@example..org", "US", "empty label"),
        ("sam@-example.org", "US", "domain label '-example'"),
        ("sam@exa_mple.org", "US", "domain label 'exa_mple'"),
        ("sam@1.2.3.4", "US", "last label is a number"),
        ("sam@[192.0.2.1]", "US", "address literal"),
        (".sam@example.org", "US", "leading, trailing or doubled '.'"),
        ("sa..m@example.org", "US", "leading, trailing or doubled '.'"),
        ("sa m@example.org", "US", "character ' '"),
        ("x" * 65 + "@example.org", "US", "longer than 64"),
        ("acct:sam", "US", "no platform"),
        ("acct::sam", "US", "empty platform"),
        ("acct:chirp:", "US", "empty handle"),
        ("acct:chirp:@", "US", "empty handle"),
        ("acct:-chirp:sam", "US", "platform '-chirp'"),
        ("acct:" + "p" * 33 + ":sam", "US", "1-32 letters"),
        ("acct:phone:sam", "US", "reserved platform 'phone'"),
        ("acct:SMS:sam", "US", "reserved platform 'sms'"),
        ("acct:mail:sam", "US", "reserved platform 'mail'"),
        ("acct:chirp:sa m", "US", "character ' '"),
        ("acct:chirp:sam!", "US", "character '!'"),
        ("acct:chirp:" + "s" * 65, "US", "longer than 64"),
        ("acct:mastodon:sam@social", "US", "without a dot"),
        ("acct:mastodon:sam@a@b.org", "US", "more than one '@'"),
        ("sender:", "US", "empty sender name"),
        ("sender:VeryLongBankName", "US", "16 characters (at most 11)"),
        ("sender:12345", "US", "without a letter"),
        ("sender:Bank!", "US", "character '!'"),
    ],
)
def test_invalid_addresses_are_rejected_precisely(text: str, region: str, fragment: str) -> None:
    """Each malformed address raises InvalidAddress whose detail names the problem."""
    with pytest.raises(InvalidAddress) as caught:
        parse_address(text, region=region)
    assert fragment in caught.value.detail
    assert caught.value.field == "address"
    assert caught.value.code == "invalid_address"
    assert isinstance(caught.value, InvalidInput)


@pytest.mark.parametrize("value", [None, 14155550123, b"tel:+14155550123", ["tel:+1"]])
def test_non_string_input_is_rejected(value: object) -> None:
    """An address that is not a str raises InvalidAddress naming the type."""
    with pytest.raises(InvalidAddress, match="must be a string"):
        parse_address(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("region", ["XX", "", "USA", "001", None, 1])
def test_unknown_region_is_rejected_with_field_region(region: object) -> None:
    """A region phonenumbers does not support raises InvalidAddress on field 'region'."""
    with pytest.raises(InvalidAddress) as caught:
        parse_address("+14155550123", region=region)  # type: ignore[arg-type]
    assert caught.value.field == "region"
    assert "region" in caught.value.detail


def test_detail_quotes_the_offending_text() -> None:
    """The detail for a too-short number quotes the text as given."""
    with pytest.raises(InvalidAddress) as caught:
        parse_address("+1 415")
    assert caught.value.detail == "'+1 415' is too short to be a phone number"


# --------------------------------------------------------- looks_like_address


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tel:+14155550123", True),
        ("TEL:911;phone-context=+1", True),
        ("mailto:sam@example.org", True),
        ("acct:chirp:sam", True),
        ("sender:MY BANK", True),
        ("p_0123456789", False),
        ("sam", False),
        ("+14155550123", False),
        ("sam@example.org", False),
        ("xmpp:sam@jabber.org", False),
        ("", False),
    ],
)
def test_looks_like_address(text: str, expected: bool) -> None:
    """looks_like_address is True exactly for the four known schemes."""
    assert looks_like_address(text) is expected


def test_address_is_frozen_and_hashable() -> None:
    """Address is an immutable value usable as a dict key."""
    address = parse_address("+14155550123")
    with pytest.raises(dataclasses.FrozenInstanceError):
        address.uri = "tel:+1"  # type: ignore[misc]
    assert {address: 1}[parse_address("(415) 555-0123")] == 1
    assert isinstance(address, Address)


# ------------------------------------------------------------------- properties

_REGIONS = (
    "US", "CA", "GB", "DE", "FR", "IT", "ES", "NL", "SE", "CH", "AT", "PL", "IE", "RU",
    "KZ", "IN", "CN", "JP", "KR", "AU", "NZ", "BR", "AR", "MX", "ZA", "NG", "EG", "AE",
    "IL", "SG", "HK", "ID", "PH", "TR", "JM", "GG", "IM", "JE",
)  # fmt: skip
_DIALLING_FROM = ("US", "GB", "DE", "FR", "JP", "AU", "BR", "IN")
_TYPES = (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE)
_EXAMPLES = tuple(
    example
    for region in _REGIONS
    for kind in _TYPES
    if (example := phonenumbers.example_number_for_type(region, kind)) is not None
)


@st.composite
def valid_numbers(draw: st.DrawFn) -> phonenumbers.PhoneNumber:
    """A valid number: an example number with some of its last digits replaced."""
    example = draw(st.sampled_from(_EXAMPLES))
    national = phonenumbers.national_significant_number(example)
    k = draw(st.integers(min_value=0, max_value=min(4, len(national) - 1)))
    tail = draw(st.text(alphabet=string.digits, min_size=k, max_size=k))
    number = phonenumbers.parse(f"+{example.country_code}{national[: len(national) - k]}{tail}")
    assume(phonenumbers.is_valid_number(number))
    return number


@settings(deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    number=valid_numbers(), default=st.sampled_from(_REGIONS), dial=st.sampled_from(_DIALLING_FROM)
)
def test_every_format_of_a_valid_number_gives_one_uri(
    number: phonenumbers.PhoneNumber, default: str, dial: str
) -> None:
    """E164, INTERNATIONAL, RFC3966, NATIONAL (home region) and IDD spellings give one URI."""
    uri = "tel:" + phonenumbers.format_number(number, PhoneNumberFormat.E164)
    home = phonenumbers.region_code_for_number(number)
    assert home is not None
    spellings = [
        (phonenumbers.format_number(number, PhoneNumberFormat.E164), default),
        (phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL), default),
        (phonenumbers.format_number(number, PhoneNumberFormat.RFC3966), default),
        (phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL), home),
        (phonenumbers.format_out_of_country_calling_number(number, dial), dial),
    ]
    for text, region in spellings:
        address = parse_address(text, region=region)
        assert address.uri == uri, (text, region)
        assert address.region == home
        assert parse_address(address.uri, region=default) == address


def _short_examples() -> tuple[tuple[str, str], ...]:
    out = []
    for region in _REGIONS:
        metadata = phonenumbers.PhoneMetadata.short_metadata_for_region(region)
        if metadata is None:
            continue
        for desc in (metadata.emergency, metadata.short_code, metadata.sms_services):
            if desc is not None and desc.example_number:
                out.append((desc.example_number, region))
    return tuple(out)


_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_TLD = st.sampled_from(["org", "com", "example", "social", "co.uk", "xn--p1ai", "bücher"])
_DOMAINS = st.builds(
    lambda labels, tld: ".".join([*labels, tld]), st.lists(_LABEL, min_size=1, max_size=3), _TLD
)
_LOCAL_CHARS = string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~" + "éßø"
_LOCALS = st.lists(st.text(_LOCAL_CHARS, min_size=1, max_size=8), min_size=1, max_size=3).map(
    ".".join
)


def _random_case(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if flip else c for c, flip in zip(text, flips, strict=True))


@st.composite
def address_texts(draw: st.DrawFn) -> tuple[str, str]:
    """Text of an address of any kind, with the region to read it with."""
    kind = draw(st.sampled_from(["tel", "short", "private", "mailto", "acct", "sender"]))
    if kind == "tel":
        number = draw(valid_numbers())
        fmt = draw(st.sampled_from([PhoneNumberFormat.E164, PhoneNumberFormat.INTERNATIONAL]))
        return phonenumbers.format_number(number, fmt), draw(st.sampled_from(_REGIONS))
    if kind == "short":
        return draw(st.sampled_from(_short_examples()))
    if kind == "private":
        word = draw(st.sampled_from(["anonymous", "private", "withheld", "tel:anonymous"]))
        return _random_case(draw, word), "US"
    if kind == "mailto":
        local, domain = draw(_LOCALS), _random_case(draw, draw(_DOMAINS))
        scheme = draw(st.sampled_from(["", "mailto:", "MailTo:"]))
        if scheme:  # a URI: percent-encode what RFC 6068 does not allow as is
            local = quote(local, safe="!$'*+")
        return f"{scheme}{local}@{domain}", "US"
    if kind == "acct":
        platform = draw(st.from_regex(r"[a-z0-9][a-z0-9-]{0,31}", fullmatch=True))
        assume(platform not in {"phone", "sms", "mail"})
        handle = draw(st.from_regex(r"[a-z0-9_.-]{1,64}", fullmatch=True))
        if draw(st.booleans()):
            handle += "@" + draw(_DOMAINS)
        at = draw(st.sampled_from(["", "@"]))
        return f"acct:{_random_case(draw, platform)}:{at}{_random_case(draw, handle)}", "US"
    name = draw(st.text(string.ascii_letters + string.digits + " .-&", min_size=1, max_size=11))
    assume(any(c.isalpha() for c in name))
    return f"sender:{name}", "US"


@settings(deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(case=address_texts())
def test_parsing_a_uri_gives_it_back(case: tuple[str, str]) -> None:
    """parse_address(uri).uri == uri, with an equal Address, for every kind of address."""
    text, region = case
    address = parse_address(text, region=region)
    again = parse_address(address.uri, region="GB")
    assert again.uri == address.uri
    assert again == address
    assert normalize(address.uri) == address.uri
    assert looks_like_address(address.uri)
