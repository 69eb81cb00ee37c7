"""Progress that survives a slip: days chosen and a gently decaying strength.

Pure: dates in, numbers out. A pledge contributes each of its days, from its
first day through today (or the day it ended), one value ``x`` a day: 1 for a
day kept, 0 for a day with a slip the person logged. Two figures come out:

* **days you chose yourself**: how many days were kept, summed over every
  pledge. It only ever grows: a slip adds a day that does not count, it never
  takes away the days before it.
* **strength**: an exponentially weighted average of the same days, in the
  style of habit-strength scores (Loop Habit Tracker's for a daily habit)::

      s_0 = 0
      s_d = s_(d-1) + ALPHA * (x_d - s_(d-1))
      ALPHA = 1 - 2 ** (-1 / HALF_LIFE_DAYS),  HALF_LIFE_DAYS = 13

  so ALPHA is about 0.0519: a slip moves the score about 5 % of the way toward
  zero, and thirteen kept days close half of whatever gap remains. Days between
  pledges change nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["ALPHA", "HALF_LIFE_DAYS", "Period", "Progress", "progress"]

HALF_LIFE_DAYS = 13
ALPHA = 1 - 2 ** (-1 / HALF_LIFE_DAYS)


@dataclass(frozen=True, slots=True)
class Period:
    """One pledge's days: ``first`` through ``last`` (None while it holds)."""

    first: date
    last: date | None = None


@dataclass(frozen=True, slots=True)
class Progress:
    days_chosen: int
    days_counted: int
    slips: int
    strength: float  # from 0 to 1

    @property
    def strength_percent(self) -> int:
        return round(self.strength * 100)


def _days(periods: Sequence[Period], today: date) -> list[date]:
    """Every counted day, each once, oldest first (overlapping pledges count once)."""
    days: set[date] = set()
    for period in periods:
        last = today if period.last is None else min(period.last, today)
        day = period.first
        while day <= last:
            days.add(day)
            day += timedelta(days=1)
    return sorted(days)


def progress(periods: Sequence[Period], slips: Iterable[date], today: date) -> Progress:
    """The person's progress on ``today`` from their pledges and the slips they logged."""
    slipped = set(slips)
    strength = 0.0
    chosen = counted = lapses = 0
    for day in _days(periods, today):
        kept = day not in slipped
        strength += ALPHA * ((1.0 if kept else 0.0) - strength)
        counted += 1
        chosen += kept
        lapses += not kept
    return Progress(chosen, counted, lapses, strength)
