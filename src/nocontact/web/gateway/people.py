"""People: accounts, privacy settings, follows, profiles, presence, typing and search.

A profile is shown as the engine decides ``view_profile``: in full, ``limited``
(name and handle only, frozen as the viewer saw them when the owner's block
began), or not at all. Presence, last seen, typing and location each pass
``presence``/``location`` first and then the person's own privacy setting, so
a hidden one looks exactly like a setting turned off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from nocontact.core.model import Outcome

from .base import SHOWN, Context, ago

HANDLE = re.compile(r"[a-z0-9_]{2,30}")
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Card:
    """A person as a list shows them."""

    person: str
    name: str
    handle: str


@dataclass(frozen=True)
class Settings:
    read_receipts: bool = True
    show_presence: bool = True
    share_location: bool = False
    location: str = ""
    #: Posts and the full profile for approved followers only; follows are requests.
    private_account: bool = False
    #: Found in search and suggested to others.
    discoverable: bool = True


@dataclass
class Profile:
    person: str
    mode: str  # full | limited | pledge | self
    name: str
    handle: str
    bio: str = ""
    presence: str = ""
    location: str = ""
    following: bool = False
    requested: bool = False
    follows_you: bool = False
    numbers: list[str] = field(default_factory=list)


class People:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- accounts --------------------------------------------------------------

    def create_account(
        self, person: str, name: str, handle: str, passphrase: str, addresses: list[str]
    ) -> None:
        """A person in the engine and an account here; the passphrase only as an argon2id hash."""
        ctx = self.ctx
        ctx.engine.add_person(person, name=name, addresses=[*addresses, f"acct:chirp:{handle}"])
        with ctx.store.transaction():
            ctx.store.run(
                "INSERT INTO web_accounts (person, handle, password_hash, created)"
                " VALUES (?, ?, ?, ?)",
                (person, handle, _hasher.hash(passphrase), ctx.now()),
            )
            ctx.store.run("INSERT INTO web_settings (person) VALUES (?)", (person,))

    def adopt(self, person: str, handle: str, passphrase: str, number: str) -> None:
        """An account for a person the engine already knows (the API's demo people)."""
        ctx = self.ctx
        for address in (number, f"acct:chirp:{handle}"):
            ctx.engine.link_address(person, address)
        with ctx.store.transaction():
            ctx.store.run(
                "INSERT INTO web_accounts (person, handle, password_hash, created)"
                " VALUES (?, ?, ?, ?)",
                (person, handle, _hasher.hash(passphrase), ctx.now()),
            )
            ctx.store.run("INSERT INTO web_settings (person) VALUES (?)", (person,))

    def set_bio(self, person: str, bio: str) -> None:
        self.ctx.store.run("UPDATE web_accounts SET bio = ? WHERE person = ?", (bio, person))
        self.ctx.live.changed()

    def rename(self, person: str, name: str) -> None:
        self.ctx.engine.rename_person(person, name)
        self.ctx.live.changed()

    def handle_taken(self, handle: str) -> bool:
        return (
            self.ctx.store.one("SELECT 1 FROM web_accounts WHERE handle = ?", (handle,)) is not None
        )

    def sign_in(self, handle_or_person: str, passphrase: str) -> str | None:
        """The person whose passphrase this is, or None (the same answer for any failure)."""
        row = self.ctx.store.one(
            "SELECT person, password_hash FROM web_accounts WHERE handle = ? OR person = ?",
            (handle_or_person, handle_or_person),
        )
        stored = row["password_hash"] if row is not None else _dummy()
        try:
            _hasher.verify(stored, passphrase)
        except (VerificationError, InvalidHashError):
            return None
        return str(row["person"]) if row is not None else None

    def change_password(self, person: str, old: str, new: str) -> bool:
        if self.sign_in(person, old) != person:
            return False
        self.ctx.store.run(
            "UPDATE web_accounts SET password_hash = ? WHERE person = ?",
            (_hasher.hash(new), person),
        )
        return True

    def directory(self) -> list[Card]:
        """Everyone with an account: the demo's sign-in picker, nothing more."""
        rows = self.ctx.store.all("SELECT person, handle FROM web_accounts ORDER BY person")
        return [Card(r["person"], self.ctx.name(r["person"]), r["handle"]) for r in rows]

    def exists(self, person: str) -> bool:
        return (
            self.ctx.store.one("SELECT 1 FROM web_accounts WHERE person = ?", (person,)) is not None
        )

    def handle(self, person: str) -> str:
        row = self.ctx.store.one("SELECT handle FROM web_accounts WHERE person = ?", (person,))
        return str(row["handle"]) if row is not None else person

    # -- settings ------------------------------------------------------------------

    def settings(self, person: str) -> Settings:
        row = self.ctx.store.one("SELECT * FROM web_settings WHERE person = ?", (person,))
        if row is None:
            return Settings()
        return Settings(
            bool(row["read_receipts"]),
            bool(row["show_presence"]),
            bool(row["share_location"]),
            str(row["location"]),
            bool(row["private_account"]),
            bool(row["discoverable"]),
        )

    def save_settings(self, person: str, s: Settings) -> None:
        self.ctx.store.run(
            "UPDATE web_settings SET read_receipts = ?, show_presence = ?, share_location = ?,"
            " location = ?, private_account = ?, discoverable = ? WHERE person = ?",
            (
                int(s.read_receipts),
                int(s.show_presence),
                int(s.share_location),
                s.location,
                int(s.private_account),
                int(s.discoverable),
                person,
            ),
        )
        self.ctx.live.changed()

    # -- names, presence -------------------------------------------------------------

    def name_for(self, viewer: str, person: str) -> str:
        """A name as ``viewer`` may see it: frozen when the person's block began."""
        frozen = self._frozen(viewer, person)
        return frozen[0] if frozen is not None else self.ctx.name(person)

    def _frozen(self, viewer: str, person: str) -> tuple[str, str] | None:
        # The snapshot exists exactly while the person's block toward the viewer
        # holds, so the viewer's own pledge (which decides view_profile first)
        # never uncovers later changes either.
        if viewer == person:
            return None
        row = self.ctx.store.one(
            "SELECT name, handle FROM web_profile_snapshots WHERE owner = ? AND target = ?",
            (person, viewer),
        )
        return (str(row["name"]), str(row["handle"])) if row is not None else None

    def presence(self, viewer: str, person: str) -> str:
        """ "Online", "Last seen 5 min ago", or nothing (hidden, or turned off: alike)."""
        ctx = self.ctx
        if viewer != person:
            if ctx.decide(viewer, "presence", person).outcome is not Outcome.SHOW:
                return ""
            if not self.settings(person).show_presence:
                return ""
        seen = ctx.live.last_seen.get(person)
        if seen is None:
            return ""
        now = ctx.now()
        return "Online" if now - seen < 120 else f"Last seen {ago(seen, now)}"

    def typing(self, viewer: str, conversation: str) -> list[str]:
        """Who is typing in a conversation, as ``viewer`` may know it."""
        ctx = self.ctx
        shown = []
        for person in ctx.live.typists(conversation, ctx.now()):
            if person == viewer or not self.settings(person).show_presence:
                continue
            if ctx.decide(viewer, "presence", person).outcome is Outcome.SHOW:
                shown.append(self.name_for(viewer, person))
        return shown

    def location(self, viewer: str, person: str) -> str:
        if (
            viewer != person
            and self.ctx.decide(viewer, "location", person).outcome is not Outcome.SHOW
        ):
            return ""
        s = self.settings(person)
        return s.location if s.share_location else ""

    # -- follows -----------------------------------------------------------------

    def following(self, follower: str, followee: str) -> bool:
        row = self.ctx.store.one(
            "SELECT 1 FROM web_follows WHERE follower = ? AND followee = ?", (follower, followee)
        )
        return row is not None

    def followees(self, person: str) -> list[str]:
        rows = self.ctx.store.all("SELECT followee FROM web_follows WHERE follower = ?", (person,))
        return [str(r["followee"]) for r in rows]

    def follow(self, viewer: str, person: str) -> str:
        """Follow, as the engine allows; what the viewer is shown (``unavailable`` or a status)."""
        decision = self.ctx.decide(viewer, "follow", person)
        if decision.outcome is Outcome.ALLOW and self.settings(person).private_account:
            self._request(viewer, person, approvable=True)
            if decision.notify:
                self.ctx.store.run(
                    "INSERT INTO web_notifications (recipient, actor, kind, at)"
                    " VALUES (?, ?, 'follow_request', ?)",
                    (person, viewer, self.ctx.now()),
                )
            return "sent"
        if decision.outcome is Outcome.ALLOW:
            self.ctx.store.run(
                "INSERT INTO web_follows (follower, followee, at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (viewer, person, self.ctx.now()),
            )
            if decision.notify:
                self.ctx.store.run(
                    "INSERT INTO web_notifications (recipient, actor, kind, at)"
                    " VALUES (?, ?, ?, ?)",
                    (person, viewer, "follow", self.ctx.now()),
                )
            self.ctx.live.changed()
        elif decision.actor_sees.value == "sent":  # a request that waits, as for a private account
            self._request(viewer, person, approvable=False)
        return decision.actor_sees.value

    def _request(self, follower: str, followee: str, *, approvable: bool) -> None:
        self.ctx.store.run(
            "INSERT INTO web_follow_requests (follower, followee, at, approvable)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (follower, followee, self.ctx.now(), int(approvable)),
        )
        self.ctx.live.changed()

    def follow_requests(self, person: str) -> list[Card]:
        """Requests to follow a private account, for its owner to approve."""
        rows = self.ctx.store.all(
            "SELECT follower FROM web_follow_requests WHERE followee = ? AND approvable = 1"
            " ORDER BY at",
            (person,),
        )
        return [
            Card(str(r["follower"]), self.name_for(person, str(r["follower"])),
                 self.handle(str(r["follower"])))
            for r in rows
        ]  # fmt: skip

    def approve(self, person: str, follower: str) -> bool:
        """Let a requester follow; False when there is no such request."""
        with self.ctx.store.transaction():
            row = self.ctx.store.one(
                "SELECT at FROM web_follow_requests WHERE follower = ? AND followee = ?"
                " AND approvable = 1",
                (follower, person),
            )
            if row is None:
                return False
            self.ctx.store.run(
                "DELETE FROM web_follow_requests WHERE follower = ? AND followee = ?",
                (follower, person),
            )
            self.ctx.store.run(
                "INSERT INTO web_follows (follower, followee, at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (follower, person, self.ctx.now()),
            )
        self.ctx.live.changed()
        return True

    def private_to(self, viewer: str, person: str) -> bool:
        """Whether ``person``'s account is private to ``viewer`` (not an approved follower)."""
        if viewer == person or not self.settings(person).private_account:
            return False
        return not self.following(viewer, person)

    def requested(self, follower: str, followee: str) -> bool:
        row = self.ctx.store.one(
            "SELECT 1 FROM web_follow_requests WHERE follower = ? AND followee = ?",
            (follower, followee),
        )
        return row is not None

    def unfollow(self, viewer: str, person: str) -> None:
        """Stop following, or take back a request that waits."""
        with self.ctx.store.transaction():
            for table in ("web_follows", "web_follow_requests"):
                self.ctx.store.run(
                    f"DELETE FROM {table} WHERE follower = ? AND followee = ?", (viewer, person)
                )
        self.ctx.live.changed()

    # -- profiles and search -----------------------------------------------------------

    def profile(self, viewer: str, person: str) -> Profile | None:
        """The profile ``viewer`` may see, or None when the engine hides it."""
        ctx = self.ctx
        if not self.exists(person):
            return None
        if viewer == person:
            mode = "self"
        else:
            decision = ctx.decide(viewer, "view_profile", person)
            if decision.actor_sees.value == "pledge":
                frozen = self._frozen(viewer, person)
                name, handle = frozen or (self.ctx.name(person), self.handle(person))
                return Profile(person, "pledge", name, handle)
            if decision.outcome not in SHOWN:
                return None
            mode = "full" if decision.outcome is Outcome.SHOW else "limited"
            if mode == "full" and self.private_to(viewer, person):
                mode = "limited"  # the account's own setting: followers only
        if mode == "limited":
            frozen = self._frozen(viewer, person)
            name, handle = frozen or (ctx.name(person), self.handle(person))
            return Profile(
                person, "limited", name, handle, requested=self.requested(viewer, person)
            )
        row = ctx.store.one("SELECT bio FROM web_accounts WHERE person = ?", (person,))
        numbers = [a for a in ctx.engine.person(person).addresses if a.startswith("tel:")]
        return Profile(
            person,
            mode,
            ctx.name(person),
            self.handle(person),
            bio=str(row["bio"]) if row is not None else "",
            presence=self.presence(viewer, person),
            location=self.location(viewer, person),
            following=self.following(viewer, person),
            requested=self.requested(viewer, person),
            follows_you=self.following(person, viewer),
            numbers=numbers if mode == "self" or self.following(person, viewer) else [],
        )

    def search(self, viewer: str, query: str) -> list[Card]:
        """People whose name or handle matches, as the engine lets ``viewer`` find them."""
        q = query.strip().lower().lstrip("@")
        if not q:
            return []
        found = []
        for row in self.ctx.store.all("SELECT person, handle FROM web_accounts ORDER BY handle"):
            person = str(row["person"])
            if person == viewer or not self.settings(person).discoverable:
                continue
            if self.ctx.decide(viewer, "search", person).outcome not in SHOWN:
                continue
            name = self.name_for(viewer, person)
            frozen = self._frozen(viewer, person)
            handle = frozen[1] if frozen else str(row["handle"])
            if q in name.lower() or q in handle:
                found.append(Card(person, name, handle))
        return found

    def suggestions(self, viewer: str) -> list[Card]:
        """People to follow: everyone the engine lets ``viewer`` find, not followed yet."""
        followed = set(self.followees(viewer))
        rows = self.ctx.store.all("SELECT person, handle FROM web_accounts ORDER BY handle")
        cards = []
        for row in rows:
            person = str(row["person"])
            if person == viewer or person in followed or not self.settings(person).discoverable:
                continue
            if self.ctx.decide(viewer, "search", person).outcome is Outcome.SHOW:
                cards.append(Card(person, self.ctx.name(person), str(row["handle"])))
        return cards


@cache
def _dummy() -> str:
    """Verified against when the account does not exist, so both failures take as long."""
    return _hasher.hash("no account has this passphrase")
