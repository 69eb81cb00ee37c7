"""The pledge in a real browser: attempts open the pause, progress survives a slip."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from nocontact.companion.progress import ALPHA
from tests.web.companion.conftest import later
from tests.web.conftest import SCREENSHOTS, Person, Server, assert_accessible, shot

DAY = 86400.0


def make_pledge(person: Person, who: str = "alex", ends: str = "") -> None:
    page = person.go("/companion/pledge")
    page.select_option("#who", who)
    if ends:
        page.fill("#ends", ends)
    page.get_by_role("button", name="Make my pledge").click()
    page.wait_for_url("**/companion/pledge")


def test_a_message_under_a_pledge_lands_in_unsent_letters_with_the_pause(
    person_with_companion: Callable[[str], Person], server: Server
) -> None:
    """Sam's message to Alex under Sam's pledge is not sent: the pause opens, the draft is kept."""
    sam, alex = person_with_companion("Sam"), person_with_companion("Alex")
    make_pledge(sam)
    assert "No contact with Alex" in sam.text()
    marker = "awake-" + secrets.token_hex(6)
    page = sam.go("/messages/alex")
    page.fill("#body", f"are you {marker}?")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r".*/companion/pause/[0-9a-f]+$"))
    assert "Nothing was sent" in sam.text()
    assert_accessible(page)
    shot(page, "companion-pause")
    page.fill("#name", "missing the mornings")
    page.fill("#before", "8")
    page.get_by_role("button", name="Leave, sending nothing").click()
    page.wait_for_url("**/left")
    page.fill("#after", "3")
    page.get_by_role("button", name="Rate it again").click()
    page.wait_for_url("**/companion/pledge#urges")
    assert "1 of those were lower" in page.inner_html("#urges")
    page.locator("#urges").screenshot(path=str(SCREENSHOTS / "companion-urges.png"))
    letters = sam.text("/companion/letters")
    assert marker in letters and "caught by your pledge" in letters
    # Alex never received it, and the app's message tables never held it.
    assert marker not in alex.text("/messages/sam")
    assert (
        server.gateway.ctx.store.one(
            "SELECT COUNT(*) AS n FROM web_messages WHERE body LIKE ?", (f"%{marker}%",)
        )["n"]
        == 0
    )

    # A call and a text to Alex's number open the pause too; a look at the profile offers it.
    page = sam.go("/phone")
    page.fill("#call-to", "+1 415 555 0100")
    page.locator("form[action='/phone/call'] button").click()
    page.wait_for_url(re.compile(r".*/companion/pause/[0-9a-f]+$"))
    page = sam.go("/people/alex")
    page.get_by_role("button", name="Take a pause instead").click()
    page.wait_for_url(re.compile(r".*/companion/pause/[0-9a-f]+$"))
    page = sam.go("/search?q=ale")
    assert "Nobody found." in sam.text()  # the pledge keeps the profile out of reach...
    page.get_by_role("button", name="Take a pause instead").click()  # ...and offers the pause
    page.wait_for_url(re.compile(r".*/companion/pause/[0-9a-f]+$"))
    assert sam.go("/search?q=jo").get_by_role("button", name="Take a pause instead").count() == 0
    # Messages to anyone else go through as usual.
    page = sam.go("/messages/jo")
    page.fill("#body", "see you Saturday")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/messages/jo")
    assert "see you Saturday" in sam.text("/messages/jo")


def test_a_slip_keeps_progress_by_the_documented_formula(
    person_with_companion: Callable[[str], Person], server: Server
) -> None:
    """Ten pledge days with a slip on day five: nine days chosen; strength by s += a(x - s)."""
    sam = person_with_companion("Sam")
    make_pledge(sam)
    later(server, 4 * DAY, sam)
    page = sam.go("/companion/pledge")
    page.locator("summary", has_text="Log a slip").click()
    page.fill("#trigger", "an old song in a shop")
    page.fill("#helped", "walking home the long way")
    page.get_by_role("button", name="Log it").click()
    page.wait_for_url("**/companion/pledge#progress")
    later(server, 5 * DAY, sam)
    page = sam.go("/companion/pledge")
    s = 0.0
    for x in [1, 1, 1, 1, 0, 1, 1, 1, 1, 1]:
        s += ALPHA * (x - s)
    assert page.inner_text("#days-chosen") == "9"
    assert page.inner_text("#strength") == str(round(s * 100))
    assert "information, not failure" in page.inner_text("#progress")
    assert_accessible(page)
    shot(page, "companion-pledge")
    assert sam.go("/companion").inner_text("#days-chosen") == "9"
    shot(sam.page, "companion-home")


def test_ending_a_pledge_early_takes_the_cool_down(
    person_with_companion: Callable[[str], Person], server: Server
) -> None:
    """Ending early starts the engine's cool-down: the pause still opens until it has passed."""
    sam = person_with_companion("Sam")
    make_pledge(sam)
    page = sam.go("/companion/pledge")
    page.get_by_role("button", name=re.compile("End it early")).click()
    page.wait_for_url("**/companion/pledge")
    assert "after a cool-down" in sam.text()
    page = sam.go("/messages/alex")
    page.fill("#body", "still here")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r".*/companion/pause/[0-9a-f]+$"))
    server.clock.advance(server.engine.config.pledge_cooldown + 1)
    page = sam.go("/messages/alex")
    page.fill("#body", "hello again")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/messages/alex")
    assert "Earlier pledges" in sam.text("/companion/pledge")
