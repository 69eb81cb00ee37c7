"""What the companion keeps, one dataclass per kind of record.

Each record is stored as one sealed JSON document (see :mod:`.vault`). Fields
are plain JSON values; days are ISO dates (``2027-01-15``), moments are seconds
since the epoch. Unknown fields in a stored document are ignored on reading,
so older companions' records keep opening.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

__all__ = [
    "KINDS",
    "Activity",
    "Answer",
    "CheckIn",
    "Friend",
    "HardDate",
    "Letter",
    "PledgeNote",
    "Record",
    "SafetyPlan",
    "SeeLess",
    "Settings",
    "Slip",
    "Urge",
]


@dataclass(kw_only=True)
class Record:
    KIND: ClassVar[str] = ""
    #: Records of which a person has exactly one use this id.
    SINGLE: ClassVar[str | None] = None
    id: str = ""
    created: float = 0.0

    def to_doc(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Self:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in doc.items() if k in names})


@dataclass(kw_only=True)
class Letter(Record):
    """An unsent letter: written here, or a message the pledge diverted."""

    KIND = "letter"
    text: str
    origin: str = "written"  # "written" or "diverted"
    #: None while open; "kept", or "revisit" with a day to look at it again.
    status: str | None = None
    revisit_on: str | None = None
    compassion: str = ""


@dataclass(kw_only=True)
class Urge(Record):
    """An urge caught by the pause: rated now, and again a few minutes later."""

    KIND = "urge"
    action: str  # what the person tried: message, call, look
    name: str = ""
    before: int | None = None
    after: int | None = None
    after_at: float | None = None
    choice: str = ""  # "letter", "breathe", "leave"
    letter: str | None = None


@dataclass(kw_only=True)
class Slip(Record):
    """A lapse, logged as information: never a reset."""

    KIND = "slip"
    day: str
    trigger: str = ""
    helped: str = ""


@dataclass(kw_only=True)
class PledgeNote(Record):
    """The companion's side of a pledge: its days, and the name the person gave."""

    KIND = "pledge"
    boundary_id: str
    label: str
    first_day: str
    last_day: str | None = None  # the planned end, or the day it ended
    ended: bool = False


@dataclass(kw_only=True)
class CheckIn(Record):
    KIND = "checkin"
    mood: int
    tags: list[str] = field(default_factory=list)
    note: str = ""


@dataclass(kw_only=True)
class Activity(Record):
    """A self-care step: behavioural activation, mood predicted then lived."""

    KIND = "activity"
    title: str
    day: str
    predicted: int
    actual: int | None = None


@dataclass(kw_only=True)
class Answer(Record):
    """An answer to a "who am I now" prompt."""

    KIND = "answer"
    prompt: str
    text: str


@dataclass(kw_only=True)
class HardDate(Record):
    KIND = "hard_date"
    label: str
    month: int
    day: int
    if_this: str = ""
    then_i_will: str = ""


@dataclass(kw_only=True)
class Friend(Record):
    """One of the person's own people, for the "I'm not okay" screen."""

    KIND = "friend"
    name: str
    reach: str = ""  # how the person reaches them: a number, a handle
    opener: str = ""


@dataclass(kw_only=True)
class SafetyPlan(Record):
    """The six steps of a personal safety plan, in the person's own words."""

    KIND = "safety_plan"
    SINGLE = "plan"
    warning_signs: str = ""
    coping: str = ""
    people_places: str = ""
    ask: str = ""
    professionals: str = ""
    safer: str = ""


@dataclass(kw_only=True)
class SeeLess(Record):
    """Whose mentions and shared posts the person prefers not to see in their own feed."""

    KIND = "see_less"
    SINGLE = "prefs"
    people: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class Settings(Record):
    KIND = "settings"
    SINGLE = "settings"
    started: str = ""
    last_reminder: str | None = None
    #: The person's own answer to "did this relationship involve threats, stalking or violence?"
    concern: str | None = None  # "yes", "no", "unsure"
    archived: bool = False
    look_back_snoozed_until: str | None = None


KINDS: tuple[type[Record], ...] = (
    Letter, Urge, Slip, PledgeNote, CheckIn, Activity, Answer, HardDate, Friend,
    SafetyPlan, SeeLess, Settings,
)  # fmt: skip
