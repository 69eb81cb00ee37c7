"""Direct messages and group chats.

Sending asks the engine ``message`` once per recipient and stores the fate it
decides (delivered, quietly, into requests, held, diverted, dropped) and what
the sender may be shown (``actor_sees``, rendered as given). Reading shows a
recipient only what reached them; the sender's tick turns to "Read" only
when the engine shows the reader's ``read_receipt`` and the reader sends them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nocontact.core.model import Outcome
from nocontact.web.store import Row

from .base import Context, fate_of, when
from .people import People

#: Fates after which a recipient sees the message.
SEEN_BY_RECIPIENT = ("delivered", "quiet", "request")
BODY_LIMIT = 2000


def dm(a: str, b: str) -> str:
    first, second = sorted((a, b))
    return f"dm:{first}:{second}"


@dataclass(frozen=True)
class Line:
    mine: bool
    author: str
    body: str
    at: str
    tick: str = ""


@dataclass(frozen=True)
class Conversation:
    key: str
    url: str
    title: str
    preview: str
    unread: int


@dataclass
class Thread:
    key: str
    title: str
    lines: list[Line]
    typing: list[str]
    members: list[str] = field(default_factory=list)
    warning: str = ""
    notice: str = ""


TICKS = {
    "delivered": "Delivered",
    "sent": "Sent",
    "normal": "Delivered",
    "unavailable": "Can't be reached",
    "space": "Held: they asked for space",
    "pledge": "Kept in your journal (your pledge)",
    "you_blocked": "Not sent: you blocked them",
    "discarded": "Not delivered: the space ended",
}


class Messages:
    def __init__(self, ctx: Context, people: People) -> None:
        self.ctx = ctx
        self.people = people

    # -- sending -------------------------------------------------------------------

    def send(self, sender: str, peer: str, body: str) -> str:
        """A direct message; returns what the sender is shown."""
        return self._send(sender, dm(sender, peer), [peer], body)

    def send_group(self, sender: str, group: int, body: str) -> str:
        members = [m for m in self.members(group) if m != sender]
        return self._send(sender, f"group:{group}", members, body)

    def _send(self, sender: str, conversation: str, recipients: list[str], body: str) -> str:
        ctx = self.ctx
        now = ctx.now()
        decisions = {r: ctx.decide(sender, "message", r) for r in recipients}
        # One recipient: the sender sees that decision. A group: the strictest
        # of the sender's own boundaries shows; others look delivered.
        sees = "delivered"
        until = None
        if len(recipients) == 1:
            only = decisions[recipients[0]]
            sees, until = only.actor_sees.value, only.until
        else:
            own = [d for d in decisions.values() if d.actor_sees.value in ("pledge", "you_blocked")]
            if own:
                sees = own[0].actor_sees.value
        with ctx.store.transaction():
            message = ctx.store.insert(
                "INSERT INTO web_messages (sender, conversation, body, at, sender_sees, until)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (sender, conversation, body, now, sees, until),
            )
            for recipient, decision in decisions.items():
                fate = fate_of(decision)
                ctx.store.run(
                    "INSERT INTO web_deliveries (message_id, recipient, fate, at)"
                    " VALUES (?, ?, ?, ?)",
                    (message, recipient, fate, now if fate in SEEN_BY_RECIPIENT else None),
                )
                if decision.evidence:
                    ctx.store.run(
                        "INSERT INTO web_evidence (owner, sender, channel, body, at)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (recipient, sender, "message", body, now),
                    )
                if decision.outcome is Outcome.DELIVER and decision.notify:
                    ctx.store.run(
                        "INSERT INTO web_notifications (recipient, actor, kind, at)"
                        " VALUES (?, ?, 'message', ?)",
                        (recipient, sender, now),
                    )
        ctx.live.changed()
        return sees

    # -- reading ---------------------------------------------------------------------

    def conversations(self, viewer: str) -> list[Conversation]:
        rows = self.ctx.store.all(
            "SELECT m.conversation, MAX(m.id) AS last FROM web_messages m"
            " LEFT JOIN web_deliveries d ON d.message_id = m.id AND d.recipient = ?"
            " WHERE (m.sender = ? OR d.fate IN ('delivered', 'quiet'))"
            " GROUP BY m.conversation ORDER BY last DESC",
            (viewer, viewer),
        )
        found = [self._conversation(viewer, str(r["conversation"])) for r in rows]
        keys = {c.key for c in found}
        for group in self.groups(viewer):  # groups with no message yet are listed too
            key = f"group:{group}"
            if key not in keys:
                found.append(self._conversation(viewer, key))
        return found

    def requests(self, viewer: str) -> list[Conversation]:
        """Message requests: restricted senders land here, without a notification."""
        rows = self.ctx.store.all(
            "SELECT DISTINCT m.conversation FROM web_messages m JOIN web_deliveries d"
            " ON d.message_id = m.id WHERE d.recipient = ? AND d.fate = 'request'",
            (viewer,),
        )
        return [self._conversation(viewer, str(r["conversation"])) for r in rows]

    def _conversation(self, viewer: str, key: str) -> Conversation:
        lines = self._lines(viewer, key)
        unread = self.ctx.store.one(
            "SELECT COUNT(*) AS n FROM web_deliveries d JOIN web_messages m ON m.id = d.message_id"
            " WHERE m.conversation = ? AND d.recipient = ? AND d.read_at IS NULL"
            " AND d.fate IN ('delivered', 'quiet', 'request')",
            (key, viewer),
        )
        preview = lines[-1].body if lines else ""
        return Conversation(
            key,
            self._url(viewer, key),
            self._title(viewer, key),
            preview[:80],
            int(unread["n"]) if unread is not None else 0,
        )

    def _url(self, viewer: str, key: str) -> str:
        if key.startswith("group:"):
            return f"/groups/{key.removeprefix('group:')}"
        a, b = key.removeprefix("dm:").split(":")
        return f"/messages/{b if a == viewer else a}"

    def _title(self, viewer: str, key: str) -> str:
        if key.startswith("group:"):
            row = self.ctx.store.one(
                "SELECT name FROM web_groups WHERE id = ?", (int(key.removeprefix("group:")),)
            )
            return str(row["name"]) if row is not None else "Group"
        a, b = key.removeprefix("dm:").split(":")
        return self.people.name_for(viewer, b if a == viewer else a)

    def _lines(self, viewer: str, key: str) -> list[Line]:
        rows = self.ctx.store.all(
            "SELECT m.*, d.fate AS my_fate FROM web_messages m LEFT JOIN web_deliveries d"
            " ON d.message_id = m.id AND d.recipient = ? WHERE m.conversation = ?"
            " AND (m.sender = ? OR d.fate IN ('delivered', 'quiet', 'request')) ORDER BY m.id",
            (viewer, key, viewer),
        )
        lines = []
        for row in rows:
            mine = row["sender"] == viewer
            tick = self._tick(row) if mine else ""
            author = "You" if mine else self.people.name_for(viewer, str(row["sender"]))
            lines.append(Line(mine, author, str(row["body"]), when(row["at"]), tick))
        return lines

    def _tick(self, r: Row) -> str:
        """What the sender sees: the engine's ``actor_sees``, turned to Read when shown."""
        sees = str(r["sender_sees"])
        key = str(r["conversation"])
        if sees == "space" and r["until"] is not None:
            return f"Held until {when(r['until'])}"
        if sees == "delivered" and key.startswith("dm:"):
            sender = str(r["sender"])
            read = self.ctx.store.one(
                "SELECT recipient, read_at FROM web_deliveries WHERE message_id = ?",
                (r["id"],),
            )
            if read is not None and read["read_at"] is not None:
                reader = str(read["recipient"])
                shown = self.ctx.decide(sender, "read_receipt", reader).outcome is Outcome.SHOW
                if shown and self.people.settings(reader).read_receipts:
                    return "Read"
        return TICKS.get(sees, "Delivered")

    def thread(self, viewer: str, peer: str) -> Thread:
        key = dm(viewer, peer)
        return Thread(
            key,
            self.people.name_for(viewer, peer),
            self._lines(viewer, key),
            self.people.typing(viewer, key),
        )

    def mark_read(self, viewer: str, key: str) -> None:
        changed = self.ctx.store.run(
            "UPDATE web_deliveries SET read_at = ? WHERE recipient = ? AND read_at IS NULL"
            " AND fate IN ('delivered', 'quiet', 'request') AND message_id IN"
            " (SELECT id FROM web_messages WHERE conversation = ?)",
            (self.ctx.now(), viewer, key),
        )
        del changed

    def typing(self, viewer: str, key: str) -> None:
        """A typing signal, only into a conversation the viewer is part of."""
        if key.startswith("dm:"):
            member = viewer in key.removeprefix("dm:").split(":")
        else:
            group = key.removeprefix("group:")
            member = group.isdigit() and len(group) < 18 and viewer in self.members(int(group))
        if member:
            self.ctx.live.start_typing(viewer, key, self.ctx.now())

    # -- groups ------------------------------------------------------------------------

    def groups(self, viewer: str, status: str = "member") -> list[int]:
        rows = self.ctx.store.all(
            "SELECT group_id FROM web_group_members WHERE person = ? AND status = ?",
            (viewer, status),
        )
        return [int(r["group_id"]) for r in rows]

    def members(self, group: int, status: str = "member") -> list[str]:
        rows = self.ctx.store.all(
            "SELECT person FROM web_group_members WHERE group_id = ? AND status = ?"
            " ORDER BY person",
            (group, status),
        )
        return [str(r["person"]) for r in rows]

    def create_group(self, creator: str, name: str, invitees: list[str]) -> int:
        """A group; each invitee is invited as the engine allows ``group_add``."""
        ctx = self.ctx
        group = ctx.store.insert(
            "INSERT INTO web_groups (name, created_by, created) VALUES (?, ?, ?)",
            (name, creator, ctx.now()),
        )
        ctx.store.run(
            "INSERT INTO web_group_members (group_id, person, status) VALUES (?, ?, 'member')",
            (group, creator),
        )
        for person in invitees:
            self.add_member(creator, group, person)
        return group

    def add_member(self, adder: str, group: int, person: str) -> str:
        """An invitation, as the engine allows ``group_add``; the person joins or not."""
        decision = self.ctx.decide(adder, "group_add", person)
        if decision.outcome is Outcome.ALLOW:
            self.ctx.store.run(
                "INSERT INTO web_group_members (group_id, person, status)"
                " VALUES (?, ?, 'invited') ON CONFLICT DO NOTHING",
                (group, person),
            )
        self.ctx.live.changed()
        return decision.actor_sees.value

    def join(self, person: str, group: int) -> bool:
        """Accept an invitation; False when there is none."""
        if person not in self.members(group, "invited"):
            return False
        self.ctx.store.run(
            "UPDATE web_group_members SET status = 'member' WHERE group_id = ? AND person = ?",
            (group, person),
        )
        self.ctx.live.changed()
        return True

    def invitations(self, person: str) -> list[Conversation]:
        return [self._conversation(person, f"group:{g}") for g in self.groups(person, "invited")]

    def group_thread(self, viewer: str, group: int) -> Thread | None:
        if viewer not in self.members(group):
            return None
        key = f"group:{group}"
        members = [self.people.name_for(viewer, m) for m in self.members(group) if m != viewer]
        return Thread(
            key,
            self._title(viewer, key),
            self._lines(viewer, key),
            self.people.typing(viewer, key),
            members=members,
        )

    def release_held(self, owner: str, held: str, at: float) -> int:
        """A space ended: deliver or discard what it held, as the owner chose."""
        ctx = self.ctx
        rows = ctx.store.all(
            "SELECT d.message_id, m.sender FROM web_deliveries d JOIN web_messages m"
            " ON m.id = d.message_id WHERE d.recipient = ? AND d.fate = 'held'",
            (owner,),
        )
        released = 0
        for row in rows:
            sender = str(row["sender"])
            if ctx.decide(sender, "message", owner).outcome is Outcome.HOLD:
                continue  # another space still holds it
            fate = "delivered" if held == "deliver" else "discarded"
            ctx.store.run(
                "UPDATE web_deliveries SET fate = ?, at = ? WHERE message_id = ? AND recipient = ?",
                (fate, at, row["message_id"], owner),
            )
            ctx.store.run(
                "UPDATE web_messages SET sender_sees = ?, until = NULL WHERE id = ?",
                ("delivered" if held == "deliver" else "discarded", row["message_id"]),
            )
            released += 1
        return released
