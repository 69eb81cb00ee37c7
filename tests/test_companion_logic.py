"""The companion's pure rules: progress, crisis language, rumination, tapering, charts."""

from __future__ import annotations

import ast
import re
from datetime import date, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nocontact.companion
from nocontact.companion import rumination
from nocontact.companion.chart import mood_chart, urge_chart
from nocontact.companion.crisis import has_crisis_language
from nocontact.companion.progress import ALPHA, HALF_LIFE_DAYS, Period, progress
from nocontact.companion.rhythm import (
    LOOK_BACK_AFTER,
    REMINDER_TEXT,
    invite_look_back,
    reminder_due,
    reminder_gap,
)

D0 = date(2027, 1, 1)


def reference_strength(days: list[int]) -> float:
    """The documented formula, written out again: s += ALPHA * (x - s), from s = 0."""
    s = 0.0
    for x in days:
        s = s + (1 - 2 ** (-1 / 13)) * (x - s)
    return s


def test_alpha_is_the_documented_half_life() -> None:
    """ALPHA = 1 - 2^(-1/13): thirteen kept days close half the gap to full strength."""
    assert HALF_LIFE_DAYS == 13
    assert pytest.approx(0.05193, abs=1e-5) == ALPHA
    assert pytest.approx(0.5) == 1 - (1 - ALPHA) ** 13


def test_a_slip_keeps_the_days_already_chosen() -> None:
    """Ten days with a slip on day 5: nine days chosen, and the strength follows the formula."""
    today = D0 + timedelta(days=9)
    result = progress([Period(D0)], [D0 + timedelta(days=4)], today)
    assert (result.days_chosen, result.days_counted, result.slips) == (9, 10, 1)
    assert result.strength == pytest.approx(reference_strength([1, 1, 1, 1, 0, 1, 1, 1, 1, 1]))


def test_a_slip_lowers_strength_gently_never_to_zero() -> None:
    """After 30 kept days, one slip takes about 5 % of the score, not all of it."""
    days = [Period(D0)]
    before = progress(days, [], D0 + timedelta(days=29)).strength
    after = progress(days, [D0 + timedelta(days=30)], D0 + timedelta(days=30)).strength
    assert after == pytest.approx(before * (1 - ALPHA))
    assert after > 0.7 * before


def test_days_chosen_never_go_down() -> None:
    """Whatever slips are logged, the count of days chosen only ever grows day by day."""
    slips = {D0 + timedelta(days=d) for d in (2, 3, 4, 10, 11)}
    counts = [progress([Period(D0)], slips, D0 + timedelta(days=n)).days_chosen for n in range(20)]
    assert counts == sorted(counts)
    assert counts[-1] == 15


def test_days_between_pledges_change_nothing() -> None:
    """Two pledges with a gap: only their days count, each day once when pledges overlap."""
    periods = [Period(D0, D0 + timedelta(days=4)), Period(D0 + timedelta(days=10))]
    result = progress(periods, [], D0 + timedelta(days=14))
    assert result.days_counted == 10
    overlap = [Period(D0), Period(D0 + timedelta(days=2))]
    assert progress(overlap, [], D0 + timedelta(days=4)).days_counted == 5


@given(
    length=st.integers(min_value=0, max_value=400),
    slips=st.sets(st.integers(min_value=0, max_value=400), max_size=60),
)
def test_progress_is_the_formula_for_any_history(length: int, slips: set[int]) -> None:
    """For any run of days and slips: chosen + slips = counted, and strength is the formula."""
    today = D0 + timedelta(days=length)
    days = [D0 + timedelta(days=d) for d in slips]
    result = progress([Period(D0)], days, today)
    xs = [0 if d in slips else 1 for d in range(length + 1)]
    assert result.days_chosen + result.slips == result.days_counted == length + 1
    assert result.days_chosen == sum(xs)
    assert result.strength == pytest.approx(reference_strength(xs))
    assert 0.0 <= result.strength < 1.0


CRISIS = [
    "I want to kill myself",
    "Some nights I think about suicide.",
    "I’ve been feeling suicidal since she left",
    "i dont want to be alive anymore",
    "I don't want to wake up tomorrow",
    "Everyone would be better off without me",
    "There is no reason to live now",
    "I just want to die",
    "I wish I was dead",
    "I keep thinking about ending my life",
    "I've been hurting myself again",
    "self-harm is on my mind",
    "I can't go on like this",
    "maybe I should just end it all",
    "I've thought about taking an overdose",
    "I won't be around much longer, I'm going to disappear forever",
]

ORDINARY = [
    "This traffic is killing me",
    "I could die of embarrassment",
    "I'm dying to see that film",
    "My phone died during the call",
    "That joke killed me",
    "I'd kill for a coffee right now",
    "Sending that email would be career suicide",
    "I nearly died laughing at the party",
    "This deadline is killing me slowly",
    "I'm dead tired after work",
    "The plants on my balcony are dead",
    "We watched Suicide Squad last night",
    "I want to end this chapter of my life on a good note",
    "I hurt my knee running",
    "Kill the lights when you leave",
    "My life feels busy but good",
]


@pytest.mark.parametrize("text", CRISIS)
def test_crisis_phrases_are_recognised(text: str) -> None:
    """Each phrase about the writer's own safety brings the crisis resources first."""
    assert has_crisis_language(text)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_sentences_are_not_mistaken_for_crisis(text: str) -> None:
    """Everyday idioms of dying and killing do not set off the crisis resources."""
    assert not has_crisis_language(text)


def test_crisis_words_inside_other_words_do_not_count() -> None:
    """Word boundaries: 'diehard' or 'overdosed on coffee facts' style fragments do not match."""
    assert not has_crisis_language("a diehard fan of selfharmony records")
    assert has_crisis_language("SELF HARM")


def test_entries_circling_one_why_suggest_another_mode() -> None:
    """Three of the last entries asking why about the same thing: time for a different mode."""
    entries = [
        "Why did she leave without a word?",
        "Had a good walk today.",
        "I keep asking why she would leave like that.",
        "Why leave now, after everything?",
    ]
    assert rumination.circling(entries)
    assert "leave" in rumination.why_words(entries[0])


def test_varied_entries_do_not_count_as_circling() -> None:
    """Different thoughts, or a single why, are ordinary writing."""
    entries = [
        "Why is the bus always late?",
        "Cooked dinner with my sister.",
        "Thinking about the new job.",
        "Tired but okay.",
        "Why do I like rainy days so much?",
    ]
    assert not rumination.circling(entries)


def test_only_the_recent_window_counts() -> None:
    """Old whys outside the window of the last entries no longer count."""
    old = ["Why did it end?"] * 3
    recent = ["A quiet day."] * rumination.WINDOW
    assert rumination.circling(old)
    assert not rumination.circling(old + recent)


def test_reminders_taper() -> None:
    """The gap between reminders grows with the weeks and never shrinks."""
    gaps = [reminder_gap(d) for d in range(0, 200)]
    assert gaps == sorted(gaps)
    assert gaps[0] == 1 and gaps[-1] == 14


def test_reminder_due_follows_the_gap() -> None:
    """A reminder is due once the current gap has passed since the last one."""
    start = D0
    assert not reminder_due(start, None, start)
    assert reminder_due(start, None, start + timedelta(days=1))
    last = start + timedelta(days=50)  # gap 7 at this age
    assert not reminder_due(start, last, last + timedelta(days=6))
    assert reminder_due(start, last, last + timedelta(days=7))


def test_reminders_never_carry_content() -> None:
    """The reminder says one fixed, gentle sentence: no preview of anything written."""
    assert REMINDER_TEXT == "A quiet moment for you, whenever you like."


def test_look_back_invitation_comes_after_a_while_and_can_wait() -> None:
    """After six weeks the person is invited to look back; not now postpones it."""
    assert not invite_look_back(D0, D0 + timedelta(days=LOOK_BACK_AFTER - 1))
    assert invite_look_back(D0, D0 + timedelta(days=LOOK_BACK_AFTER))
    later = D0 + timedelta(days=LOOK_BACK_AFTER + 10)
    assert not invite_look_back(D0, D0 + timedelta(days=50), snoozed_until=later)


def test_mood_chart_is_plain_svg_with_weekly_means() -> None:
    """The chart is well-formed SVG, no script, one bar per week with check-ins."""
    today = date(2027, 3, 10)
    checkins = [(today - timedelta(days=d), 1 + d % 5) for d in range(0, 40, 3)]
    svg = mood_chart(checkins, today)
    root = ElementTree.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "script" not in svg.lower() and "href" not in svg
    bars = root.findall(".//{http://www.w3.org/2000/svg}rect")
    weeks = {(today - timedelta(days=d)).isocalendar()[:2] for d in range(0, 40, 3)}
    assert len(bars) == len(weeks)
    assert len(root.findall(".//{http://www.w3.org/2000/svg}circle")) == len(checkins)


def test_urge_chart_shows_each_fall() -> None:
    """Each urge rated twice is a line from the first rating to the second."""
    svg = urge_chart([(8, 3), (6, None), (7, 7)])
    root = ElementTree.fromstring(svg)
    lines = [e for e in root.iter("{http://www.w3.org/2000/svg}line") if e.get("class") == "fall"]
    assert len(lines) == 2
    assert re.search(r"3 urges; 2 rated again; 1 of those were lower", svg)


PURE = ("progress", "crisis", "rumination", "rhythm", "chart")


@pytest.mark.parametrize("name", PURE)
def test_the_companions_rules_are_pure(name: str) -> None:
    """Progress, crisis language, rumination, rhythm and charts import no I/O and no store."""
    folder = Path(nocontact.companion.__file__).parent
    banned = {"sqlite3", "socket", "os", "pathlib", "time", "nocontact", "starlette", "logging"}
    for node in ast.walk(ast.parse((folder / f"{name}.py").read_text())):
        if isinstance(node, ast.Import):
            roots = {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level:
            roots = {(node.module or "").split(".")[0]}
        else:
            continue
        assert not roots & banned, f"{name}.py imports {roots}"
