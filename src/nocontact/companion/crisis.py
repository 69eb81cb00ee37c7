"""Crisis language: a short, curated list of phrases, matched on word boundaries.

When a person writes one of these, the companion shows crisis resources first,
calmly, before anything else on the page. The list is deliberately about the
writer's own life and safety ("kill myself", "want to die", "no reason to
live"), not about single words: "this traffic is killing me" and "I could die
of embarrassment" are ordinary sentences and must not set it off.

The trade-off, written down in docs/companion.md: a missed phrase costs far
more than a calm box of phone numbers shown once too often, so the list leans
toward showing (a negation such as "I'm not suicidal" still shows the
resources); but it does not fire on everyday idioms of dying and killing,
which would teach people to ignore it. A few idioms that contain a listed word
("career suicide") are removed before matching.

Pure: no I/O, nothing is stored or logged about a match.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["CRISIS_PHRASES", "has_crisis_language"]

#: Each entry is a regular expression over lower-cased text with plain apostrophes.
CRISIS_PHRASES: tuple[str, ...] = (
    r"suicid(?:e|al|ally)",
    r"kill(?:ing)? my ?self",
    r"end(?:ing)? (?:my|it) (?:own )?life",
    r"end it all",
    r"take my (?:own )?life",
    r"(?:want|wanted|wanna|going|ready) to die",
    r"wish i (?:was|were|could be) dead",
    r"wish i (?:had never been|was never|wasn't|weren't) (?:born|here|alive)",
    r"better off (?:dead|without me)",
    r"(?:no|nothing|no reason) (?:left )?to live for",
    r"no reason to (?:live|be alive|go on|keep going)",
    r"(?:don't|do not|dont) want to (?:live|be alive|exist|be here anymore|wake up)",
    r"not want to (?:live|be alive|exist|wake up)",
    r"(?:can't|cannot|cant) (?:go on|keep going|do this anymore|take it anymore)",
    r"(?:hurt|harm|cut|hurting|harming|cutting) my ?self",
    r"self[- ]?harm(?:ing)?",
    r"overdos(?:e|ing)",
    r"(?:disappear|be gone) forever",
    r"not be (?:here|around) anymore",
)

#: Everyday idioms that contain a listed phrase; removed before matching.
IDIOMS: tuple[str, ...] = (
    r"(?:career|political|social|commercial|electoral) suicide",
    r"suicide squad",
    r"suicide (?:doors?|sprint|drill|run)s?",
)

_CRISIS = re.compile(r"\b(?:" + "|".join(CRISIS_PHRASES) + r")\b")
_IDIOM = re.compile(r"\b(?:" + "|".join(IDIOMS) + r")\b")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).lower()
    return " ".join(text.split())


def has_crisis_language(text: str) -> bool:
    """True when ``text`` contains one of the crisis phrases (idioms aside)."""
    return _CRISIS.search(_IDIOM.sub(" ", _normal(text))) is not None
