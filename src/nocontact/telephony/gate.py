"""One SIP request in, one directive out: the decision a proxy asks for.

Reads only (the engine's index and the attempts table); the writes a request
causes are returned as data for the caller to run on its writer: the
emergency a caller just dialled, the attempt to keep for the owner.
"""

from __future__ import annotations

from dataclasses import dataclass

from nocontact.core.addresses import PRIVATE_CALLER, Address
from nocontact.core.model import Action, Decision, Interaction, Outcome
from nocontact.engine import Engine

from .attempts import Attempts
from .directive import Directive, Route, directive, stricter
from .sip import callee_address, caller_address


@dataclass(frozen=True, slots=True)
class Request:
    caller: str  # the P-Asserted-Identity or From URI
    callee: str  # the Request-URI
    action: Action  # call or sms
    withheld: bool = False  # the caller asked for privacy (Privacy: id, or an anonymous From)


@dataclass(frozen=True, slots=True)
class Keep:
    """An attempt to keep for the owner."""

    owner: str
    caller: str
    channel: str
    outcome: str
    sealed: bool
    boundary: str
    announced: bool


@dataclass(frozen=True, slots=True)
class Answer:
    directive: Directive
    #: The caller's person, who just dialled an emergency number (a call-back may follow).
    emergency_owner: str | None = None
    keep: Keep | None = None


DELIVER = Answer(Directive(Route.DELIVER))


def answer(engine: Engine, attempts: Attempts, request: Request) -> Answer:
    """What the network does with ``request``, and what to keep."""
    region = engine.config.region
    callee = callee_address(request.callee, region=region)
    asserted = caller_address(request.caller, region=region)
    if callee is None:
        return DELIVER  # not a phone number: no boundary can cover it
    if callee.emergency:
        owner = None if asserted is PRIVATE_CALLER else engine.person_of(asserted.uri)
        return Answer(Directive(Route.DELIVER), emergency_owner=owner)
    caller, decision = _decide(engine, asserted, request, callee)
    keep = None
    first_hold = False
    explained = decision.explanation
    if decision.outcome is Outcome.HOLD and explained is not None:
        first_hold = not attempts.told(explained.owner, explained.boundary_id, caller.uri)
    if explained is not None and (decision.outcome is Outcome.HOLD or decision.evidence):
        keep = Keep(
            owner=explained.owner,
            caller=caller.uri,
            channel=request.action.value,
            outcome=decision.outcome.value,
            sealed=decision.evidence,
            boundary=explained.boundary_id,
            announced=first_hold,
        )
    return Answer(directive(decision, first_hold=first_hold), keep=keep)


def _decide(
    engine: Engine, asserted: Address, request: Request, callee: Address
) -> tuple[Address, Decision]:
    """The decision for the caller; a withheld caller also meets the owner's ``private`` rules.

    The network knows who withheld their number, so a block on that person
    holds; and the owner's boundary on private callers holds too: the
    stricter of the two decides.
    """
    # The owner's view: the explanation names the boundary that held or sealed it.
    owner = engine.person_of(callee.uri) or callee.uri
    decision = engine.decide(Interaction(asserted.uri, request.action, callee.uri), viewer=owner)
    if not request.withheld or asserted is PRIVATE_CALLER:
        return asserted, decision
    private = engine.decide(
        Interaction(PRIVATE_CALLER.uri, request.action, callee.uri), viewer=owner
    )
    if stricter(private, decision) is private and private.outcome is not decision.outcome:
        return PRIVATE_CALLER, private
    return asserted, decision
