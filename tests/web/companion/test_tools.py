"""The companion's other tools in a real browser, and What now? from every screen."""

from __future__ import annotations

import time
from collections.abc import Callable
from xml.etree import ElementTree

from tests.web.companion.conftest import later
from tests.web.conftest import SCREENSHOTS, Person, Server, assert_accessible, shot

SVG = "{http://www.w3.org/2000/svg}"


def test_a_check_in_takes_under_twenty_seconds_and_charts_the_weeks(
    person_with_companion: Callable[[str], Person], server: Server
) -> None:
    """Mood, up to three tags, a note, one button; the weeks drawn as SVG without script."""
    sam = person_with_companion("Sam")
    for mood in (2, 3, 4):
        page = sam.go("/companion/checkin")
        started = time.monotonic()
        page.locator(f"label[for=mood-{mood}]").click()
        page.locator("label[for=tag-friends]").click()
        page.locator("label[for=tag-outside]").click()
        page.fill("#note", "a walk with Jo")
        page.get_by_role("button", name="Check in").click()
        page.wait_for_url("**/companion/checkin#chart")
        assert time.monotonic() - started < 20
        later(server, 7 * 86400, sam)
    page = sam.go("/companion/checkin")
    svg = page.inner_html("#chart figure")
    root = ElementTree.fromstring(svg)
    assert len(root.findall(f".//{SVG}rect")) == 3  # one bar for each week
    assert page.locator("script").count() == 1  # the app's own enhancement, not the chart's
    # Four tags are refused, and nothing is stored.
    for tag in ("sleep", "work", "calm", "tired"):
        page.locator(f"label[for=tag-{tag}]").click()
    page.locator("label[for=mood-3]").click()
    page.get_by_role("button", name="Check in").click()
    assert "at most 3" in sam.text()
    dots = ElementTree.fromstring(page.inner_html("#chart figure")).findall(f".//{SVG}circle")
    assert len(dots) == 3
    # Crisis language in a note: the page after it opens on crisis support.
    page = sam.go("/companion/checkin")
    page.locator("label[for=mood-1]").click()
    page.fill("#note", "no reason to live tonight")
    page.get_by_role("button", name="Check in").click()
    first = page.locator("main h1, main h2").first.inner_text()
    assert first == "You don't have to carry this alone"
    shot(sam.go("/companion/checkin"), "companion-checkin")
    sam.page.locator("#chart").screenshot(path=str(SCREENSHOTS / "companion-chart.png"))


def test_self_care_who_am_i_hard_dates_and_the_safety_plan(
    person_with_companion: Callable[[str], Person], server: Server
) -> None:
    """Plan a small thing and rate it; answer a prompt; a hard date's plan shows ahead of it."""
    sam = person_with_companion("Sam")
    page = sam.go("/companion/self-care")
    page.fill("#title", "Swim at the lido")
    page.select_option("#predicted", "2")
    page.get_by_role("button", name="Add to my plan").click()
    page.locator("select[id^=actual-]").select_option("4")
    page.get_by_role("button", name="Save").click()
    assert "felt 2.0 better than you expected" in sam.text("/companion/self-care")
    page = sam.go("/companion/who-am-i")
    page.fill("#text", "Drawing, which I stopped doing.")
    page.get_by_role("button", name="Keep my answer").click()
    assert "Drawing, which I stopped doing." in sam.text()
    page = sam.go("/companion/hard-dates")
    page.fill("#label", "Her birthday")
    page.fill("#on", "2027-01-20")  # five days after the test clock's today
    page.fill("#if_this", "I want to send a message")
    page.fill("#then_i_will", "go climbing with Jo")
    page.get_by_role("button", name="Add").click()
    home = sam.text("/companion")
    assert "Her birthday is in 5 days" in home and "go climbing with Jo" in home
    page = sam.go("/companion/safety-plan")
    page.fill("#coping", "Shower, music, the long walk by the water.")
    page.fill("#ask", "Jo, my brother")
    page.get_by_role("button", name="Save my plan").click()
    page = sam.go("/companion/safety-plan")
    assert page.input_value("#coping") == "Shower, music, the long walk by the water."
    assert_accessible(page)
    shot(page, "companion-safety-plan")


def test_im_not_okay_puts_the_persons_own_people_first(
    person_with_companion: Callable[[str], Person],
) -> None:
    """Chosen friends come first, with a ready opener; crisis support below them."""
    sam = person_with_companion("Sam")
    page = sam.go("/companion/not-okay")
    page.fill("#name", "Jo")
    page.fill("#reach", "@jo")
    page.select_option("#opener", "Rough night. Can you talk?")
    page.get_by_role("button", name="Add").click()
    page = sam.go("/companion/not-okay")
    first = page.locator("main section").first
    assert "Jo" in first.inner_text() and "Rough night. Can you talk?" in first.inner_text()
    assert "988" in page.inner_text("main")
    shot(page, "companion-not-okay")


def test_staying_safe_says_plainly_that_no_contact_is_not_a_safety_plan(
    person_with_companion: Callable[[str], Person],
) -> None:
    """The person answers for themself; with threats or violence the statement comes first."""
    sam = person_with_companion("Sam")
    page = sam.go("/companion/staying-safe")
    assert "No contact is not a safety plan" in page.inner_text("main")
    assert page.locator(".safety-statement.first").count() == 0  # asked first, then said
    page.locator("label[for=concern-yes]").click()
    page.get_by_role("button", name="Save my answer").click()
    page = sam.go("/companion/staying-safe")
    assert page.locator(".safety-statement.first").is_visible()
    assert page.locator("main h2").first.inner_text() == "No contact is not a safety plan"
    assert "1-800-799-7233" in page.inner_text(".safety-statement")


def test_see_less_quiets_only_the_persons_own_feed(
    person_with_companion: Callable[[str], Person],
) -> None:
    """Sam's feed loses posts by, quoting or reposting Alex; Jo's feed and Alex's are unchanged."""
    sam, jo = person_with_companion("Sam"), person_with_companion("Jo")
    assert "Alex runs in any weather" in sam.text("/feed")  # Jo's quote of Alex
    jo_before = jo.text("/feed")
    page = sam.go("/companion/see-less")
    page.select_option("#who", "alex")
    page.get_by_role("button", name="See less").click()
    assert "Seeing less of Alex" in sam.text("/companion/see-less")
    feed = sam.text("/feed")
    assert "Alex runs in any weather" not in feed
    assert "Patience is a vegetable" not in feed  # Alex's post, reposted by Kim
    assert "Doors of the world, unite." in feed  # everyone else as before
    assert jo.text("/feed") == jo_before


def test_what_now_is_reachable_from_every_conversation_and_call_screen(
    person_with_companion: Callable[[str], Person], server: Server
) -> None:
    """One link on every thread and the phone, boundary or none; and on a space notice."""
    sam = person_with_companion("Sam")
    sam.go("/messages")
    threads = sorted(
        set(sam.page.eval_on_selector_all("a[href^='/messages/'], a[href^='/groups/']",
                                                  "els => els.map(e => e.getAttribute('href'))"))
    )  # fmt: skip
    assert threads
    for path in [*threads, "/messages/alex", "/messages/kim", "/phone"]:
        sam.go(path)
        link = sam.page.get_by_role("link", name="Can't reach someone? What now?")
        assert link.get_attribute("href") == "/companion/what-now", path
    sam.go("/feed")
    sam.page.get_by_role("link", name="Companion", exact=True).first.click()
    sam.page.get_by_role("link", name="What now?").first.click()
    assert "You can't know for sure" in sam.text()
    shot(sam.page, "companion-what-now")
    server.engine.set_boundary("alex", "sam", "space", duration=7 * 86400, note="I need a week")
    page = sam.go("/feed")
    notice = page.locator(".notice", has_text="asked for some space")
    notice.get_by_role("link", name="What now?").click()
    page.wait_for_url("**/companion/what-now")
