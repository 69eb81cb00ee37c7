"""``nocontact serve --demo``: a throwaway database with people to try the API on.

Alex, Sam, Jo, Kim and Lee, with several addresses each, and boundaries of
several kinds between them, so that every ``curl`` in the README answers
something worth reading.
"""

from __future__ import annotations

from nocontact.engine import Engine

PEOPLE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("alex", "Alex", ("acct:chirp:alex", "+1 415 555 0100", "mailto:alex@example.org")),
    ("sam", "Sam", ("acct:chirp:sam", "+1 415 555 0123", "mailto:sam@example.org")),
    ("jo", "Jo", ("acct:chirp:jo", "+1 415 555 0142")),
    ("kim", "Kim", ("acct:chirp:kim", "+1 415 555 0161")),
    ("lee", "Lee", ("acct:chirp:lee", "+44 20 7946 0018")),
)


def seed(engine: Engine) -> None:
    """Demo people and boundaries: a block, a space, a mute, a restrict, a pledge."""
    for person, name, addresses in PEOPLE:
        engine.add_person(person, name=name, addresses=addresses)
    engine.set_boundary("alex", "sam", "block", keep_evidence=True)
    engine.set_boundary("alex", "jo", "space", duration=7 * 86400.0, note="I need a week to think")
    engine.set_boundary("kim", "lee", "mute")
    engine.set_boundary("lee", "jo", "restrict")
    engine.set_boundary("lee", "kim", "pledge")
    engine.set_boundary("kim", "pattern:unknown", "mute", channels=["calls"])
