"""The app's foundation in a real browser: sign-in, layout, CSP, sessions, CSRF."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .conftest import Person, Server, assert_accessible


def test_two_windows_are_two_people(people: Callable[[str], Person], browser: Any) -> None:
    """Two browser contexts sign in as two people; each page names who is signed in."""
    kim, rin = people("Kim"), people("Rin")
    assert "Kim" in kim.page.inner_text(".signout")
    assert "Rin" in rin.page.inner_text(".signout")
    assert kim.page.get_by_role("link", name="Companion").is_visible()
    assert_accessible(kim.page)


def test_pages_send_a_strict_content_security_policy(server: Server, browser: Any) -> None:
    """Every page forbids inline script and style and anything from another origin."""
    context = browser.new_context()
    page = context.new_page()
    response = page.goto(server.url + "/signin")
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    (cookie,) = context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    context.close()


def test_typing_shows_live_on_the_other_window(people: Callable[[str], Person]) -> None:
    """As Kim types to Rin, Rin's open conversation says so without a reload."""
    kim, rin = people("Kim"), people("Rin")
    rin.go("/messages/kim")
    rin.page.wait_for_timeout(400)  # the live stream is open
    kim.go("/messages/rin")
    kim.page.type("#body", "coffee?")
    rin.page.get_by_text("Kim is typing…").wait_for(timeout=5000)


def test_every_form_works_without_javascript(server: Server, browser: Any) -> None:
    """With JavaScript off, one signs in, posts, messages and sets a boundary as usual."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server.url + "/signin")
    page.get_by_role("button", name="Sign in as Kim").click()
    page.fill("#body", "written without scripts")
    page.get_by_role("button", name="Post", exact=True).click()
    assert "written without scripts" in page.inner_text("#live")
    page.goto(server.url + "/messages/rin")
    page.fill("#body", "no script needed")
    page.get_by_role("button", name="Send").click()
    assert page.locator(".line.mine .tick").last.inner_text() == "Delivered"
    page.goto(server.url + "/boundaries")
    page.select_option("#target", "lee")
    page.check("#kind-mute")
    page.get_by_role("button", name="Set boundary").click()
    assert "Mute Lee" in page.inner_text("#live")
    context.close()
