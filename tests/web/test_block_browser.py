"""A silent block, seen from both sides in two browser windows.

Alex blocks Sam. Sam follows Kim and Jo, who reposted and quoted Alex.
"""

from __future__ import annotations

from collections.abc import Callable

from .conftest import Person, Server, dial, post_id, send_message, set_boundary

ALEX_POST = "Patience is a vegetable"
JO_QUOTE = "Alex runs in any weather"


def test_silent_block_looks_like_privacy_settings(
    server: Server, people: Callable[[str], Person]
) -> None:
    """Sam's message looks delivered and unread, his call rings out, Alex sees neither;
    each one's posts vanish for the other, and so do Kim's repost and Jo's quote of Alex."""
    alex, sam, lee = people("Alex"), people("Sam"), people("Lee")
    before = sam.text("/feed")
    assert ALEX_POST in before and JO_QUOTE in before and "Kim reposted" in before
    # Lee turns read receipts off: the ordinary setting a silent block must look like.
    lee.go("/settings")
    lee.page.uncheck("#read_receipts")
    lee.page.get_by_role("button", name="Save").click()

    set_boundary(alex, "sam", "block")
    assert "Block" in alex.text("/boundaries") and "Sam" in alex.text()

    to_alex = send_message(sam, "alex", "Are you ignoring me?")
    to_lee = send_message(sam, "lee", "Are you there?")
    assert to_alex == to_lee == "Delivered"
    alex.go("/messages/sam")
    lee.go("/messages/sam")  # Lee reads it; with receipts off, Sam still sees Delivered
    sam.go("/messages/alex")
    assert sam.page.locator(".line.mine .tick").last.inner_text() == "Delivered"
    assert send_message(sam, "lee", "ok") == "Delivered"
    assert "Are you ignoring me?" not in alex.text("/messages")
    assert "Are you ignoring me?" not in alex.text("/messages/sam")
    assert "Are you ignoring me?" not in alex.text("/notifications")

    # The call rings out for Sam, exactly as an unanswered one; Alex's phone never rings.
    assert dial(sam, "+1 415 555 0100") == "Ringing…"
    assert "Sam" not in alex.text("/phone")
    server.clock.advance(31)
    assert sam.text("/phone").count("No answer") == 1

    # Each one's posts vanish for the other, and the friends' repost and quote of Alex.
    after = sam.text("/feed")
    assert ALEX_POST not in after and JO_QUOTE not in after and "Kim reposted" not in after
    assert "Sourdough" not in alex.text("/feed")
    profile = sam.text("/people/alex")
    assert "Alex" in profile and ALEX_POST not in profile and "Oakland" not in profile
    # Alex alone sees why something is missing: Sam's reply on Jo's post.
    alex.go(f"/posts/{post_id(server, 'Climbing gym')}")
    assert "hidden: you blocked" in alex.text()
    assert "Sam" in alex.text() or "sam" in alex.text()


def test_block_reaches_an_open_page_live(server: Server, people: Callable[[str], Person]) -> None:
    """With Sam's feed open, Alex's block takes Alex's posts off it without a reload."""
    alex, sam = people("Alex"), people("Sam")
    sam.go("/feed")
    posts = sam.page.locator("#live").get_by_text(ALEX_POST)
    assert posts.count() >= 1
    sam.page.wait_for_timeout(500)  # the live stream is open
    set_boundary(alex, "sam", "block")
    posts.first.wait_for(state="detached", timeout=5000)
    assert ALEX_POST not in sam.page.inner_text("#live")
    assert sam.page.url.endswith("/feed")


def test_quiet_lift_with_restore_brings_follows_back(
    server: Server, people: Callable[[str], Person]
) -> None:
    """Lifting with restore brings back both follows the block removed; nobody is notified."""
    alex, sam = people("Alex"), people("Sam")
    notes_before = sam.text("/notifications")
    set_boundary(alex, "sam", "block")
    assert ALEX_POST not in sam.text("/feed")
    alex.go("/boundaries")
    alex.page.check("input[name=restore]")
    alex.page.get_by_role("button", name="Lift quietly").click()
    text = alex.text("/boundaries")
    assert "No boundaries in force." in text and "lifted" in text
    assert ALEX_POST in sam.text("/feed")
    assert "Sourdough" in alex.text("/feed")
    assert "Unfollow" in sam.text("/people/alex") and "Follows you" in sam.text()
    assert sam.text("/notifications") == notes_before


def test_unavailable_block_says_cannot_be_reached(
    server: Server, people: Callable[[str], Person]
) -> None:
    """A block disclosed as unavailable shows the sender "Can't be reached", and nothing more."""
    alex, sam = people("Alex"), people("Sam")
    set_boundary(alex, "sam", "block", disclosure="unavailable")
    assert send_message(sam, "alex", "Hello?") == "Can't be reached"
    assert "blocked" not in sam.text().lower()


def test_block_covers_a_newly_linked_number(
    server: Server, people: Callable[[str], Person]
) -> None:
    """A block set everywhere covers a number Sam links after it: his texts from it never land."""
    alex, sam = people("Alex"), people("Sam")
    set_boundary(alex, "sam", "block")
    sam.go("/settings")
    sam.page.fill("#number", "+1 415 555 0199")
    sam.page.get_by_role("button", name="Add number").click()
    assert "+14155550199" in sam.text("/settings")
    status = dial(sam, "+1 415 555 0100", "sms", "It's me, new number", source="+14155550199")
    assert status == "Delivered"
    assert "new number" not in alex.text("/phone")
    assert dial(sam, "+1 415 555 0100", source="+14155550199") == "Ringing…"
    assert "0199" not in alex.text("/phone")


def test_mute_goes_unnoticed(server: Server, people: Callable[[str], Person]) -> None:
    """Kim mutes Lee: Lee's posts leave Kim's feed, his messages arrive quietly;
    everything Lee sees stays exactly as it was."""
    kim, lee = people("Kim"), people("Lee")
    pages = ["/notifications", "/feed", "/people/kim", "/messages/kim", "/search?q=kim"]
    before = {p: lee.text(p) for p in pages}
    assert "Kettle on" in kim.text("/feed")
    set_boundary(kim, "lee", "mute")
    assert {p: lee.text(p) for p in pages} == before
    assert send_message(lee, "kim", "Tea later?") == "Delivered"
    assert "Kettle on" not in kim.text("/feed")
    assert "Kettle on" in kim.text("/people/lee")  # still one tap away
    assert "Tea later?" in kim.text("/messages/lee")
    assert "Lee sent you a message" not in kim.text("/notifications")


def test_group_warning_for_the_owner_only(server: Server, people: Callable[[str], Person]) -> None:
    """Alex is warned that the climbing group holds Sam, whom Alex blocked; Sam sees no warning."""
    alex, sam = people("Alex"), people("Sam")
    set_boundary(alex, "sam", "block")
    warning = alex.page.locator(".warning").first
    text = alex.text("/messages")
    assert "Sam, whom you blocked, is in the group Saturday climbing." in text
    assert warning.is_visible()
    assert "blocked" not in sam.text("/messages").lower()
    assert "blocked" not in sam.text("/groups/1").lower()


def test_evidence_archive_sealed_openable_exportable(
    server: Server, people: Callable[[str], Person]
) -> None:
    """What Sam sends after a keep-evidence block is sealed for Alex, opened and exported."""
    alex, sam = people("Alex"), people("Sam")
    set_boundary(alex, "sam", "block", keep_evidence=True)
    assert send_message(sam, "alex", "You can't hide forever") == "Delivered"
    dial(sam, "+1 415 555 0100", "sms", "Answer me")
    dial(sam, "+1 415 555 0100")
    page = alex.go("/boundaries/evidence")
    assert page.locator(".sealed").count() == 3
    assert "You can't hide forever" not in alex.text()
    page.get_by_role("button", name="Open the archive").click()
    text = alex.text()
    assert "You can't hide forever" in text and "Answer me" in text
    exported = page.request.get(server.url + "/boundaries/evidence.json").json()
    assert [i["body"] for i in exported["items"]][:2] == ["You can't hide forever", "Answer me"]
    assert "Answer me" in alex.text("/boundaries/evidence/print")
    assert "hide forever" not in alex.text("/messages")
