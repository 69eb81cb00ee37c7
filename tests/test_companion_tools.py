"""The companion's tools on a real engine and store: pledge, urges, letters, plans."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from nocontact.companion import tools
from nocontact.companion.crypto import KdfParams
from nocontact.companion.progress import ALPHA
from nocontact.companion.records import Letter, Urge
from nocontact.companion.store import CompanionStore
from nocontact.companion.vault import Keyring, Vault
from nocontact.core.errors import InvalidInput
from nocontact.engine import Engine

from .conftest import T0, EngineFactory, FakeClock

FAST = KdfParams(time_cost=1, memory_kib=1024, parallelism=1)
DAY = 86400.0


@pytest.fixture
def world(
    tmp_path: Path, make_engine: EngineFactory
) -> Iterator[tuple[Engine, Vault, CompanionStore]]:
    engine = make_engine("w.db", pledge_cooldown=600.0)
    engine.add_person("sam")
    engine.add_person("alex")
    store = CompanionStore.open(tmp_path / "w.db")
    yield engine, Keyring(store, FAST).sign_in("s", "sam", "pw"), store
    store.close()


def test_a_pledge_diverts_the_owners_attempts(world: tuple[Engine, Vault, CompanionStore]) -> None:
    """A pledge set through the engine diverts Sam's messages and hides Alex's profile from Sam."""
    engine, vault, _ = world
    tools.start_pledge(engine, vault, "alex", "A.", None, T0)
    assert engine.check("sam", "message", "alex").outcome == "divert"
    assert engine.check("sam", "call", "alex").outcome == "divert"
    assert engine.check("sam", "view_profile", "alex").outcome == "hide"
    assert engine.check("alex", "message", "sam").outcome == "deliver"  # binds Sam only


def test_ending_a_pledge_early_takes_the_cool_down(
    world: tuple[Engine, Vault, CompanionStore], clock: FakeClock
) -> None:
    """Asking to end a pledge starts the engine's cool-down; it holds until then."""
    engine, vault, _ = world
    clock.now = T0
    note = tools.start_pledge(engine, vault, "alex", "A.", None, T0)
    ends = tools.end_pledge(engine, vault, note.id)
    assert ends == pytest.approx(T0 + 600.0)
    assert engine.check("sam", "message", "alex").outcome == "divert"
    clock.advance(601)
    assert engine.check("sam", "message", "alex").outcome == "deliver"
    [closed] = tools.pledges(engine, vault, clock.now)
    assert closed.ended and closed.last_day == tools.day_of(clock.now).isoformat()


def test_a_diverted_message_lands_in_unsent_letters(
    world: tuple[Engine, Vault, CompanionStore],
) -> None:
    """The draft of a diverted message becomes an unsent letter; the urge is logged with it."""
    _, vault, _ = world
    caught = tools.catch_urge(vault, "message", T0, draft="are you there?")
    [letter] = vault.all(Letter)
    assert (letter.text, letter.origin, caught.letter) == ("are you there?", "diverted", letter.id)
    tools.name_urge(vault, caught.id, "missing her", 8, "letter")
    assert tools.to_rerate(vault, T0 + 60) == []
    assert [u.id for u in tools.to_rerate(vault, T0 + tools.RERATE_AFTER)] == [caught.id]
    tools.rerate(vault, caught.id, 4, T0 + 300)
    [urge] = vault.all(Urge)
    assert (urge.before, urge.after) == (8, 4)


def test_progress_survives_a_slip(world: tuple[Engine, Vault, CompanionStore]) -> None:
    """Ten days of pledge with one slip: nine days chosen, strength by the formula."""
    engine, vault, _ = world
    note = tools.start_pledge(engine, vault, "alex", "A.", None, T0)
    slip_day = tools.day_of(T0) + timedelta(days=6)
    tools.log_slip(vault, slip_day.isoformat(), "a song", "a walk", T0 + 6 * DAY)
    now = T0 + 9 * DAY
    result = tools.current_progress(tools.pledges(engine, vault, now), vault, now)
    s = 0.0
    for x in [1, 1, 1, 1, 1, 1, 0, 1, 1, 1]:
        s += ALPHA * (x - s)
    assert (result.days_chosen, result.slips) == (9, 1)
    assert result.strength == pytest.approx(s)
    assert note.first_day == tools.day_of(T0).isoformat()


def test_a_pledge_with_an_end_counts_to_its_end(
    world: tuple[Engine, Vault, CompanionStore],
) -> None:
    """A pledge until a day counts through that day, and the engine lets it end then."""
    engine, vault, _ = world
    last = tools.day_of(T0) + timedelta(days=2)
    tools.start_pledge(engine, vault, "alex", "A.", last.isoformat(), T0)
    later = T0 + 10 * DAY
    result = tools.current_progress(tools.pledges(engine, vault, later), vault, later)
    assert result.days_chosen == 3
    assert engine.check("sam", "message", "alex", at=later).outcome == "deliver"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda v: tools.check_in(v, 6, [], "", T0), "mood"),
        (lambda v: tools.check_in(v, 3, ["sleep", "work", "calm", "tired"], "", T0), "tags"),
        (lambda v: tools.check_in(v, 3, ["nonsense"], "", T0), "tags"),
        (lambda v: tools.write_letter(v, "   ", T0), "text"),
        (lambda v: tools.log_slip(v, "2999-01-01", "", "", T0), "day"),
        (lambda v: tools.plan_activity(v, "walk", "not a date", 3, T0), "day"),
        (lambda v: tools.answer(v, "made-up prompt", "x", T0), "prompt"),
        (lambda v: tools.catch_urge(v, "visit", T0), "action"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(
    world: tuple[Engine, Vault, CompanionStore], call: object, field: str
) -> None:
    """Each tool validates before writing: a clear error names the field, no row appears."""
    _, vault, store = world
    before = store.count("sam")
    with pytest.raises(InvalidInput) as err:
        call(vault)  # type: ignore[operator]
    assert err.value.field == field
    assert store.count("sam") == before


def test_hard_dates_show_ahead_with_their_plan(world: tuple[Engine, Vault, CompanionStore]) -> None:
    """A hard date within two weeks is shown with its if-then plan; a far one is not."""
    _, vault, _ = world
    today = tools.day_of(T0)
    tools.add_hard_date(vault, "our anniversary", (today + timedelta(days=5)).isoformat(),
                        "if I wake up sad", "I will call my sister", T0)  # fmt: skip
    tools.add_hard_date(vault, "far", (today + timedelta(days=100)).isoformat(), "", "walk", T0)
    [soon] = tools.upcoming(vault, T0)
    assert (soon.hard.label, soon.days, soon.hard.then_i_will) == (
        "our anniversary", 5, "I will call my sister",
    )  # fmt: skip


def test_reminders_are_recorded_and_taper(world: tuple[Engine, Vault, CompanionStore]) -> None:
    """Day one shows no reminder, day two does once; later the gap widens."""
    _, vault, _ = world
    tools.settings(vault, T0)
    assert not tools.reminder(vault, T0)
    assert tools.reminder(vault, T0 + DAY)
    assert not tools.reminder(vault, T0 + DAY + 60)
    shown = [d for d in range(2, 60) if tools.reminder(vault, T0 + d * DAY)]
    gaps = [b - a for a, b in itertools.pairwise(shown)]
    assert gaps == sorted(gaps) and gaps[-1] == 7


def test_look_back_after_six_weeks_then_snooze(world: tuple[Engine, Vault, CompanionStore]) -> None:
    """The invitation to look back appears after six weeks; not now hides it for a month."""
    _, vault, _ = world
    tools.settings(vault, T0)
    assert not tools.look_back_due(vault, T0 + 41 * DAY)
    assert tools.look_back_due(vault, T0 + 42 * DAY)
    tools.snooze_look_back(vault, T0 + 42 * DAY)
    assert not tools.look_back_due(vault, T0 + 50 * DAY)
    assert tools.look_back_due(vault, T0 + 72 * DAY)


def test_letters_revisit_after_thirty_days(world: tuple[Engine, Vault, CompanionStore]) -> None:
    """A letter kept to revisit comes back after 30 days, not before."""
    _, vault, _ = world
    letter = tools.write_letter(vault, "later", T0)
    tools.keep_letter(vault, letter.id, "revisit", T0)
    assert tools.to_revisit(vault, T0 + 29 * DAY) == []
    assert [x.id for x in tools.to_revisit(vault, T0 + 30 * DAY)] == [letter.id]
    assert date.fromisoformat(vault.all(Letter)[0].revisit_on or "") == tools.day_of(T0 + 30 * DAY)


def test_an_archived_companion_sends_no_reminders(
    world: tuple[Engine, Vault, CompanionStore],
) -> None:
    """Archiving turns reminders and the look-back invitation off; unarchiving brings them back."""
    _, vault, _ = world
    tools.settings(vault, T0)
    tools.set_archived(vault, True, T0)
    assert not any(tools.reminder(vault, T0 + d * DAY) for d in range(1, 60))
    assert not tools.look_back_due(vault, T0 + 60 * DAY)
    tools.set_archived(vault, False, T0 + 60 * DAY)
    assert tools.reminder(vault, T0 + 61 * DAY)
    assert tools.look_back_due(vault, T0 + 90 * DAY)


def test_a_pledge_set_elsewhere_is_adopted(
    world: tuple[Engine, Vault, CompanionStore], clock: FakeClock
) -> None:
    """A pledge set on the Boundaries page or through the API shows here and counts its days."""
    engine, vault, _ = world
    clock.now = T0
    engine.set_boundary("sam", "alex", "pledge")
    [note] = tools.pledges(engine, vault, T0 + 3 * DAY, name_of=str.title)
    assert (note.label, note.first_day, note.ended) == ("Alex", tools.day_of(T0).isoformat(), False)
    assert tools.pledges(engine, vault, T0 + 3 * DAY) == [note]  # adopted once
    progress = tools.current_progress([note], vault, T0 + 3 * DAY)
    assert progress.days_chosen == 4


def test_the_same_pledge_twice_is_one_pledge(world: tuple[Engine, Vault, CompanionStore]) -> None:
    """Pledging again toward the same person while a pledge holds keeps one pledge, one count."""
    engine, vault, _ = world
    first = tools.start_pledge(engine, vault, "alex", "A.", None, T0)
    again = tools.start_pledge(engine, vault, "alex", "Alex", None, T0 + DAY)
    assert again.id == first.id
    assert len(tools.pledges(engine, vault, T0 + DAY)) == 1
