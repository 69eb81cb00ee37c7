"""Every companion page in a real browser: it opens, it is accessible, it links crisis support."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.web.conftest import Person, assert_accessible

from .conftest import PAGES, companion_rows, post


def test_every_companion_page_links_the_crisis_resources(
    person_with_companion: Callable[[str], Person], browser: Any
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
    # And the pages that belong to one letter or one urge.
    page = sam.go("/companion/letters/new")
    page.fill("#text", "A few words.")
    page.get_by_role("button", name="Done").click()
    page.wait_for_url("**/kindness")
    letter = page.url.removesuffix("/kindness")
    sam.go("/companion/what-now").get_by_role("button", name=re.compile("pause with me")).click()
    page.wait_for_url(re.compile(r".*/companion/pause/[0-9a-f]+$"))
    pause = page.url
    for url in (letter + "/kindness", letter, pause, pause + "/breathe", pause + "/left"):
        assert sam.page.goto(url).status == 200, url
        assert sam.page.locator("#crisis-link").get_attribute("href") == "/companion/crisis"
        assert_accessible(sam.page)
    sam.go("/companion/crisis")
    assert "988" in sam.text() and "findahelpline.com" in sam.page.content()
    # Crisis support needs no account: a visitor who is not signed in gets it too.
    context = browser.new_context()
    visitor = context.new_page()
    assert visitor.goto(sam.server.url + "/companion/crisis").status == 200
    assert "988" in visitor.inner_text("main")
    context.close()


def test_bad_input_and_forged_posts_change_nothing(
    person_with_companion: Callable[[str], Person], tmp_path: Path
) -> None:
    """Out-of-range values are refused with 400, unknown ids are 404, a post without the
    session's token is 403; no answer is a 500 and no row is written by any of them."""
    sam = person_with_companion("Sam")
    sam.go("/companion")
    before = companion_rows(tmp_path / "web.db", "sam")
    refused = {
        "/companion/checkin": {"mood": "9"},
        "/companion/self-care": {"title": "walk", "day": "tomorrow", "predicted": "3"},
        "/companion/who-am-i": {"prompt": "Tell me about them", "text": "no"},
        "/companion/hard-dates": {"label": "x", "on": "2027-02-30", "then_i_will": "y"},
        "/companion/pledge": {"who": "nobody", "label": "", "ends": ""},
        "/companion/pledge/slip": {"day": "3000-01-01"},
        "/companion/staying-safe": {"concern": "maybe"},
        "/companion/letters": {"text": "x" * 20_001},
        "/companion/delete": {"confirm": "yes"},
    }
    for path, data in refused.items():
        assert post(sam, path, data).status == 400, path
    for path in ("/companion/letters/0000", "/companion/pause/nope"):
        assert sam.page.goto(sam.server.url + path).status == 404, path
    for path, data in {
        "/companion/letters/0000/burn": {},
        "/companion/pause/nope/again": {"after": "3"},
        "/companion/pledge/end": {"id": "nope"},
    }.items():
        assert post(sam, path, data).status == 404, path
    forged = sam.page.request.post(
        sam.server.url + "/companion/letters", form={"text": "hello"}, max_redirects=0
    )
    assert forged.status == 403
    assert companion_rows(tmp_path / "web.db", "sam") == before
