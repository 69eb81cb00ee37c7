"""Posts, replies, reposts and quotes, and the feed that shows them.

Every list of posts passes ``visible`` (each item names everyone it carries:
the author, the reposter, the quoted author, the reply's parent), and a page
that loses items to it is refilled from older posts until it holds a full
page, so a hidden item never leaves a short page behind. The owner of a
boundary sees a placeholder that explains itself ("hidden: you blocked
Sam"); anyone else never learns an item was there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nocontact.core.model import Item, Outcome
from nocontact.web.store import Row

from .base import Context, when
from .people import People

PAGE = 20
BODY_LIMIT = 500


@dataclass
class Post:
    id: int
    author: str
    author_name: str
    body: str
    at: str
    kind: str = "post"  # post | reply | repost | quote
    reposter: str = ""
    reposter_name: str = ""
    parent_name: str = ""
    parent_id: int | None = None
    quoted: Post | None = None
    mine: bool = False


@dataclass
class Placeholder:
    """An item hidden by the viewer's own boundary, explained to them alone."""

    reason: str
    kind: str = "placeholder"


@dataclass
class Page:
    entries: list[Post | Placeholder]
    older: int | None = None


@dataclass
class Thread:
    post: Post
    replies: list[Post | Placeholder] = field(default_factory=list)


class Feed:
    def __init__(self, ctx: Context, people: People) -> None:
        self.ctx = ctx
        self.people = people

    # -- writing ---------------------------------------------------------------------

    def post(self, author: str, body: str, *, ago: float = 0.0) -> int:
        """A new post (``ago`` seconds in the past: the demo's history)."""
        ctx = self.ctx
        post = ctx.store.insert(
            "INSERT INTO web_posts (author, body, at) VALUES (?, ?, ?)",
            (author, body, ctx.now() - max(0.0, ago)),
        )
        ctx.live.changed()
        return post

    def respond(self, actor: str, kind: str, post_id: int, body: str = "") -> str | None:
        """A reply, repost or quote of a post, as the engine allows; None if there is no such post.

        Returns what the actor is shown. A response the engine drops is kept for
        its author alone, as a silent block must look (their own view unchanged).
        """
        ctx = self.ctx
        target = self._row(post_id)
        if target is None or not self._may_see(actor, target):
            return None
        decision = ctx.decide(actor, kind, str(target["author"]))
        if decision.outcome not in (Outcome.ALLOW, Outcome.DROP):
            return decision.actor_sees.value
        column = {"reply": "reply_to", "repost": "repost_of", "quote": "quote_of"}[kind]
        with ctx.store.transaction():
            new = ctx.store.insert(
                f"INSERT INTO web_posts (author, body, at, {column}, hidden_from_parent)"
                " VALUES (?, ?, ?, ?, ?)",
                (actor, body, ctx.now(), post_id, int(decision.outcome is Outcome.DROP)),
            )
            if decision.outcome is Outcome.ALLOW and decision.notify:
                ctx.store.run(
                    "INSERT INTO web_notifications (recipient, actor, kind, post_id, at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (target["author"], actor, kind, new, ctx.now()),
                )
        ctx.live.changed()
        return decision.actor_sees.value

    # -- reading -----------------------------------------------------------------------

    def _row(self, post_id: int) -> Row | None:
        return self.ctx.store.one("SELECT * FROM web_posts WHERE id = ?", (post_id,))

    def _item(self, row: Row) -> Item:
        """The engine's view of a post: everyone it carries."""
        r: dict[str, object] = dict(row)
        author = str(r["author"])
        if r["repost_of"] is not None:
            original = self._row(int(str(r["repost_of"])))
            inner = self._item(original) if original is not None else None
            return Item(
                str(r["id"]),
                inner.author if inner else author,
                reposted_by=author,
                quoted=inner.quoted if inner else None,
                reply_to=inner.reply_to if inner else None,
            )
        quoted = reply_to = None
        if r["quote_of"] is not None:
            original = self._row(int(str(r["quote_of"])))
            quoted = str(original["author"]) if original is not None else None
        if r["reply_to"] is not None:
            parent = self._row(int(str(r["reply_to"])))
            reply_to = str(parent["author"]) if parent is not None else None
        return Item(str(r["id"]), author, quoted=quoted, reply_to=reply_to)

    def _may_see(self, viewer: str, row: Row) -> bool:
        if row["hidden_from_parent"] and row["author"] != viewer:
            return False
        item = self._item(row)
        if self.ctx.engine.visible(viewer, [item])[0].outcome is not Outcome.SHOW:
            return False
        return not self._private(viewer, item)

    def _private(self, viewer: str, item: Item, known: dict[str, bool] | None = None) -> bool:
        """Whether the item carries a private account the viewer does not follow."""
        known = {} if known is None else known
        for person in item.carried():
            if person not in known:
                known[person] = self.people.private_to(viewer, person)
            if known[person]:
                return True
        return False

    def _post(self, viewer: str, row: Row, *, depth: int = 0) -> Post:
        r: dict[str, object] = dict(row)
        author = str(r["author"])
        name = self.people.name_for(viewer, author)
        at = when(float(str(r["at"])))
        if r["repost_of"] is not None:
            original = self._row(int(str(r["repost_of"])))
            if original is not None:
                inner = self._post(viewer, original, depth=depth)
                inner.kind, inner.reposter, inner.reposter_name = "repost", author, name
                return inner
        post = Post(int(str(r["id"])), author, name, str(r["body"]), at, mine=author == viewer)
        if r["reply_to"] is not None:
            parent = self._row(int(str(r["reply_to"])))
            if parent is not None:
                post.kind, post.parent_id = "reply", int(str(r["reply_to"]))
                post.parent_name = self.people.name_for(viewer, str(parent["author"]))
        if r["quote_of"] is not None and depth < 1:
            original = self._row(int(str(r["quote_of"])))
            if original is not None:
                post.kind = "quote"
                post.quoted = self._post(viewer, original, depth=depth + 1)
        return post

    def _filtered(
        self, viewer: str, rows: list[Row], *, on_profile: str | None = None
    ) -> list[Post | Placeholder]:
        return [e for e in self._each(viewer, rows, on_profile) if e is not None]

    def page(self, viewer: str, before: int | None = None, size: int = PAGE) -> Page:
        """The viewer's feed: their own posts and those of people they follow, newest first."""
        sources = [viewer, *self.people.followees(viewer)]
        marks = ",".join("?" * len(sources))
        return self._refilled(
            viewer,
            f"SELECT * FROM web_posts WHERE author IN ({marks}) AND reply_to IS NULL"
            " AND id < ? ORDER BY id DESC LIMIT ?",
            sources,
            before,
            size,
        )

    def by_author(
        self, viewer: str, author: str, before: int | None = None, size: int = PAGE
    ) -> Page:
        return self._refilled(
            viewer,
            "SELECT * FROM web_posts WHERE author = ? AND id < ? ORDER BY id DESC LIMIT ?",
            [author],
            before,
            size,
            on_profile=author,
        )

    def _refilled(
        self,
        viewer: str,
        sql: str,
        params: list[str],
        before: int | None,
        size: int,
        on_profile: str | None = None,
    ) -> Page:
        """Read batches until ``size`` items are shown or the posts run out."""
        cursor = before if before is not None else 2**62
        entries: list[Post | Placeholder] = []
        shown = 0
        while shown < size:
            rows: list[Row] = list(self.ctx.store.all(sql, (*params, cursor, size * 2)))
            if not rows:
                return Page(entries, None)
            for row, kept in zip(rows, self._each(viewer, rows, on_profile), strict=True):
                cursor = int(row["id"])
                if kept is None:
                    continue
                entries.append(kept)
                if isinstance(kept, Post):
                    shown += 1
                    if shown == size:
                        break
            if len(rows) < size * 2 and shown < size:
                return Page(entries, None)
        return Page(entries, cursor)

    def _each(
        self, viewer: str, rows: list[Row], on_profile: str | None
    ) -> list[Post | Placeholder | None]:
        """One entry per row, in order: the post, the owner's placeholder, or None.

        The viewer's own boundaries leave a placeholder that explains itself;
        anyone else's leave no trace at all.
        """
        items = [self._item(r) for r in rows]
        verdicts = self.ctx.engine.visible(viewer, items)
        known: dict[str, bool] = {}
        out: list[Post | Placeholder | None] = []
        for row, item, verdict in zip(rows, items, verdicts, strict=True):
            if row["hidden_from_parent"] and row["author"] != viewer:
                out.append(None)  # a reply the engine dropped: its author's alone
            elif verdict.outcome is Outcome.SHOW:
                # Shown by the engine; a private account's own setting may still keep it.
                private = self._private(viewer, item, known)
                out.append(None if private else self._post(viewer, row))
            elif verdict.explanation is None or verdict.explanation.owner != viewer:
                out.append(None)
            elif on_profile is not None and verdict.explanation.kind.value == "mute":
                out.append(self._post(viewer, row))  # muted: off feeds, still on the profile
            else:
                out.append(Placeholder(f"hidden: {verdict.explanation.reason}"))
        return out

    def thread(self, viewer: str, post_id: int) -> Thread | None:
        row = self._row(post_id)
        if row is None or not self._may_see(viewer, row):
            return None
        replies = self.ctx.store.all(
            "SELECT * FROM web_posts WHERE reply_to = ? ORDER BY id", (post_id,)
        )
        return Thread(self._post(viewer, row), self._filtered(viewer, list(replies)))

    def visible_post(self, viewer: str, post_id: int) -> Post | None:
        row = self._row(post_id)
        if row is None or not self._may_see(viewer, row):
            return None
        return self._post(viewer, row)
