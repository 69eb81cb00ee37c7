"""Real calls and messages through Kamailio, each decided by a real nocontact serve.

SIPp phones on 127.0.0.1 call and text through the shipped configuration
(integrations/kamailio); nocontact runs on a SQLite file. Skipped, with the
reason in the summary, where Kamailio or SIPp is not installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .sip_network import NO_ANSWER_S, Network, Seen, missing_tools, network

_WHY = missing_tools()
pytestmark = pytest.mark.skipif(_WHY is not None, reason=_WHY or "")

OLIVE = "+16285550100"  # the owner most tests call
ANN = "+14155550130"  # no boundary
SAM = "+14155550123"  # silently blocked, with evidence kept
UMA = "+14155550124"  # blocked, disclosed as unavailable
MAX = "+14155550125"  # muted
SKY = "+14155550126"  # asked for space (calls)
RAY = "+14155550128"  # asked for space (messages)
NORA = "+14155550127"  # blocked everywhere; links a new number later
NORA_NEW = "+14155550199"
PIA = "+16285550102"  # blocks private callers
HIDDEN = "+14155550140"  # withholds their number
EVE = "+16285550101"  # blocks unknown callers; calls emergency services
STRANGER = "+14155550150"  # not in Eve's contacts
EMERGENCY = "911"


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    with network(tmp_path_factory.mktemp("sip")) as n:
        for person, number in [("olive", OLIVE), ("ann", ANN), ("sam", SAM), ("uma", UMA),
                               ("max", MAX), ("sky", SKY), ("ray", RAY), ("nora", NORA),
                               ("pia", PIA), ("eve", EVE)]:  # fmt: skip
            n.person(person, number)
        n.boundary("olive", "sam", keep_evidence=True)
        n.boundary("olive", "uma", disclosure="unavailable")
        n.boundary("olive", "max", "mute")
        n.boundary("olive", "nora")
        for who in ("sky", "ray"):
            n.boundary("olive", who, "space", duration=86_400, note="Back after the move.")
        n.boundary("pia", "pattern:private", channels=["calls", "sms"])
        n.boundary("eve", "pattern:unknown", channels=["calls", "sms"])
        yield n


def rang_unanswered(seen: Seen) -> None:
    assert seen.codes == [100, 180, 408], seen.codes


def reached_nobody(seen: Seen) -> None:
    assert seen.callee == [] and seen.mailbox == []


# -- no boundary -------------------------------------------------------------------


def test_call_without_a_boundary_rings_and_is_answered(net: Network) -> None:
    """No boundary: the call is routed to the callee, who rings normally and answers."""
    seen = net.call(ANN, OLIVE)
    assert seen.codes == [100, 180, 200]
    [invite] = seen.received("callee", "INVITE")
    assert invite.header("Alert-Info") is None


def test_message_without_a_boundary_is_delivered(net: Network) -> None:
    """No boundary: a MESSAGE reaches the callee and the sender gets the callee's 200."""
    seen = net.text(ANN, OLIVE)
    assert seen.codes == [200]
    assert len(seen.received("callee", "MESSAGE")) == 1


# -- a silent block ---------------------------------------------------------------------


def test_silent_block_is_an_unanswered_call_codes_and_timing(net: Network) -> None:
    """A silently blocked call gets what an unanswered call gets: 180, then 408 after
    the network's no-answer timeout; same codes, same reasons, same timing."""
    wait = NO_ANSWER_S + 1.5
    real = net.call(ANN, OLIVE, answer="uas_ring.xml", listen=wait)
    blocked = net.call(SAM, OLIVE, answer="uas_ring.xml", listen=0.3)
    rang_unanswered(real)
    assert blocked.codes == real.codes
    reached_nobody(blocked)
    firsts = [[m.first for m in s.answers] for s in (real, blocked)]
    assert firsts[0] == firsts[1]
    ring = [s.at(180) - s.started for s in (real, blocked)]
    final = [s.at(408) - s.at(180) for s in (real, blocked)]
    # Kamailio's timers tick every 62.5 ms (tm) and 10 ms (async); a shared test machine
    # adds scheduling delays. A tell would be a different timer: seconds, not these margins.
    assert abs(ring[0] - ring[1]) < 0.1, ring
    assert abs(final[0] - final[1]) < 0.25, final
    assert abs(final[1] - NO_ANSWER_S) < 0.25, final


def test_hanging_up_on_a_silent_block_ends_like_any_cancelled_call(net: Network) -> None:
    """A caller who hangs up while a silently blocked call rings gets what hanging up on
    a ringing phone gets: 200 for the CANCEL, then 487, and no 408 later."""
    real = net.hang_up(ANN, OLIVE)
    blocked = net.hang_up(SAM, OLIVE, listen=0.3)
    heard = [[m.first for m in s.caller if not m.sent and m.code] for s in (real, blocked)]
    assert heard[0] == heard[1], heard
    assert [m.code for m in real.caller if not m.sent] == [100, 180, 200, 487]
    reached_nobody(blocked)
    assert NO_ANSWER_S < 2.0  # uac_cancel.xml listens 2 s for a late 408
    assert all(m.code != 408 for s in (real, blocked) for m in s.caller)


def test_silent_block_message_is_accepted_and_never_delivered(net: Network) -> None:
    """A silently blocked MESSAGE gets the same 200 OK as a delivered one, and goes nowhere."""
    seen = net.text(SAM, OLIVE)
    assert seen.codes == [200]
    reached_nobody(seen)
    assert seen.answers[-1].first == "SIP/2.0 200 OK"


def test_sealed_attempts_are_kept_for_the_owner(net: Network) -> None:
    """A block that keeps evidence records each dropped call and message for the owner."""
    before = [a for a in net.attempts("olive") if a["caller"] == f"tel:{SAM}"]
    net.text(SAM, OLIVE)
    after = [a for a in net.attempts("olive") if a["caller"] == f"tel:{SAM}"]
    [new] = after[len(before) :]
    assert new["channel"] == "sms" and new["outcome"] == "drop" and new["sealed"] is True
    assert {a["channel"] for a in after} >= {"sms"}


def test_the_owner_calling_whom_they_blocked_is_told(net: Network) -> None:
    """The owner's own call toward someone they blocked is refused with the reason."""
    seen = net.call(OLIVE, SAM)
    assert seen.codes[-1] == 403
    assert seen.answers[-1].first == "SIP/2.0 403 You blocked this number"
    reached_nobody(seen)


# -- a block disclosed as unavailable -------------------------------------------------------


def test_unavailable_block_answers_not_reachable(net: Network) -> None:
    """A block disclosed as unavailable: calls and messages get 480 Temporarily Unavailable."""
    call = net.call(UMA, OLIVE)
    text = net.text(UMA, OLIVE)
    for seen in (call, text):
        assert seen.codes[-1] == 480
        reached_nobody(seen)


# -- mute --------------------------------------------------------------------------------


def test_muted_caller_reaches_the_callee_without_a_ring(net: Network) -> None:
    """Mute: the call and the message are routed with the documented no-ring Alert-Info."""
    call = net.call(MAX, OLIVE)
    text = net.text(MAX, OLIVE)
    assert call.codes == [100, 180, 200] and text.codes == [200]
    for seen, method in ((call, "INVITE"), (text, "MESSAGE")):
        [request] = seen.received("callee", method)
        assert request.header("Alert-Info") == "<urn:alert:service:silent@nocontact>"


def test_nobody_can_ask_for_a_silent_ring_themselves(net: Network) -> None:
    """The caller's own Alert-Info is removed: only the network says whether a device rings."""
    seen = net.call(ANN, OLIVE)
    [invite] = seen.received("callee", "INVITE")
    assert invite.header("Alert-Info") is None


# -- space -------------------------------------------------------------------------------


def test_space_sends_calls_to_the_mailbox_and_tells_the_caller_once(net: Network) -> None:
    """A space: calls go to the mailbox (answered there), the first with the space message
    for the mailbox to play, later ones without; each is kept for the owner."""
    first = net.call(SKY, OLIVE, mailbox="uas_answer.xml")
    second = net.call(SKY, OLIVE, mailbox="uas_answer.xml")
    for seen in (first, second):
        assert seen.codes == [100, 180, 200]
        assert seen.callee == []
    [one] = first.received("mailbox", "INVITE")
    [two] = second.received("mailbox", "INVITE")
    told = one.header("X-Nocontact-Announce") or ""
    assert "asked for some space until" in told and "Back after the move." in told
    assert two.header("X-Nocontact-Announce") is None
    assert (one.header("Diversion") or "").startswith(f"<sip:{OLIVE}@")
    kept = [a for a in net.attempts("olive") if a["caller"] == f"tel:{SKY}"]
    assert [(a["channel"], a["outcome"], a["announced"]) for a in kept] == [
        ("call", "hold", True),
        ("call", "hold", False),
    ]


def test_space_holds_messages_and_tells_the_sender_once(net: Network) -> None:
    """A space: a MESSAGE is accepted (202) and stored in the mailbox; the sender gets the
    space message back as a MESSAGE the first time only."""
    first = net.text(RAY, OLIVE, mailbox="uas_message.xml")
    second = net.text(RAY, OLIVE, mailbox="uas_message.xml")
    for seen in (first, second):
        assert seen.codes == [202]
        assert seen.callee == []
        assert len(seen.received("mailbox", "MESSAGE")) == 1
    [notice] = first.received("caller", "MESSAGE")
    assert "asked for some space until" in notice.text and "Back after the move." in notice.text
    assert second.received("caller", "MESSAGE") == []


# -- a number linked later -------------------------------------------------------------------


def test_block_covers_a_newly_linked_number(net: Network) -> None:
    """A block on a person covers a number they link after it was set."""
    net.post("/v1/persons/nora/addresses", {"address": NORA_NEW})
    call = net.call(NORA_NEW, OLIVE, answer="uas_ring.xml", listen=0.3)
    text = net.text(NORA_NEW, OLIVE)
    rang_unanswered(call)
    assert text.codes == [200]
    reached_nobody(call)
    reached_nobody(text)


# -- emergency -------------------------------------------------------------------------------


def test_emergency_numbers_are_never_blocked_and_a_call_back_gets_through(net: Network) -> None:
    """Calls and messages from and to emergency numbers always go through; after Eve calls
    emergency services, her block on unknown callers pauses, so a call-back rings."""
    before = net.text(STRANGER, EVE)
    assert before.codes == [200] and before.callee == []  # unknown callers are blocked
    from_emergency = net.call(EMERGENCY, EVE)
    text_from_emergency = net.text(EMERGENCY, EVE)
    assert from_emergency.codes == [100, 180, 200]
    assert len(text_from_emergency.received("callee", "MESSAGE")) == 1
    to_emergency = net.call(EVE, EMERGENCY)
    assert to_emergency.codes == [100, 180, 200]
    assert len(to_emergency.received("callee", "INVITE")) == 1
    text_to_emergency = net.text(EVE, EMERGENCY)
    assert len(text_to_emergency.received("callee", "MESSAGE")) == 1
    call_back = net.call(STRANGER, EVE)
    text_back = net.text(STRANGER, EVE)
    assert call_back.codes == [100, 180, 200]
    assert len(text_back.received("callee", "MESSAGE")) == 1


# -- private callers ---------------------------------------------------------------------------


def test_private_pattern_holds_for_withheld_and_anonymous_callers(net: Network) -> None:
    """A block on private callers covers a caller who withholds their number (Privacy: id)
    and an anonymous caller id; the same caller showing their number gets through."""
    withheld = net.text(HIDDEN, PIA, withheld=True)
    anonymous = net.text("anonymous", PIA)
    shown = net.text(HIDDEN, PIA)
    call = net.call(HIDDEN, PIA, withheld=True, answer="uas_ring.xml", listen=0.3)
    for seen in (withheld, anonymous):
        assert seen.codes == [200]
        reached_nobody(seen)
    assert len(shown.received("callee", "MESSAGE")) == 1
    rang_unanswered(call)
    reached_nobody(call)


def test_a_withheld_number_does_not_evade_a_block(net: Network) -> None:
    """The network knows who withheld their number: the block on that person still holds."""
    seen = net.text(SAM, OLIVE, withheld=True)
    assert seen.codes == [200]
    reached_nobody(seen)


def test_an_oversized_caller_id_is_refused_not_let_through(net: Network) -> None:
    """A caller id nocontact refuses as malformed gets 400 Bad Request: the proxy does not
    treat it as nocontact being down, so padding a URI cannot slip past a block."""
    padded = SAM + ";x=" + "a" * 600
    seen = net.text(padded, OLIVE)
    assert seen.codes == [400]
    reached_nobody(seen)


def test_proxy_log_has_no_failure(net: Network, tmp_path: Path) -> None:
    """Every decision above was answered by nocontact: the proxy never fell back."""
    assert "NOCONTACT UNREACHABLE" not in net.proxy_log()
    assert "NOCONTACT UNKNOWN ROUTE" not in net.proxy_log()
