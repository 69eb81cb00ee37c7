"""The phone: calls (ringing, answered, unanswered, missed), voicemail and SMS to a number.

A call asks the engine ``call`` from the caller's number to the number
dialled. Only a ``deliver`` rings; a quiet delivery lands in the log as
missed; a held call is kept for when the space ends. What the caller sees
comes from ``actor_sees`` and the call's state: a call that never rings
looks exactly like one nobody answered.
"""

from __future__ import annotations

from dataclasses import dataclass

from nocontact.core.addresses import normalize
from nocontact.core.errors import InvalidAddress
from nocontact.web.store import Row

from .base import Context, fate_of, when
from .people import People

RING_SECONDS = 30.0
BODY_LIMIT = 480
#: Fates after which the callee has the call, SMS or voicemail in their log.
RECEIVED = ("ringing", "quiet", "request", "delivered")


@dataclass(frozen=True)
class Entry:
    id: int
    kind: str  # call | sms | voicemail
    outgoing: bool
    other: str
    number: str
    body: str
    at: str
    status: str
    ringing: bool = False
    may_leave_voicemail: bool = False


class Phone:
    def __init__(self, ctx: Context, people: People) -> None:
        self.ctx = ctx
        self.people = people

    def numbers(self, person: str) -> list[str]:
        return [a for a in self.ctx.engine.person(person).addresses if a.startswith("tel:")]

    def parse(self, number: str) -> str | None:
        try:
            return normalize(number, region=self.ctx.engine.config.region)
        except InvalidAddress:
            return None

    def _holder(self, uri: str) -> str | None:
        """Whose number this is, among the app's people (None: nobody's yet)."""
        for card in self.people.directory():
            if uri in self.ctx.engine.person(card.person).addresses:
                return card.person
        return None

    def place(self, caller: str, source: str, dialled: str, kind: str, body: str = "") -> int:
        """A call, voicemail or SMS from one of the caller's numbers; the entry's id."""
        ctx = self.ctx
        callee = self._holder(dialled)
        action = "sms" if kind == "sms" else "call"
        decision = ctx.decide(source, action, dialled)
        fate = fate_of(decision) if callee is not None else "nobody"
        if fate == "delivered" and kind == "call":
            fate = "ringing"
        now = ctx.now()
        with ctx.store.transaction():
            entry = ctx.store.insert(
                "INSERT INTO web_calls (kind, caller, callee, number, source, body, at,"
                " caller_sees, fate, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (kind, caller, callee or "", dialled, source, body, now, decision.actor_sees.value,
                 fate, "ringing" if kind == "call" else ""),
            )  # fmt: skip
            if decision.evidence and callee is not None:
                ctx.store.run(
                    "INSERT INTO web_evidence (owner, sender, channel, body, at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (callee, caller, kind, body or f"a call from {source}", now),
                )
        ctx.live.changed()
        return entry

    def answer(self, callee: str, entry: int, accept: bool) -> None:
        self.ctx.store.run(
            "UPDATE web_calls SET state = ? WHERE id = ? AND callee = ? AND fate = 'ringing'"
            " AND state = 'ringing' AND at > ?",
            ("answered" if accept else "declined", entry, callee, self.ctx.now() - RING_SECONDS),
        )
        self.ctx.live.changed()

    def log(self, viewer: str) -> list[Entry]:
        """The viewer's calls, voicemails and SMS, newest first, each as they may see it."""
        rows = self.ctx.store.all(
            "SELECT * FROM web_calls WHERE caller = ? OR (callee = ? AND fate IN"
            " ('ringing', 'quiet', 'request', 'delivered')) ORDER BY id DESC LIMIT 100",
            (viewer, viewer),
        )
        now = self.ctx.now()
        out = []
        for r in rows:
            outgoing = r["caller"] == viewer
            other = str(r["callee"] if outgoing else r["caller"])
            ringing = (
                r["state"] == "ringing" and r["fate"] == "ringing" and now - r["at"] < RING_SECONDS
            )
            status = self._status(r, outgoing, now)
            out.append(
                Entry(
                    int(r["id"]),
                    str(r["kind"]),
                    outgoing,
                    self.people.name_for(viewer, other) if other else str(r["number"]),
                    str(r["number"] if outgoing else r["source"]).removeprefix("tel:"),
                    str(r["body"]),
                    when(r["at"]),
                    status,
                    ringing=ringing and not outgoing,
                    may_leave_voicemail=outgoing and r["kind"] == "call" and status == "No answer",
                )
            )
        return out

    def _status(self, r: Row, outgoing: bool, now: float) -> str:
        row: dict[str, object] = dict(r)
        kind, state, sees = row["kind"], row["state"], str(row["caller_sees"])
        at = float(str(row["at"]))
        if outgoing:
            special = {
                "unavailable": "Can't be reached",
                "space": "Held: they asked for space",
                "pledge": "Kept in your journal (your pledge)",
                "you_blocked": "Not placed: you blocked them",
            }.get(sees)
            if special is not None:
                return special
            if kind != "call":
                return "Delivered"
            if state == "answered":
                return "Answered"
            return "Ringing…" if now - at < RING_SECONDS and state == "ringing" else "No answer"
        if kind != "call":
            return "Received"
        if state == "answered":
            return "Answered"
        if row["fate"] == "ringing" and state == "ringing" and now - at < RING_SECONDS:
            return "Ringing"
        return "Missed"

    def release_held(self, owner: str, held: str) -> None:
        self.ctx.store.run(
            "UPDATE web_calls SET fate = ? WHERE callee = ? AND fate = 'held'",
            ("quiet" if held == "deliver" else "discarded", owner),
        )
