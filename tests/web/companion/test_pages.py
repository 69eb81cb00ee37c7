"""Every companion page in a real browser: it opens, it is accessible, it links crisis support."""

from __future__ import annotations

from collections.abc import Callable

from tests.web.conftest import Person, assert_accessible, shot

from .conftest import PAGES


def test_every_companion_page_links_the_crisis_resources(
    person_with_companion: Callable[[str], Person],
) -> None:
    """Each page opens (200), names crisis support in the same place, and passes axe."""
    sam = person_with_companion("Sam")
    for path in PAGES:
        response = sam.page.goto(sam.server.url + path)
        assert response.status == 200, path
        link = sam.page.locator("#crisis-link")
        assert link.get_attribute("href") == "/companion/crisis", path
        assert link.is_visible(), path
        assert_accessible(sam.page)
    shot(sam.go("/companion"), "companion-home")
    sam.go("/companion/crisis")
    assert "988" in sam.text() and "findahelpline.com" in sam.page.content()
