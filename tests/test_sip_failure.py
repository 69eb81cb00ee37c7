"""When the proxy cannot reach nocontact, it does what its configuration says.

The default lets every call and message through and logs an alert, because a
failure must never block an emergency call-back; ``fail_open=False`` refuses
with 503 instead. Both run through the real Kamailio, pointed at a port where
nothing listens.
"""

from __future__ import annotations

import pytest

from .sip_network import missing_tools, network

_WHY = missing_tools()
pytestmark = pytest.mark.skipif(_WHY is not None, reason=_WHY or "")

NOWHERE = "http://127.0.0.1:8699"  # nothing listens here
OWNER = "+16285550100"
BLOCKED = "+14155550123"


def test_unreachable_nocontact_lets_calls_through_and_logs_an_alert(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Default: with nocontact down, a call (even from a blocked number) and a message are
    routed, and the proxy logs NOCONTACT UNREACHABLE at ALERT level for each."""
    with network(tmp_path_factory.mktemp("open"), nocontact_url=NOWHERE) as net:
        net.person("olive", OWNER)
        net.person("sam", BLOCKED)
        net.boundary("olive", "sam")
        call = net.call(BLOCKED, OWNER)
        text = net.text(BLOCKED, OWNER)
        log = net.proxy_log()
    assert call.codes == [100, 180, 200]
    assert len(call.received("callee", "INVITE")) == 1
    assert text.codes == [200] and len(text.received("callee", "MESSAGE")) == 1
    alerts = [line for line in log.splitlines() if "NOCONTACT UNREACHABLE" in line]
    assert len(alerts) == 2 and all("ALERT" in line for line in alerts)


def test_fail_closed_refuses_while_nocontact_is_unreachable(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """fail_open=False: with nocontact down, calls and messages get 503 and reach nobody."""
    with network(tmp_path_factory.mktemp("closed"), nocontact_url=NOWHERE, fail_open=False) as net:
        call = net.call(BLOCKED, OWNER)
        text = net.text(BLOCKED, OWNER)
    for seen in (call, text):
        assert seen.codes[-1] == 503
        assert seen.callee == []
