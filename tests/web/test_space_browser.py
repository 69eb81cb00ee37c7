"""A space, said out loud: told once, held on time, delivered or discarded as chosen."""

from __future__ import annotations

from collections.abc import Callable

from .conftest import Person, Server, send_message, set_boundary

WEEK = 7 * 86400.0
NOTE = "I need a week to think. I'll write after."


def test_space_for_a_week_with_a_note(server: Server, people: Callable[[str], Person]) -> None:
    """Jo is told once, with Alex's note and the end date; Jo's messages wait; when the
    clock passes the end, they arrive for Alex and Jo's tick turns to Delivered."""
    alex, jo = people("Alex"), people("Jo")
    set_boundary(alex, "jo", "space", duration="week", note=NOTE, on_end="deliver")
    notice = jo.page.locator(".notice")  # Jo's open feed shows it live
    notice.wait_for(timeout=5000)
    first = notice.inner_text()
    assert NOTE in first and "Alex asked for some space until" in first
    assert NOTE not in jo.text("/feed")  # once
    tick = send_message(jo, "alex", "I understand. Take care.")
    assert tick.startswith("Held until")
    assert "Take care" not in alex.text("/messages/jo")
    server.clock.advance(WEEK - 60)
    assert "Take care" not in alex.text("/messages/jo")
    server.clock.advance(61)
    assert "Take care" in alex.text("/messages/jo")
    jo.go("/messages/alex")
    assert jo.page.locator(".line.mine .tick").last.inner_text() in ("Delivered", "Read")
    assert "expired" in alex.text("/boundaries")


def test_space_that_discards_at_the_end(server: Server, people: Callable[[str], Person]) -> None:
    """A space set to discard: at the end, held messages never arrive, and the sender is told."""
    alex, jo = people("Alex"), people("Jo")
    set_boundary(alex, "jo", "space", duration="day", on_end="discard")
    send_message(jo, "alex", "Just one thing")
    server.clock.advance(86401)
    assert "Just one thing" not in alex.text("/messages/jo")
    jo.go("/messages/alex")
    assert jo.page.locator(".line.mine .tick").last.inner_text() == "Not delivered: the space ended"
