"""The Boundaries page: set, list and lift; the evidence archive; group warnings; space notices.

Boundaries are the engine's: this surface turns form values into
``set_boundary`` and ``lift`` and shows the owner's own boundaries with
names. Engine errors come back as field-level messages. The evidence archive
holds what a blocked person tried to send, sealed until the owner opens it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from nocontact.core.errors import NocontactError
from nocontact.core.model import Boundary, Kind

from .base import Context, when
from .messages import Messages
from .people import People

DURATIONS = {"hour": 3600.0, "day": 86400.0, "week": 7 * 86400.0}
CHANNELS = (
    "calls", "sms", "messages", "groups", "mentions", "posts", "presence", "location",
    "notifications",
)  # fmt: skip
#: Engine field names mapped to the form's.
FORM_FIELD = {"owner": "target", "target": "target", "duration": "duration", "ends": "until",
              "starts": "duration"}  # fmt: skip


@dataclass(frozen=True)
class Shown:
    id: str
    kind: str
    target: str
    scope: str
    channels: str
    ends: str
    disclosure: str
    note: str
    keep_evidence: bool
    on_end: str


@dataclass(frozen=True)
class Ended:
    kind: str
    target: str
    how: str
    at: str


@dataclass(frozen=True)
class Sealed:
    id: int
    sender: str
    channel: str
    at: str
    body: str | None  # None while sealed


@dataclass(frozen=True)
class Request:
    """What the Boundaries form asks for, before the engine checks it."""

    target: str
    kind: str
    scope: str = "everywhere"
    channels: tuple[str, ...] = ()
    duration: str = "forever"
    until: str = ""
    disclosure: str = "silent"
    note: str = ""
    keep_evidence: bool = False
    on_end: str = "deliver"


class Boundaries:
    def __init__(self, ctx: Context, people: People, messages: Messages) -> None:
        self.ctx = ctx
        self.people = people
        self.messages = messages

    def _target_label(self, owner: str, b: Boundary) -> str:
        who = b.target_person or b.target
        if self.people.exists(who):
            label = self.people.name_for(owner, who)
            return label if b.target == who else f"{label} ({b.target})"
        return b.target.removeprefix("tel:")

    def active(self, owner: str) -> list[Shown]:
        now = self.ctx.now()
        return [
            Shown(
                b.id,
                b.kind.value,
                self._target_label(owner, b),
                b.scope,
                ", ".join(sorted(b.channels)) if b.channels else "all",
                when(b.ends) if b.ends else "until you lift it",
                b.disclosure.value,
                b.note or "",
                b.keep_evidence,
                b.on_end.value,
            )
            for b in self.ctx.engine.boundaries(owner)
            if b.ends is None or b.ends > now
        ]

    def ended(self, owner: str) -> list[Ended]:
        rows = self.ctx.store.all(
            "SELECT * FROM web_ended_boundaries WHERE owner = ? ORDER BY at DESC LIMIT 50", (owner,)
        )
        out = []
        for r in rows:
            target = str(r["target"])
            label = self.people.name_for(owner, target) if self.people.exists(target) else target
            out.append(
                Ended(str(r["kind"]), label.removeprefix("tel:"), str(r["how"]), when(r["at"]))
            )
        return out

    def set(self, owner: str, req: Request) -> dict[str, str]:
        """Set a boundary; field-level errors, empty when it was set."""
        errors: dict[str, str] = {}
        if req.kind not in {k.value for k in Kind}:
            errors["kind"] = "Choose one of the six kinds."
        if not req.target:
            errors["target"] = "Choose a person or type one number or handle."
        if req.duration not in (*DURATIONS, "date", "forever"):
            errors["duration"] = "Choose how long it lasts."
        ends = None
        if req.duration == "date":
            try:
                ends = datetime.fromisoformat(req.until).replace(tzinfo=UTC).timestamp()
            except ValueError:
                errors["until"] = "Give a date, such as 2027-03-01."
        bad = [c for c in req.channels if c not in CHANNELS]
        if bad:
            errors["channels"] = "Choose among the listed channels."
        if req.scope not in ("everywhere", "address") and not req.scope.startswith("platform:"):
            errors["scope"] = "Choose everywhere, one platform, or only this address."
        if errors:
            return errors
        try:
            self.ctx.engine.set_boundary(
                owner,
                req.target,
                req.kind,
                scope=req.scope,
                channels=list(req.channels) or None,
                ends=ends,
                duration=DURATIONS.get(req.duration),
                disclosure=req.disclosure,
                note=req.note or None,
                keep_evidence=req.keep_evidence,
                on_end=req.on_end,
            )
        except NocontactError as error:
            field = FORM_FIELD.get(error.field or "", error.field or "kind")
            return {field: error.detail}
        self.ctx.live.changed()
        return {}

    def lift(self, owner: str, boundary_id: str, restore: bool) -> bool:
        """Lift quietly (the target is never told); False if it is not the owner's."""
        mine = {b.id: b for b in self.ctx.engine.boundaries(owner)}
        found = mine.get(boundary_id)
        if found is None:
            return False
        self.ctx.engine.lift(boundary_id, restore=restore and found.kind is Kind.BLOCK)
        self.ctx.live.changed()
        return True

    # -- evidence ------------------------------------------------------------------------

    def evidence(self, owner: str) -> list[Sealed]:
        rows = self.ctx.store.all(
            "SELECT * FROM web_evidence WHERE owner = ? ORDER BY id DESC", (owner,)
        )
        return [
            Sealed(
                int(r["id"]),
                self.people.name_for(owner, str(r["sender"])),
                str(r["channel"]),
                when(r["at"]),
                str(r["body"]) if r["opened_at"] is not None else None,
            )
            for r in rows
        ]

    def open_evidence(self, owner: str) -> None:
        self.ctx.store.run(
            "UPDATE web_evidence SET opened_at = ? WHERE owner = ? AND opened_at IS NULL",
            (self.ctx.now(), owner),
        )

    def export(self, owner: str) -> str:
        """The whole archive as JSON, for a report."""
        self.open_evidence(owner)
        rows = self.ctx.store.all(
            "SELECT * FROM web_evidence WHERE owner = ? ORDER BY id", (owner,)
        )
        items = [
            {
                "sender": str(r["sender"]),
                "sender_name": self.ctx.name(str(r["sender"])),
                "channel": str(r["channel"]),
                "body": str(r["body"]),
                "at": datetime.fromtimestamp(float(r["at"]), UTC).isoformat(),
            }
            for r in rows
        ]
        return json.dumps({"owner": owner, "items": items}, indent=2, ensure_ascii=False)

    # -- shared spaces -----------------------------------------------------------------

    def group_warnings(self, owner: str) -> list[str]:
        """For the owner only: groups they are in or invited to that hold someone they blocked."""
        blocked = {
            b.target_person or b.target
            for b in self.ctx.engine.boundaries(owner)
            if b.kind is Kind.BLOCK
        }
        out = []
        for status in ("member", "invited"):
            for group in self.messages.groups(owner, status):
                everyone = self.messages.members(group) + self.messages.members(group, "invited")
                there = [m for m in everyone if m in blocked]
                if there:
                    names = ", ".join(self.people.name_for(owner, m) for m in there)
                    title = self.messages._title(owner, f"group:{group}")
                    out.append(f"{names}, whom you blocked, is in the group {title}.")
        return out

    def notices(self, viewer: str) -> list[str]:
        """A space is told to its target once: the owner's note and the end date."""
        rows = self.ctx.store.all(
            "SELECT * FROM web_space_notices WHERE target = ? AND shown = 0", (viewer,)
        )
        out = []
        for r in rows:
            name = self.ctx.name(str(r["owner"]))
            text = f"{name} asked for some space until {when(r['until'])}."
            if r["note"]:
                text += f" {name} wrote: “{r['note']}”"
            out.append(text)
            self.ctx.store.run("UPDATE web_space_notices SET shown = 1 WHERE id = ?", (r["id"],))
        return out


def as_dicts(items: list[Sealed]) -> list[dict[str, object]]:
    return [asdict(i) for i in items]
