"""The engine's event log applied to the app's content, in order, once each.

A block's event names the follows it removes: they are removed here and
remembered under the block's id, so that a lift with ``restore`` (read from
the lift's own event) brings back exactly those. A block freezes the
owner's profile as its target saw it. A space's event is told to its target
once (and again only if it is set again with a new note or end); its end
(lift or expiry, written by the engine on time) delivers or discards what it
held, as its event says.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from nocontact.core.model import Event

from .base import Context
from .messages import Messages
from .people import People
from .phone import Phone

CURSOR = "engine_events_after"


class Sync:
    def __init__(self, ctx: Context, people: People, messages: Messages, phone: Phone) -> None:
        self.ctx = ctx
        self.people = people
        self.messages = messages
        self.phone = phone
        self._lock = threading.Lock()

    def run(self) -> int:
        """Apply every event not applied yet; how many were applied."""
        with self._lock:
            store = self.ctx.store
            row = store.one("SELECT value FROM web_state WHERE key = ?", (CURSOR,))
            after = int(row["value"]) if row is not None else 0
            applied = 0
            self.ctx.engine.expire_due()  # the ends that came due, as events, on time
            while True:
                events = self.ctx.engine.events(after, 500)
                if not events:
                    break
                with store.transaction():
                    for event in events:
                        self._apply(event)
                        after = event.revision
                    store.run(
                        "INSERT INTO web_state (key, value) VALUES (?, ?)"
                        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        (CURSOR, str(after)),
                    )
                applied += len(events)
            if applied:
                self.ctx.live.changed()
            return applied

    def _apply(self, event: Event) -> None:
        data = event.data
        if event.type in ("boundary_set", "boundary_updated"):
            self._set(event, data)
        elif event.type in ("boundary_lifted", "boundary_expired"):
            self._ended(event, data)

    def _set(self, event: Event, data: Mapping[str, object]) -> None:
        store = self.ctx.store
        b: Mapping[str, object] = data["boundary"]  # type: ignore[assignment]
        owner, kind, boundary_id = str(b["owner"]), str(b["kind"]), str(b["id"])
        other = str(b.get("target_person") or b["target"])
        follows: list[Mapping[str, object]] = data.get("remove_follows", [])  # type: ignore[assignment]
        for f in follows:
            follower, followee = str(f["follower"]), str(f["followee"])
            found = store.one(
                "SELECT at FROM web_follows WHERE follower = ? AND followee = ?",
                (follower, followee),
            )
            if found is None:
                continue
            store.run(
                "DELETE FROM web_follows WHERE follower = ? AND followee = ?", (follower, followee)
            )
            store.run(
                "INSERT INTO web_removed_follows (boundary_id, follower, followee, at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (boundary_id, follower, followee, found["at"]),
            )
        if kind == "block" and self.people.exists(other):
            # The owner's profile as the target saw it, never later changes.
            store.run(
                "INSERT INTO web_profile_snapshots (owner, target, name, handle, at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (owner, other, self.ctx.name(owner), self.people.handle(owner), event.at),
            )
        tell: Mapping[str, object] | None = data.get("tell_target")  # type: ignore[assignment]
        if tell is not None and not self._told(owner, tell):
            store.run(
                "INSERT INTO web_space_notices (target, owner, note, until) VALUES (?, ?, ?, ?)",
                (str(tell["target"]), owner, tell.get("note"), tell.get("until")),
            )

    def _told(self, owner: str, tell: Mapping[str, object]) -> bool:
        """Whether the target was already told this very space (set again unchanged)."""
        last = self.ctx.store.one(
            "SELECT note, until FROM web_space_notices WHERE target = ? AND owner = ?"
            " ORDER BY id DESC LIMIT 1",
            (str(tell["target"]), owner),
        )
        return last is not None and (last["note"], last["until"]) == (
            tell.get("note"),
            tell.get("until"),
        )

    def _ended(self, event: Event, data: Mapping[str, object]) -> None:
        store = self.ctx.store
        boundary_id, owner, kind = str(data["id"]), str(data["owner"]), str(data["kind"])
        target = str(data["target"])
        how = "lifted" if event.type == "boundary_lifted" else "expired"
        store.run(
            "INSERT INTO web_ended_boundaries (boundary_id, owner, kind, target, how, at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (boundary_id, owner, kind, target, how, event.at),
        )
        if "restore_follows" in data:
            store.run(
                "INSERT INTO web_follows (follower, followee, at)"
                " SELECT follower, followee, at FROM web_removed_follows WHERE boundary_id = ?"
                " ON CONFLICT DO NOTHING",
                (boundary_id,),
            )
        store.run("DELETE FROM web_removed_follows WHERE boundary_id = ?", (boundary_id,))
        if kind == "block":
            store.run(
                "DELETE FROM web_profile_snapshots WHERE owner = ? AND target = ?", (owner, target)
            )
        held = data.get("held")
        if isinstance(held, str):
            self.messages.release_held(owner, held, event.at)
            self.phone.release_held(owner, held)
