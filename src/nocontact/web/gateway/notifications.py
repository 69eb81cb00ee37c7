"""Notifications, re-checked when read.

A notification was stored only when the engine said to notify. When it is
shown, it is checked again: the engine must still let its actor ``notify``
the viewer, and a notification about a post is shown only while that post
passes ``visible`` for the viewer, so a preview never shows what the
click-through would hide.
"""

from __future__ import annotations

from dataclasses import dataclass

from nocontact.core.model import Outcome
from nocontact.web.store import Row

from .base import Context, when
from .feed import Feed
from .people import People

VERBS = {
    "follow": "followed you",
    "reply": "replied to your post",
    "repost": "reposted your post",
    "quote": "quoted your post",
    "message": "sent you a message",
    "follow_request": "asked to follow you",
}


@dataclass(frozen=True)
class Note:
    text: str
    preview: str
    url: str
    at: str
    unseen: bool


class Notifications:
    def __init__(self, ctx: Context, people: People, feed: Feed) -> None:
        self.ctx = ctx
        self.people = people
        self.feed = feed

    def _shown(self, viewer: str) -> list[tuple[Row, Note]]:
        rows = self.ctx.store.all(
            "SELECT * FROM web_notifications WHERE recipient = ? ORDER BY id DESC LIMIT 50",
            (viewer,),
        )
        out = []
        for r in rows:
            actor = str(r["actor"])
            # The viewer's own boundary toward the actor silences what the actor did
            # (its explanation is the viewer's); the actor's boundary toward the viewer
            # takes nothing back that was already shown, since that would tell.
            decision = self.ctx.engine.check(actor, "notify", viewer, viewer=viewer)
            if decision.outcome is not Outcome.DELIVER and decision.explanation is not None:
                continue
            preview, url = "", f"/people/{actor}"
            if r["post_id"] is not None:
                post = self.feed.visible_post(viewer, int(r["post_id"]))
                if post is None:
                    continue  # the click-through would hide it: so does the list
                preview, url = post.body[:120], f"/posts/{post.id}"
            elif r["kind"] == "message":
                url = f"/messages/{actor}"
            name = self.people.name_for(viewer, actor)
            text = f"{name} {VERBS.get(str(r['kind']), 'did something')}"
            out.append((r, Note(text, preview, url, when(r["at"]), not r["seen"])))
        return out

    def list(self, viewer: str) -> list[Note]:
        found = self._shown(viewer)
        self.ctx.store.run("UPDATE web_notifications SET seen = 1 WHERE recipient = ?", (viewer,))
        return [n for _, n in found]

    def unread(self, viewer: str) -> int:
        return sum(1 for _, n in self._shown(viewer) if n.unseen)
