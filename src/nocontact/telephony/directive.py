"""What the network does with a call or a message, given nocontact's decision.

Pure: no I/O. Each :class:`Route` is one branch of the proxy's configuration:

- ``deliver``: route as usual;
- ``quiet``: route, telling the callee's device not to ring;
- ``no_answer``: a call rings and is never answered (the network's own
  no-answer timeout and response); a message is accepted and never delivered.
  This is a silent block: nothing tells it from a callee who is just not
  answering;
- ``unreachable``: the network's "not reachable" answer (a block disclosed as
  ``unavailable``);
- ``mailbox``: held; the call or message goes to the callee's mailbox, and the
  caller is told the owner's space message once (``announce``);
- ``refuse``: the owner's own attempt toward someone they blocked, or under
  their own pledge; they are told why, since it is their own boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from nocontact.core.model import OUTCOME_SEVERITY, ActorSees, Decision, Outcome


class Route(StrEnum):
    DELIVER = "deliver"
    QUIET = "quiet"
    NO_ANSWER = "no_answer"
    UNREACHABLE = "unreachable"
    MAILBOX = "mailbox"
    REFUSE = "refuse"


_ROUTES: dict[Outcome, Route] = {
    Outcome.DELIVER: Route.DELIVER,
    Outcome.ALLOW: Route.DELIVER,
    Outcome.SHOW: Route.DELIVER,
    Outcome.DELIVER_QUIETLY: Route.QUIET,
    Outcome.REQUEST: Route.QUIET,  # a call has no requests folder: it reaches, without a ring
    Outcome.HOLD: Route.MAILBOX,
    Outcome.DIVERT: Route.REFUSE,
    Outcome.DENY: Route.REFUSE,
    Outcome.DROP: Route.NO_ANSWER,
    Outcome.HIDE: Route.NO_ANSWER,
    Outcome.LIMITED: Route.QUIET,
}


@dataclass(frozen=True, slots=True)
class Directive:
    route: Route
    #: What the caller is told: the space message, or why their own call is refused.
    announce: str = ""


def stricter(a: Decision, b: Decision) -> Decision:
    """The stricter of two decisions about one request (severity order of the core)."""
    return a if OUTCOME_SEVERITY.index(a.outcome) <= OUTCOME_SEVERITY.index(b.outcome) else b


def space_message(decision: Decision) -> str:
    """What a caller held by a space is told: the end date and the owner's note."""
    text = "The person you are trying to reach asked for some space"
    if decision.until is not None:
        until = datetime.fromtimestamp(decision.until, UTC).strftime("%Y-%m-%d %H:%M UTC")
        text += f" until {until}"
    text += "."
    if decision.note:
        text += f" {decision.note}"
    return header_safe(text)


def header_safe(text: str) -> str:
    """One line of printable text, safe in a SIP header value and a JSON string."""
    return "".join(c if c.isprintable() and c not in '"\\' else " " for c in text).strip()


def directive(decision: Decision, *, first_hold: bool) -> Directive:
    """The network's branch for ``decision``; ``first_hold`` says the caller was not told yet."""
    route = _ROUTES[decision.outcome]
    if route is Route.NO_ANSWER and decision.actor_sees is ActorSees.UNAVAILABLE:
        return Directive(Route.UNREACHABLE)
    if route is Route.MAILBOX:
        return Directive(route, space_message(decision) if first_hold else "")
    if route is Route.REFUSE:
        pledged = decision.actor_sees is ActorSees.PLEDGE
        return Directive(route, "Your pledge" if pledged else "You blocked this number")
    return Directive(route)
