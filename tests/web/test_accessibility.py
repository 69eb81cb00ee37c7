"""Every page passes axe-core with no serious or critical violation; the screens for the docs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .conftest import (
    Person,
    Server,
    assert_accessible,
    dial,
    post_id,
    send_message,
    set_boundary,
    shot,
)


def test_every_page_is_accessible_on_both_sides(
    server: Server, people: Callable[[str], Person], browser: Any
) -> None:
    """axe-core finds no serious or critical violation on any page, for the owner of a block,
    for its target, and signed out; keyboard users can skip to the content."""
    alex, sam = people("Alex"), people("Sam")
    set_boundary(alex, "sam", "block", keep_evidence=True)
    set_boundary(alex, "jo", "space", duration="week", note="Back next week.")
    send_message(sam, "alex", "Hello?")
    dial(sam, "+1 415 555 0100")
    pages = [
        "/feed", "/messages", "/messages/kim", "/groups/1", "/phone", "/notifications",
        "/search?q=o", "/boundaries", "/boundaries/evidence", "/boundaries/evidence/print",
        "/settings", "/people/kim", "/people/sam", "/posts/3", "/companion", "/nowhere",
    ]  # fmt: skip
    for path in pages:
        alex.go(path)
        assert_accessible(alex.page)
    for path in ("/feed", "/messages/alex", "/people/alex", "/phone", "/search?q=a"):
        sam.go(path)
        assert_accessible(sam.page)
    context = browser.new_context()
    page = context.new_page()
    for path in ("/signin", "/signup"):
        page.goto(server.url + path)
        assert_accessible(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    context.close()


def test_screens_of_both_sides(
    server: Server, people: Callable[[str], Person], browser: Any
) -> None:
    """The screens shown in the README and the tour, taken from the running app."""
    alex, sam = people("Alex"), people("Sam")
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.goto(server.url + "/signin")
    shot(page, "01-sign-in")
    context.close()
    set_boundary(alex, "sam", "block", keep_evidence=True)
    send_message(sam, "alex", "Why aren't you answering?")
    shot(sam.page, "02-sender-sees-delivered")
    sam.go("/feed")
    shot(sam.page, "03-sender-feed-without-alex")
    sam.go("/people/alex")
    shot(sam.page, "04-sender-sees-limited-profile")
    dial(sam, "+1 415 555 0100", "sms", "Call me back")
    alex.go("/boundaries")
    shot(alex.page, "05-owner-boundaries")
    alex.go("/boundaries/evidence")
    shot(alex.page, "06-owner-evidence-sealed")
    alex.go("/messages")
    shot(alex.page, "07-owner-group-warning")
    alex.go(f"/posts/{post_id(server, 'Climbing gym')}")
    shot(alex.page, "08-owner-placeholder")
    set_boundary(alex, "jo", "space", duration="week", note="I need a week to think.")
    jo = people("Jo")
    shot(jo.page, "09-space-told-once")
    dial(sam, "+1 415 555 0177")
    rin = people("Rin")
    rin.go("/phone")
    shot(rin.page, "10-phone-ringing")
    small = browser.new_context(viewport={"width": 390, "height": 800})
    phone = Person(server, small, "Kim")
    phone.go("/signin")
    phone.page.get_by_role("button", name="Sign in as Kim").click()
    phone.page.wait_for_url("**/feed")
    shot(phone.page, "11-narrow-screen")
    small.close()


def test_the_accessibility_check_can_fail(server: Server, people: Callable[[str], Person]) -> None:
    """The axe check is real: an image without a text alternative is reported as critical."""
    from .conftest import axe_violations

    kim = people("Kim")
    kim.page.evaluate(
        "document.querySelector('main').appendChild(document.createElement('img')).src ="
        " '/static/none.png'"
    )
    assert "image-alt" in [v["id"] for v in axe_violations(kim.page)]
