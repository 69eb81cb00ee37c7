"""Unsent letters in a real browser: crisis resources first, the kind word, keep, revisit, burn."""

from __future__ import annotations

from collections.abc import Callable

from tests.web.companion.conftest import later
from tests.web.conftest import Person, Server, assert_accessible, shot

CRISIS = [
    "Some nights I think about suicide.",
    "I don't want to wake up tomorrow",
    "Everyone would be better off without me",
    "I've been hurting myself again",
    "I just want to die",
]
ORDINARY = [
    "This traffic is killing me",
    "I could die of embarrassment",
    "Sending that email would be career suicide",
    "I nearly died laughing at the party",
    "I'm dying to see that film",
]


def write(person: Person, text: str) -> None:
    page = person.go("/companion/letters/new")
    page.fill("#text", text)
    page.get_by_role("button", name="Done").click()
    page.wait_for_url("**/kindness")


def first_heading(person: Person) -> str:
    return str(person.page.locator("main h1, main h2").first.inner_text())


def test_crisis_language_brings_crisis_resources_first(
    person_with_companion: Callable[[str], Person],
) -> None:
    """A letter with crisis language: the next page opens on crisis support; idioms do not."""
    sam = person_with_companion("Sam")
    for text in CRISIS:
        write(sam, text)
        assert first_heading(sam) == "You don't have to carry this alone", text
        assert "988" in sam.page.inner_text(".crisis-first")
    assert_accessible(sam.page)
    shot(sam.page, "companion-crisis-first")
    for text in ORDINARY:
        write(sam, text)
        assert sam.page.locator(".crisis-first").count() == 0, text
        assert first_heading(sam) == "Before you go: a kind word", text
    # Opening such a letter later shows the resources first again; an ordinary one does not.
    page = sam.go("/companion/letters")
    page.get_by_role("link", name="I just want to die").click()
    assert first_heading(sam) == "You don't have to carry this alone"
    sam.go("/companion/letters").get_by_role("link", name="This traffic is killing me").click()
    assert sam.page.locator(".crisis-first").count() == 0


def test_a_writing_session_ends_kindly_and_letters_keep_revisit_or_burn(
    person_with_companion: Callable[[str], Person], server: Server
) -> None:
    """Write, a self-compassion step, keep to revisit in 30 days, burn another for good."""
    sam = person_with_companion("Sam")
    page = sam.go("/companion/letters/new")
    assert "Up to 10 minutes" in sam.text()
    assert page.locator(".other-modes").is_visible()
    shot(page, "companion-write")
    page.fill("#text", "I keep replaying the last walk we took.")
    page.get_by_role("button", name="Done").click()
    page.wait_for_url("**/kindness")
    page.fill("#compassion", "You loved someone; of course it hurts.")
    page.get_by_role("button", name="Keep this with the letter").click()
    page.wait_for_url("**/companion/letters/*")
    assert "You loved someone" in sam.text()
    page.get_by_role("button", name="Revisit in 30 days").click()
    assert "reminded to revisit" in sam.text()
    write(sam, "A letter to burn.")
    page = sam.go("/companion/letters")
    page.get_by_role("link", name="A letter to burn.").click()
    page.get_by_role("button", name="Burn it").click()
    page.wait_for_url("**/companion/letters")
    assert "Burned" in sam.text() and "A letter to burn." not in sam.text()
    later(server, 30 * 86400, sam)
    home = sam.text("/companion")
    assert "ready, if you want it" in home
    assert "I keep replaying" not in home  # a reminder never previews what was written


def test_circling_the_same_why_suggests_another_mode(
    person_with_companion: Callable[[str], Person],
) -> None:
    """After several letters asking the same why, the companion suggests something else."""
    sam = person_with_companion("Sam")
    assert sam.go("/companion/letters").locator(".circling").count() == 0
    for text in (
        "Why did they leave without a word?",
        "I still wonder why they would leave like that.",
        "Why leave now, after everything?",
    ):
        write(sam, text)
    page = sam.go("/companion/letters")
    assert page.locator(".circling").is_visible()
    assert "different mode" in page.inner_text(".circling")


def test_reminders_taper_and_never_preview(
    person_with_companion: Callable[[str], Person], server: Server
) -> None:
    """The next day a fixed, gentle reminder, never a word of what was written; after six
    weeks an invitation to look back, which waits when the person says not now."""
    sam = person_with_companion("Sam")
    write(sam, "secret words about the lake")
    assert "A quiet moment for you" not in sam.text("/companion")
    later(server, 86400, sam)
    shown = sam.text("/companion")
    assert "A quiet moment for you, whenever you like." in shown
    assert "lake" not in shown
    assert "A quiet moment" not in sam.text("/companion")  # once a day at most, then less
    # After six weeks: an invitation to look back, then archive, export or delete.
    later(server, 41 * 86400, sam)
    page = sam.go("/companion")
    assert "Time to look back?" in sam.text()
    page.get_by_role("button", name="Not now").click()
    page.wait_for_url("**/companion")
    assert "Time to look back?" not in sam.text()
