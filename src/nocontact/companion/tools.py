"""The companion's tools, as operations on one person's vault.

Every function takes the person's :class:`~.vault.Vault` and the moment
(``now``, seconds since the epoch; days are UTC days) and validates what it is
given before anything is written: bad input raises
:class:`~nocontact.core.errors.InvalidInput` with the field it concerns and
nothing changes. The pledge functions also take the engine: a pledge is an
ordinary ``pledge`` boundary, set and ended through the engine's public API.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from nocontact.core.errors import InvalidInput, NocontactError
from nocontact.core.model import Kind
from nocontact.engine import Engine

from . import rumination
from .crisis import has_crisis_language
from .progress import Period, Progress, progress
from .records import (
    Activity,
    Answer,
    CheckIn,
    Friend,
    HardDate,
    Letter,
    PledgeNote,
    SafetyPlan,
    SeeLess,
    Settings,
    Slip,
    Urge,
)
from .rhythm import LOOK_BACK_SNOOZE, invite_look_back, reminder_due
from .vault import Vault

TEXT_LIMIT = 20_000
SHORT_LIMIT = 200
#: How long a writing session lasts before the self-compassion step, in minutes.
WRITING_MINUTES = 10
#: When to ask again how strong an urge is, in seconds.
RERATE_AFTER = 180.0
REVISIT_DAYS = 30
MAX_TAGS = 3
TAGS = (
    "sleep", "work", "friends", "family", "exercise", "outside",
    "lonely", "anxious", "calm", "hopeful", "tired", "memories",
)  # fmt: skip
URGE_ACTIONS = ("message", "call", "look")
PROMPTS = (
    "What is something you enjoyed before that you set aside?",
    "Which of your values feels most important to you right now?",
    "What did you do this week that felt like you?",
    "Who have you been meaning to spend more time with?",
    "What would you like the next month to hold, just for you?",
    "What are you quietly proud of?",
    "What is a small thing you would like to learn or try?",
)


def day_of(now: float) -> date:
    return datetime.fromtimestamp(now, UTC).date()


def _text(value: object, field: str, *, limit: int = TEXT_LIMIT, required: bool = True) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", field=field)
    text = value.strip()
    if required and not text:
        raise InvalidInput(f"{field} is empty", field=field)
    if len(text) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters", field=field)
    return text


def _rating(value: object, field: str, lo: int, hi: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidInput(
            f"{field} must be a whole number from {lo} to {hi}", field=field
        ) from None
    if not lo <= number <= hi:
        raise InvalidInput(f"{field} must be from {lo} to {hi}", field=field)
    return number


def _day(value: object, field: str) -> date:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{field} must be a date like 2027-01-15", field=field) from None


# -- letters -------------------------------------------------------------------


def write_letter(vault: Vault, text: object, now: float, *, origin: str = "written") -> Letter:
    return vault.save(Letter(text=_text(text, "text"), origin=origin, created=now))


def letter(vault: Vault, letter_id: str) -> Letter:
    found = vault.get(Letter, letter_id)
    if found is None:
        raise InvalidInput("no such letter", field="id")
    return found


def rewrite_letter(vault: Vault, letter_id: str, text: object) -> Letter:
    """Go on writing an unsent letter (a diverted message is the start of one)."""
    found = letter(vault, letter_id)
    found.text = _text(text, "text")
    return vault.save(found)


def keep_letter(vault: Vault, letter_id: str, how: str, now: float) -> Letter:
    """Keep a letter, or keep it to revisit in REVISIT_DAYS days."""
    found = letter(vault, letter_id)
    if how == "keep":
        found.status, found.revisit_on = "kept", None
    elif how == "revisit":
        found.status = "revisit"
        found.revisit_on = (day_of(now) + timedelta(days=REVISIT_DAYS)).isoformat()
    else:
        raise InvalidInput("choose keep or revisit", field="how")
    return vault.save(found)


def add_compassion(vault: Vault, letter_id: str, text: object) -> Letter:
    found = letter(vault, letter_id)
    found.compassion = _text(text, "compassion", required=False)
    return vault.save(found)


def burn_letter(vault: Vault, letter_id: str) -> None:
    if not vault.burn(Letter, letter_id):
        raise InvalidInput("no such letter", field="id")


def to_revisit(vault: Vault, now: float) -> list[Letter]:
    today = day_of(now).isoformat()
    return [
        x
        for x in vault.all(Letter)
        if x.status == "revisit" and x.revisit_on is not None and x.revisit_on <= today
    ]


def circling(vault: Vault, now: float) -> bool:
    """Whether the person's recent writing circles one "why" (see :mod:`.rumination`)."""
    since = now - rumination.DAYS * 86400
    texts = [x.text for x in vault.all(Letter) if x.created >= since]
    texts += [a.text for a in vault.all(Answer) if a.created >= since]
    return rumination.circling(texts)


# -- urges -----------------------------------------------------------------------


def catch_urge(vault: Vault, action: str, now: float, draft: str | None = None) -> Urge:
    """An attempt the pledge diverted: its draft, if any, lands in unsent letters."""
    if action not in URGE_ACTIONS:
        raise InvalidInput(f"action must be one of {', '.join(URGE_ACTIONS)}", field="action")
    letter_id = None
    if draft is not None and draft.strip():
        letter_id = write_letter(vault, draft, now, origin="diverted").id
    return vault.save(Urge(action=action, created=now, letter=letter_id))


def urge(vault: Vault, urge_id: str) -> Urge:
    found = vault.get(Urge, urge_id)
    if found is None:
        raise InvalidInput("no such urge", field="id")
    return found


def name_urge(vault: Vault, urge_id: str, name: object, before: object, choice: str) -> Urge:
    found = urge(vault, urge_id)
    if choice not in ("letter", "breathe", "leave"):
        raise InvalidInput("choose letter, breathe or leave", field="choice")
    found.name = _text(name, "name", limit=SHORT_LIMIT, required=False)
    found.before = _rating(before, "before", 0, 10)
    found.choice = choice
    return vault.save(found)


def rerate(vault: Vault, urge_id: str, after: object, now: float) -> Urge:
    found = urge(vault, urge_id)
    found.after, found.after_at = _rating(after, "after", 0, 10), now
    return vault.save(found)


def to_rerate(vault: Vault, now: float) -> list[Urge]:
    """Urges rated once, a few minutes ago or more, not rated again yet."""
    return [
        u
        for u in vault.all(Urge)
        if u.before is not None and u.after is None and now - u.created >= RERATE_AFTER
    ]


# -- pledge and progress ---------------------------------------------------------


def start_pledge(
    engine: Engine, vault: Vault, target: str, label: object, ends: object, now: float
) -> PledgeNote:
    """Set the person's own pledge toward ``target``, with an optional last day."""
    name = _text(label, "label", limit=SHORT_LIMIT)
    last = None if ends in (None, "") else _day(ends, "ends")
    today = day_of(now)
    if last is not None and last < today:
        raise InvalidInput("the last day cannot be in the past", field="ends")
    end_at = None
    if last is not None:
        end_at = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
    boundary = engine.set_boundary(vault.person, target, Kind.PLEDGE, ends=end_at)
    for note in vault.all(PledgeNote):  # the same pledge again: the engine changed nothing
        if note.boundary_id == boundary.id and not note.ended:
            return note
    return vault.save(
        PledgeNote(
            boundary_id=boundary.id,
            label=name,
            first_day=today.isoformat(),
            last_day=None if last is None else last.isoformat(),
            created=now,
        )
    )


def pledges(
    engine: Engine, vault: Vault, now: float, name_of: Callable[[str], str] = str
) -> list[PledgeNote]:
    """The person's pledges, each closed once the engine no longer holds it.

    A pledge set elsewhere (the Boundaries page, the API) is adopted, named
    with ``name_of(target)``, and counted from its first day like any other.
    """
    holding = {b.id: b for b in engine.boundaries(vault.person) if b.kind is Kind.PLEDGE}
    notes = vault.all(PledgeNote)
    known = {n.boundary_id for n in notes}
    for boundary in holding.values():
        if boundary.id in known or not boundary.holds_at(now):
            continue
        target = boundary.target_person or boundary.target
        last = None
        if boundary.ends is not None:  # the day before the midnight (or moment) it ends
            last = day_of(boundary.ends - 1).isoformat()
        notes.append(
            vault.save(
                PledgeNote(
                    boundary_id=boundary.id,
                    label=name_of(target),
                    first_day=day_of(boundary.starts).isoformat(),
                    last_day=last,
                    created=boundary.starts,
                )
            )
        )
    for note in notes:
        if note.ended:
            continue
        held = holding.get(note.boundary_id)
        if held is None or not held.holds_at(now):
            note.ended = True
            note.last_day = min(
                day_of(now), date.fromisoformat(note.last_day or "9999-12-31")
            ).isoformat()
            vault.save(note)
    return notes


def end_pledge(engine: Engine, vault: Vault, note_id: str) -> float | None:
    """Ask to end a pledge early: it takes the engine's cool-down. The moment it ends."""
    note = vault.get(PledgeNote, note_id)
    if note is None or note.ended:
        raise InvalidInput("no such pledge", field="id")
    try:
        lifted = engine.lift(note.boundary_id)
    except NocontactError:
        raise InvalidInput("no such pledge", field="id") from None
    return lifted.boundary.ends


def log_slip(vault: Vault, day: object, trigger: object, helped: object, now: float) -> Slip:
    when = _day(day, "day")
    if when > day_of(now):
        raise InvalidInput("a slip cannot be in the future", field="day")
    return vault.save(
        Slip(
            day=when.isoformat(),
            trigger=_text(trigger, "trigger", limit=2000, required=False),
            helped=_text(helped, "helped", limit=2000, required=False),
            created=now,
        )
    )


def current_progress(notes: Sequence[PledgeNote], vault: Vault, now: float) -> Progress:
    periods = [
        Period(
            date.fromisoformat(n.first_day),
            date.fromisoformat(n.last_day) if n.last_day is not None and n.ended else None,
        )
        for n in notes
    ]
    # A pledge that holds with a planned end counts up to that end, never beyond.
    periods = [
        Period(p.first, p.last if p.last is not None else _planned(n))
        for p, n in zip(periods, notes, strict=True)
    ]
    slips = [date.fromisoformat(s.day) for s in vault.all(Slip)]
    return progress(periods, slips, day_of(now))


def _planned(note: PledgeNote) -> date | None:
    return date.fromisoformat(note.last_day) if note.last_day is not None else None


# -- check-ins, self-care, who am I now ------------------------------------------


def check_in(vault: Vault, mood: object, tags: Sequence[str], note: object, now: float) -> CheckIn:
    chosen = list(dict.fromkeys(t for t in tags if t))
    if len(chosen) > MAX_TAGS:
        raise InvalidInput(f"choose at most {MAX_TAGS} tags", field="tags")
    unknown = [t for t in chosen if t not in TAGS]
    if unknown:
        raise InvalidInput("choose tags from the list", field="tags")
    return vault.save(
        CheckIn(
            mood=_rating(mood, "mood", 1, 5),
            tags=chosen,
            note=_text(note, "note", limit=2000, required=False),
            created=now,
        )
    )


def plan_activity(
    vault: Vault, title: object, day: object, predicted: object, now: float
) -> Activity:
    return vault.save(
        Activity(
            title=_text(title, "title", limit=SHORT_LIMIT),
            day=_day(day, "day").isoformat(),
            predicted=_rating(predicted, "predicted", 1, 5),
            created=now,
        )
    )


def rate_activity(vault: Vault, activity_id: str, actual: object) -> Activity:
    found = vault.get(Activity, activity_id)
    if found is None:
        raise InvalidInput("no such activity", field="id")
    found.actual = _rating(actual, "actual", 1, 5)
    return vault.save(found)


def prompt_of_the_day(now: float) -> str:
    return PROMPTS[day_of(now).toordinal() % len(PROMPTS)]


def answer(vault: Vault, prompt: object, text: object, now: float) -> Answer:
    chosen = _text(prompt, "prompt", limit=SHORT_LIMIT)
    if chosen not in PROMPTS:
        raise InvalidInput("answer one of the prompts", field="prompt")
    return vault.save(Answer(prompt=chosen, text=_text(text, "text"), created=now))


# -- hard dates, friends, safety plan, see less ------------------------------------


def add_hard_date(
    vault: Vault, label: object, on: object, if_this: object, then_i_will: object, now: float
) -> HardDate:
    day = _day(on, "on")
    return vault.save(
        HardDate(
            label=_text(label, "label", limit=SHORT_LIMIT),
            month=day.month,
            day=day.day,
            if_this=_text(if_this, "if_this", limit=2000, required=False),
            then_i_will=_text(then_i_will, "then_i_will", limit=2000),
            created=now,
        )
    )


def next_occurrence(hard: HardDate, today: date) -> date:
    for year in (today.year, today.year + 1, today.year + 2):
        try:
            when = date(year, hard.month, hard.day)
        except ValueError:  # 29 February in a common year: the day before
            when = date(year, hard.month, hard.day - 1)
        if when >= today:
            return when
    raise AssertionError("unreachable")


@dataclass(frozen=True, slots=True)
class Upcoming:
    hard: HardDate
    on: date
    days: int


def upcoming(vault: Vault, now: float, within: int = 14) -> list[Upcoming]:
    """Hard dates in the next ``within`` days, soonest first, with their plans."""
    today = day_of(now)
    found = [
        Upcoming(h, d := next_occurrence(h, today), (d - today).days) for h in vault.all(HardDate)
    ]
    return sorted((u for u in found if u.days <= within), key=lambda u: u.on)


def add_friend(vault: Vault, name: object, reach: object, opener: object, now: float) -> Friend:
    return vault.save(
        Friend(
            name=_text(name, "name", limit=SHORT_LIMIT),
            reach=_text(reach, "reach", limit=SHORT_LIMIT, required=False),
            opener=_text(opener, "opener", limit=SHORT_LIMIT, required=False)
            or "Rough night. Can you talk?",
            created=now,
        )
    )


SAFETY_FIELDS = ("warning_signs", "coping", "people_places", "ask", "professionals", "safer")


def save_safety_plan(vault: Vault, fields: dict[str, object], now: float) -> SafetyPlan:
    plan = vault.single(SafetyPlan)
    for name in SAFETY_FIELDS:
        setattr(plan, name, _text(fields.get(name, ""), name, limit=4000, required=False))
    plan.created = plan.created or now
    return vault.save(plan)


def see_less(vault: Vault, person: str, label: object) -> SeeLess:
    prefs = vault.single(SeeLess)
    name = _text(label, "label", limit=SHORT_LIMIT)
    if person not in prefs.people:
        prefs.people.append(person)
        prefs.labels.append(name)
    return vault.save(prefs)


def see_more(vault: Vault, person: str) -> SeeLess:
    prefs = vault.single(SeeLess)
    if person in prefs.people:
        i = prefs.people.index(person)
        del prefs.people[i], prefs.labels[i]
    return vault.save(prefs)


# -- settings, reminders, looking back ---------------------------------------------


def settings(vault: Vault, now: float) -> Settings:
    """The person's settings; the first call marks the day they began."""
    found = vault.get(Settings)
    if found is None:
        found = vault.save(Settings(started=day_of(now).isoformat(), created=now))
    return found


def set_concern(vault: Vault, answer: str, now: float) -> Settings:
    if answer not in ("yes", "no", "unsure"):
        raise InvalidInput("answer yes, no or unsure", field="concern")
    found = settings(vault, now)
    found.concern = answer
    return vault.save(found)


def reminder(vault: Vault, now: float) -> bool:
    """Whether to show today's gentle reminder; showing it records the day."""
    found = settings(vault, now)
    today = day_of(now)
    last = date.fromisoformat(found.last_reminder) if found.last_reminder else None
    if found.archived or not reminder_due(date.fromisoformat(found.started), last, today):
        return False
    found.last_reminder = today.isoformat()
    vault.save(found)
    return True


def look_back_due(vault: Vault, now: float) -> bool:
    found = settings(vault, now)
    snoozed = found.look_back_snoozed_until
    return invite_look_back(
        date.fromisoformat(found.started),
        day_of(now),
        date.fromisoformat(snoozed) if snoozed else None,
    )


def snooze_look_back(vault: Vault, now: float) -> Settings:
    found = settings(vault, now)
    found.look_back_snoozed_until = (day_of(now) + timedelta(days=LOOK_BACK_SNOOZE)).isoformat()
    return vault.save(found)


def set_archived(vault: Vault, archived: bool, now: float) -> Settings:
    found = settings(vault, now)
    found.archived = archived
    # Archived, the invitation is off; back again, it waits its usual month.
    later = day_of(now) + timedelta(days=LOOK_BACK_SNOOZE)
    found.look_back_snoozed_until = "9999-12-31" if archived else later.isoformat()
    return vault.save(found)


def needs_care(*texts: str) -> bool:
    """Whether any of these texts calls for the crisis resources first."""
    return any(has_crisis_language(t) for t in texts if t)
