"""Rumination: many recent entries circling the same "why".

Expressive writing helps some people and feeds rumination in others. When at
least ``THRESHOLD`` of a person's last ``WINDOW`` entries (within ``DAYS``
days) ask "why" about the same thing — their why-sentences share a content
word — or when most of them ask "why" at all, the companion suggests a
different mode (a walk, a friend, the self-care plan) instead of more writing.

Pure: texts in, a yes or no out. Nothing is stored about a match and nothing is
said about the other person.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

__all__ = ["DAYS", "THRESHOLD", "WINDOW", "circling", "why_words"]

WINDOW = 6
THRESHOLD = 3
DAYS = 14
#: Of the last WINDOW entries, this many asking "why" at all is circling too.
ANY_WHY = 4

_SENTENCE = re.compile(r"[^.!?\n]+")
_WORD = re.compile(r"[a-z']+")
_STOP_WORDS = """
    why what when where who how which that this these those there here then than
    did does do done doing was were is are am be been being have has had having
    would could should will shall can can't cannot couldn't wouldn't didn't doesn't
    don't isn't wasn't won't not no nor and but or so if because just still even
    really ever never always again anymore any some all more most much very too
    she he they them her him his hers their theirs it its me my mine myself i i'm
    i've i'd you your yours we us our ours one ones something anything everything
    nothing get got getting go going gone went make made let say said tell told
    like want wanted need know knew feel felt think thought about with without for
    from into onto over under after before of off on in out up down at by to as
"""
_STOP = frozenset(_STOP_WORDS.split())


def why_words(text: str) -> set[str]:
    """The content words of the sentences in ``text`` that ask why."""
    words: set[str] = set()
    for sentence in _SENTENCE.findall(text.lower().replace("\u2019", "'")):
        tokens = _WORD.findall(sentence)
        if "why" not in tokens:
            continue
        for token in tokens:
            token = token.strip("'")
            if len(token) < 3 or token in _STOP:
                continue
            words.add(token[:-1] if token.endswith("s") and len(token) > 3 else token)
    return words


def _asks_why(text: str) -> bool:
    return re.search(r"\bwhy\b", text.lower()) is not None


def circling(recent: Sequence[str]) -> bool:
    """True when the newest entries (oldest first in ``recent``) circle one why."""
    window = list(recent)[-WINDOW:]
    counts = Counter(word for text in window for word in why_words(text))
    if any(n >= THRESHOLD for n in counts.values()):
        return True
    return sum(_asks_why(text) for text in window) >= ANY_WHY
