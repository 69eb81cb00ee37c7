"""Designed to be needed less: reminders that taper, and an invitation to move on.

Pure: dates in, decisions out. A reminder is a gentle in-app nudge to check in;
its gap grows with the weeks since the person began::

    weeks 1:    every day          weeks 2-3:  every 2 days
    weeks 4-6:  every 4 days       weeks 7-12: every 7 days
    after that: every 14 days

After ``LOOK_BACK_AFTER`` days the companion invites the person to look back at
how far they came and then to archive, export or delete; a "not now" puts the
invitation off for ``LOOK_BACK_SNOOZE`` days. A reminder never carries what the
person wrote: its text is one fixed sentence (``REMINDER_TEXT``).
"""

from __future__ import annotations

from datetime import date, timedelta

__all__ = [
    "LOOK_BACK_AFTER",
    "LOOK_BACK_SNOOZE",
    "REMINDER_TEXT",
    "invite_look_back",
    "reminder_due",
    "reminder_gap",
]

#: (days since starting, gap in days until the next reminder), first match wins.
_GAPS: tuple[tuple[int, int], ...] = ((7, 1), (21, 2), (42, 4), (84, 7))
_LAST_GAP = 14
LOOK_BACK_AFTER = 42
LOOK_BACK_SNOOZE = 30
#: The only thing a reminder ever says: never a preview of anything written.
REMINDER_TEXT = "A quiet moment for you, whenever you like."


def reminder_gap(days_since_start: int) -> int:
    """Days between reminders at this age of the person's use of the companion."""
    for before, gap in _GAPS:
        if days_since_start < before:
            return gap
    return _LAST_GAP


def reminder_due(started: date, last: date | None, today: date) -> bool:
    """Whether to show a reminder today, given the last one shown."""
    if last is None:
        return today > started
    return (today - last).days >= reminder_gap((last - started).days)


def invite_look_back(started: date, today: date, snoozed_until: date | None = None) -> bool:
    """Whether to invite the person to look back, then archive, export or delete."""
    if snoozed_until is not None and today < snoozed_until:
        return False
    return today >= started + timedelta(days=LOOK_BACK_AFTER)
