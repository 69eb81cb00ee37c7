"""No circumvention, checked by a crawl: a blocked person's companion shows nothing new.

Sam keeps a companion (a pledge toward Alex, letters, a check-in, see less,
a friend). Every companion page and endpoint is read in three worlds: Alex
has set no boundary; Alex blocked Sam silently (and then changed name, posted
and came online); Alex blocked Sam as ``unavailable``. The pages must be the
same in all three, byte for byte once the session's CSRF token is set aside:
nothing about Alex that Sam could not already see (no presence, last seen,
profile change, "unblocked", other channel), and no trace of the block.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from nocontact.companion.pages import Companion
from tests.web.companion.conftest import PAGES
from tests.web.conftest import Person, Server

ENDPOINTS = ("/companion/export.json", "/companion/export.md")
#: Presence, profile views and changes, "unblocked", and any suggestion of another way in.
#: (What now? names other channels only to say: don't.)
FORBIDDEN = re.compile(
    r"online|last seen|active now|typing|unblock|blocked you|has seen|viewed your|location"
    r"|Alexandra|try (another|a new|a different)|(make|create|open) a new account"
    r"|reach (them|her|him) (through|via)|ask a (mutual )?friend to",
    re.I,
)


def crawl(sam: Person, companion: Companion, extra: tuple[str, ...]) -> dict[str, str]:
    """Every companion page (its companion part) and endpoint, as Sam gets them."""
    seen: dict[str, str] = {}
    for path in (*PAGES, *extra):
        sam.go(path)
        html = sam.page.inner_html(".companion")
        seen[path] = re.sub(r'name="csrf" value="[^"]+"', 'name="csrf"', html)
    for path in ENDPOINTS:
        seen[path] = sam.page.request.get(sam.server.url + path).text()
    # An attempt to message Alex: the same pause, whatever Alex has set.
    page = sam.go("/messages/alex")
    page.fill("#body", "just checking")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r".*/companion/pause/[0-9a-f]+$"))
    seen["pause"] = re.sub(
        r'name="csrf" value="[^"]+"|/companion/(pause|letters)/[0-9a-f]+',
        "",
        page.inner_html(".companion"),
    )
    # Leave, then burn the draft so that the next world starts where this one did.
    page.locator(".lead a").click()
    page.get_by_role("button", name="Burn it").click()
    page.wait_for_url("**/companion/letters")
    store = companion.keyring.store
    for row in store.rows("sam", "urge"):
        store.delete("sam", "urge", row.id)
    return seen


def test_a_blocked_persons_companion_carries_nothing_new(
    person_with_companion: Callable[[str], Person], server: Server, companion: Companion
) -> None:
    """Silent or unavailable, a block changes nothing on any of Sam's companion pages."""
    sam, alex = person_with_companion("Sam"), person_with_companion("Alex")
    page = sam.go("/companion/pledge")
    page.select_option("#who", "alex")
    page.get_by_role("button", name="Make my pledge").click()
    page = sam.go("/companion/letters/new")
    page.fill("#text", "I wonder how the garden is doing.")
    page.get_by_role("button", name="Done").click()
    page = sam.go("/companion/see-less")
    page.select_option("#who", "alex")
    page.get_by_role("button", name="See less").click()
    page = sam.go("/companion/not-okay")
    page.fill("#name", "Jo")
    page.get_by_role("button", name="Add").click()
    sam.go("/companion")
    letter = sam.go("/companion/letters").locator("ul.letters a").first.get_attribute("href")
    extra = (letter, f"{letter}/kindness")

    before = crawl(sam, companion, extra)
    assert "Alex" in before["/companion/pledge"]  # the crawl sees the pledge at all

    block = server.engine.set_boundary("alex", "sam", "block")
    server.gateway.sync.run()  # the app's view of the block begins (a frozen profile)
    server.gateway.people.rename("alex", "Alexandra")
    server.gateway.feed.post("alex", "New name, new garden.")
    alex.go("/feed")  # Alex is online now
    silent = crawl(sam, companion, extra)

    server.gateway.people.rename("alex", "Alex")  # as Sam last saw it, before the next block
    server.engine.lift(block.id)
    server.engine.set_boundary("alex", "sam", "block", disclosure="unavailable")
    server.gateway.sync.run()
    server.gateway.people.rename("alex", "Alexandra")
    alex.go("/messages")
    unavailable = crawl(sam, companion, extra)

    for path, html in before.items():
        assert silent[path] == html, f"{path} changed when Alex blocked Sam silently"
        assert unavailable[path] == html, f"{path} changed under an unavailable block"
        for world in (before, silent, unavailable):
            found = FORBIDDEN.search(world[path])
            assert found is None, f"{path} says {found.group(0) if found else ''!r}"
