"""Patterns and domains: short codes, sender names, mail domains, federated instances."""

from __future__ import annotations

import pytest

from nocontact.core.errors import InvalidAddress
from nocontact.core.index import check_pattern
from nocontact.engine import Engine


@pytest.fixture
def olivia(engine: Engine) -> Engine:
    engine.add_person("olivia", name="Olivia")
    engine.add_person("ned", name="Ned", addresses=["mailto:ned@spam.example"])
    return engine


@pytest.mark.parametrize(
    ("spelled", "canonical"),
    [
        ("sender:*", "pattern:sender"),
        ("mailto:*@Spam.Example", "pattern:mail:spam.example"),
        ("acct:Mastodon:*@Bad.Social", "pattern:instance:mastodon:bad.social"),
        ("acct:mastodon:*@münchen.social", "pattern:instance:mastodon:xn--mnchen-3ya.social"),
        ("pattern:domain:Spam.Example", "pattern:domain:spam.example"),
        ("pattern:mail:spam.example", "pattern:mail:spam.example"),
        ("pattern:instance:mastodon:bad.social", "pattern:instance:mastodon:bad.social"),
        ("pattern:shortcode", "pattern:shortcode"),
    ],
)
def test_wildcards_are_spelled_as_patterns(spelled: str, canonical: str) -> None:
    """Every spelling of a pattern gives one canonical target."""
    assert check_pattern(spelled) == canonical


@pytest.mark.parametrize(
    "bad", ["mailto:*@", "mailto:*@nodot", "acct:*@x.org", "sender:A*", "pattern:mail:a b.org"]
)
def test_bad_wildcards_are_refused(bad: str) -> None:
    """A wildcard that names no domain is an error, never a pattern matching everything."""
    with pytest.raises(InvalidAddress):
        check_pattern(bad)


def test_mail_domain_blocks_every_address_on_it(olivia: Engine) -> None:
    """``mailto:*@DOMAIN`` covers every mail address on the domain, and only mail."""
    olivia.set_boundary("olivia", "mailto:*@spam.example", "block")
    assert olivia.check("mailto:anyone@spam.example", "message", "olivia").outcome == "drop"
    assert olivia.check("mailto:Ned@SPAM.example", "message", "olivia").outcome == "drop"
    assert olivia.check("mailto:a@other.example", "message", "olivia").outcome == "deliver"
    handle = "acct:mastodon:a@spam.example"
    assert olivia.check(handle, "message", "olivia").outcome == "deliver"


def test_instance_blocks_every_handle_on_it(olivia: Engine) -> None:
    """``acct:PLATFORM:*@HOST`` covers every handle on that instance of that platform."""
    olivia.set_boundary("olivia", "acct:mastodon:*@bad.social", "block")
    assert olivia.check("acct:mastodon:@troll@Bad.Social", "reply", "olivia").outcome != "allow"
    assert olivia.check("acct:mastodon:x@bad.social", "message", "olivia").outcome == "drop"
    assert olivia.check("acct:mastodon:x@good.social", "message", "olivia").outcome == "deliver"
    assert olivia.check("acct:other:x@bad.social", "message", "olivia").outcome == "deliver"


def test_sender_names_and_short_codes(olivia: Engine) -> None:
    """``sender:*`` covers alphanumeric senders; ``pattern:shortcode`` covers short codes."""
    olivia.set_boundary("olivia", "sender:*", "block")
    olivia.set_boundary("olivia", "pattern:shortcode", "mute")
    assert olivia.check("sender:MyBank", "sms", "olivia").outcome == "drop"
    assert olivia.check("tel:72345;phone-context=+1", "sms", "olivia").outcome == "deliver_quietly"
    assert olivia.check("+1 415 555 0123", "sms", "olivia").outcome == "deliver"


def test_individual_on_a_domain_works_with_or_without_the_domain(olivia: Engine) -> None:
    """A boundary on one person on a domain holds whether or not the domain is blocked."""
    olivia.set_boundary("olivia", "ned", "mute")
    assert olivia.check("ned", "message", "olivia").outcome == "deliver_quietly"
    domain = olivia.set_boundary("olivia", "mailto:*@spam.example", "block")
    assert olivia.check("mailto:ned@spam.example", "message", "olivia").outcome == "drop"
    olivia.lift(domain.id)
    assert olivia.check("mailto:ned@spam.example", "message", "olivia").outcome == "deliver_quietly"
    assert olivia.check("mailto:other@spam.example", "message", "olivia").outcome == "deliver"
