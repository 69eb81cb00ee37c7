"""The phone-network layer without a network: SIP identities, directives, attempts, the API.

The same rules run end to end through Kamailio in ``test_sip_proxy.py``; here
each is checked alone, fast, on every machine.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import ExitStack, closing
from pathlib import Path

import pytest

from nocontact.core.errors import InvalidInput
from nocontact.core.model import Action
from nocontact.service.auth import token_from
from nocontact.store import open_store
from nocontact.telephony.attempts import Attempts
from nocontact.telephony.directive import Route
from nocontact.telephony.gate import Request, answer
from nocontact.telephony.proxy import ProxySettings, connection_text, settings_text
from nocontact.telephony.sip import callee_address, caller_address

from .conftest import EngineFactory
from .pg import fresh_schema
from .service_helpers import Api, make_api

OWNER, CALLER = "+16285550100", "+14155550123"


@pytest.mark.parametrize(
    ("uri", "withheld", "expected"),
    [
        ("sip:+14155550123@example.net", False, "tel:+14155550123"),
        ("<sip:4155550123@example.net;user=phone>", False, "tel:+14155550123"),
        ("sips:%2B14155550123@example.net", False, "tel:+14155550123"),
        ("tel:+14155550123", False, "tel:+14155550123"),
        ("sip:anonymous@anonymous.invalid", False, "tel:anonymous"),
        ("sip:restricted@example.net", False, "tel:anonymous"),
        ("sip:alice@example.net", False, "tel:anonymous"),
        ("sip:example.net", False, "tel:anonymous"),
        ("sip:+14155550123@example.net", True, "tel:anonymous"),
        ("sip:911@example.net", False, "tel:911;phone-context=+1"),
    ],
)
def test_caller_identity_is_a_number_or_anonymous(uri: str, withheld: bool, expected: str) -> None:
    """A caller is the number in the URI, normalised; with no usable number, tel:anonymous."""
    assert caller_address(uri, withheld=withheld).uri == expected


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("sip:+16285550100@proxy.example.net:5060", "tel:+16285550100"),
        ("sip:6285550100@proxy", "tel:+16285550100"),
        ("sip:voicemail@proxy", None),
        ("sip:anonymous@anonymous.invalid", None),
    ],
)
def test_callee_is_a_phone_number_or_nobody(uri: str, expected: str | None) -> None:
    """A request for something that is not a phone number is not nocontact's to decide."""
    found = callee_address(uri)
    assert (found.uri if found else None) == expected


@pytest.fixture(params=["sqlite", "postgresql"])
def attempts(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Attempts]:
    """The attempts table in the store's own database: a SQLite file, or PostgreSQL."""
    with ExitStack() as stack:
        where = (
            stack.enter_context(fresh_schema())
            if request.param == "postgresql"
            else str(tmp_path / "nocontact.db")
        )
        store = stack.enter_context(closing(open_store(where)))
        yield Attempts(store)


def _ask(engine: object, attempts: Attempts, caller: str, action: Action = Action.CALL,
         *, withheld: bool = False, callee: str = OWNER) -> object:  # fmt: skip
    request = Request(f"sip:{caller}@example.net", f"sip:{callee}@proxy", action, withheld)
    return answer(engine, attempts, request)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "extra", "route"),
    [
        (None, {}, Route.DELIVER),
        ("block", {}, Route.NO_ANSWER),
        ("block", {"disclosure": "unavailable"}, Route.UNREACHABLE),
        ("mute", {}, Route.QUIET),
        ("restrict", {}, Route.QUIET),
        ("space", {"duration": 3600}, Route.MAILBOX),
    ],
)
@pytest.mark.parametrize("action", [Action.CALL, Action.SMS])
def test_each_boundary_has_its_route(
    make_engine: EngineFactory,
    attempts: Attempts,
    kind: str | None,
    extra: dict[str, object],
    route: Route,
    action: Action,
) -> None:
    """Each kind maps to one branch of the proxy, for calls and messages alike."""
    engine = make_engine()
    engine.add_person("olive", addresses=[OWNER])
    engine.add_person("sam", addresses=[CALLER])
    if kind:
        engine.set_boundary("olive", "sam", kind, **extra)
    found = _ask(engine, attempts, CALLER, action)
    assert found.directive.route is route  # type: ignore[attr-defined]


def test_space_message_is_told_once_and_every_hold_is_kept(
    make_engine: EngineFactory, attempts: Attempts
) -> None:
    """A space: the caller is told the note and the end the first time only; each held
    attempt becomes a row for the owner."""
    engine = make_engine()
    engine.add_person("olive", addresses=[OWNER])
    engine.add_person("sky", addresses=[CALLER])
    space = engine.set_boundary("olive", "sky", "space", duration=86_400, note="Moving.")
    first = _ask(engine, attempts, CALLER)
    keep = first.keep  # type: ignore[attr-defined]
    assert keep is not None and keep.announced and keep.boundary == space.id
    assert "Moving." in first.directive.announce  # type: ignore[attr-defined]
    attempts.record(**vars_of(keep), at=1.0)
    second = _ask(engine, attempts, CALLER, Action.SMS)
    assert second.directive.announce == ""  # type: ignore[attr-defined]
    attempts.record(**vars_of(second.keep), at=2.0)  # type: ignore[attr-defined]
    rows = attempts.list("olive")
    assert [(r.channel, r.outcome, r.announced) for r in rows] == [
        ("call", "hold", True),
        ("sms", "hold", False),
    ]


def vars_of(keep: object) -> dict[str, object]:
    from dataclasses import asdict

    return asdict(keep)  # type: ignore[call-overload,no-any-return]


def test_only_sealed_drops_are_kept(make_engine: EngineFactory, attempts: Attempts) -> None:
    """A silent block keeps nothing unless it keeps evidence; then each drop is sealed."""
    engine = make_engine()
    engine.add_person("olive", addresses=[OWNER])
    engine.add_person("sam", addresses=[CALLER])
    block = engine.set_boundary("olive", "sam", "block")
    assert _ask(engine, attempts, CALLER).keep is None  # type: ignore[attr-defined]
    engine.lift(block.id)
    engine.set_boundary("olive", "sam", "block", keep_evidence=True)
    keep = _ask(engine, attempts, CALLER, Action.SMS).keep  # type: ignore[attr-defined]
    assert keep.sealed and keep.outcome == "drop" and keep.owner == "olive"


def test_dialling_emergency_names_the_caller_for_the_call_back_window(
    make_engine: EngineFactory, attempts: Attempts
) -> None:
    """A call to an emergency number is routed and names the caller's person, so the
    service can open the call-back window; a caller nobody knows names nobody."""
    engine = make_engine()
    engine.add_person("eve", addresses=[OWNER])
    found = _ask(engine, attempts, OWNER, callee="911")
    assert found.directive.route is Route.DELIVER  # type: ignore[attr-defined]
    assert found.emergency_owner == "eve"  # type: ignore[attr-defined]
    assert _ask(engine, attempts, CALLER, callee="911").emergency_owner is None  # type: ignore[attr-defined]


def test_withholding_a_number_neither_evades_a_block_nor_escapes_the_private_pattern(
    make_engine: EngineFactory, attempts: Attempts
) -> None:
    """A withheld caller meets the owner's rules for private callers and for who they are."""
    engine = make_engine()
    engine.add_person("olive", addresses=[OWNER])
    engine.add_person("sam", addresses=[CALLER])
    engine.add_person("pia", addresses=["+16285550102"])
    engine.set_boundary("olive", "sam", "block")
    engine.set_boundary("pia", "pattern:private", "block", channels=["calls"])
    blocked = _ask(engine, attempts, CALLER, withheld=True)
    private = _ask(engine, attempts, CALLER, withheld=True, callee="+16285550102")
    shown = _ask(engine, attempts, CALLER, callee="+16285550102")
    assert blocked.directive.route is Route.NO_ANSWER  # type: ignore[attr-defined]
    assert private.directive.route is Route.NO_ANSWER  # type: ignore[attr-defined]
    assert shown.directive.route is Route.DELIVER  # type: ignore[attr-defined]


def test_keys_travel_as_bearer_or_as_the_basic_password() -> None:
    """A key is read from Bearer, or from Basic credentials' password; nothing else."""
    basic = base64.b64encode(b"proxy:nck_a_b").decode()
    assert token_from("Bearer nck_a_b") == "nck_a_b"
    assert token_from(f"Basic {basic}") == "nck_a_b"
    assert token_from("Basic !!!") is None
    assert token_from(f"Basic {base64.b64encode(b'proxy').decode()}") is None
    assert token_from("Digest nck_a_b") is None


@pytest.fixture(params=["sqlite", "postgresql"])
def stored_api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    """The service on a SQLite file, or on PostgreSQL (its attempts there too)."""
    if request.param == "postgresql":
        with fresh_schema() as url:
            yield from make_api(tmp_path, db=url)
        return
    yield from make_api(tmp_path)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from make_api(tmp_path)


def test_phone_route_answers_a_decide_key_and_opens_the_call_back_window(api: Api) -> None:
    """POST /v1/phone/route takes a decide key (also as Basic) and a call to an emergency
    number records the emergency for the caller: the private pattern pauses."""
    api.post("/v1/persons", {"id": "eve", "addresses": [OWNER]})
    api.post("/v1/boundaries", {"owner": "eve", "target": "pattern:private",
                                "channels": ["calls"]})  # fmt: skip
    body = {"caller": "sip:anonymous@anonymous.invalid", "callee": f"sip:{OWNER}@proxy",
            "action": "call"}  # fmt: skip
    basic = base64.b64encode(f"proxy:{api.decider}".encode()).decode()
    before = api.post(
        "/v1/phone/route", body, key=None, headers={"authorization": f"Basic {basic}"}
    )
    assert before.status_code == 200 and before.json()["route"] == "no_answer"
    dial = {"caller": f"sip:{OWNER}@proxy", "callee": "sip:911@proxy", "action": "call"}
    assert api.post("/v1/phone/route", dial, key="decide").json()["route"] == "deliver"
    after = api.post("/v1/phone/route", body, key="decide")
    assert after.json()["route"] == "deliver"


@pytest.mark.parametrize(
    "body",
    [
        {"caller": "sip:a@b", "callee": "sip:c@d", "action": "message"},
        {"caller": "", "callee": "sip:c@d", "action": "call"},
        {"caller": "sip:a@b", "callee": "x" * 600, "action": "call"},
        {"caller": "sip:a@b", "callee": "sip:c@d", "action": "call", "extra": 1},
    ],
)
def test_phone_route_refuses_bad_input_with_a_problem(api: Api, body: dict[str, object]) -> None:
    """Bad requests get a 400 problem, never a route."""
    answer = api.post("/v1/phone/route", body, key="decide")
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"


def test_attempts_are_for_admin_keys_only(stored_api: Api) -> None:
    """The owner's attempts are read with an admin key; a decide key (the proxy's) cannot.
    A held call is kept in the store, where the owner's page reads it."""
    api = stored_api
    assert api.get("/v1/attempts?owner=olive", key="decide").status_code == 403
    page = api.get("/v1/attempts?owner=olive")
    assert page.status_code == 200 and page.json() == {"attempts": [], "next": None}
    api.post("/v1/persons", {"id": "olive", "addresses": [OWNER]})
    api.post("/v1/persons", {"id": "sky", "addresses": [CALLER]})
    api.post("/v1/boundaries", {"owner": "olive", "target": "sky", "kind": "space",
                                "duration": 86_400})  # fmt: skip
    call = {"caller": f"sip:{CALLER}@example.net", "callee": f"sip:{OWNER}@proxy",
            "action": "call"}  # fmt: skip
    assert api.post("/v1/phone/route", call, key="decide").status_code == 200
    [kept] = api.get("/v1/attempts?owner=olive").json()["attempts"]
    assert (kept["channel"], kept["outcome"], kept["announced"]) == ("call", "hold", True)


@pytest.mark.parametrize(
    "change",
    [{"key": "nck_a@b"}, {"next_hop": 'sip:a"b'}, {"listen": "udp:1 2"}, {"no_answer_ms": 500},
     {"no_answer_ms": 45_500}, {"url": "http://h:1/path"}],
)  # fmt: skip
def test_proxy_settings_refuse_what_would_break_the_configuration(
    change: dict[str, object],
) -> None:
    """Values that would break out of the configuration's strings are refused."""
    base: dict[str, object] = {"url": "http://127.0.0.1:8000", "key": "nck_a_b"}
    settings = ProxySettings(**(base | change))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        settings_text(settings)
    with pytest.raises(InvalidInput):
        connection_text(settings)


def test_proxy_settings_are_written_for_kamailio() -> None:
    """The settings files say what the flags said."""
    s = ProxySettings(url="http://127.0.0.1:8000/", key="nck_a_b", no_answer_ms=60_000,
                      fail_open=False)  # fmt: skip
    text = settings_text(s)
    assert "#!define NC_NO_ANSWER_S 60" in text and "#!define NC_FAIL_CLOSED" in text
    assert "password = nck_a_b" in connection_text(s)
    assert "url = http://127.0.0.1:8000\n" in connection_text(s)


def test_cli_renders_the_proxy_and_lists_attempts(tmp_path: Path) -> None:
    """`nocontact sip-proxy --render-only` writes the three files with the flags' values,
    the key readable by its owner only; `nocontact attempts` lists what was kept."""
    from click.testing import CliRunner

    from nocontact.cli import main

    run = tmp_path / "proxy"
    result = CliRunner().invoke(main, [
        "--url", "http://127.0.0.1:8000", "--key", "nck_a_b", "sip-proxy", "--render-only",
        "--run-dir", str(run), "--listen", "udp:127.0.0.1:5099", "--no-answer", "20"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(run / "kamailio.cfg")
    assert "udp:127.0.0.1:5099" in (run / "nocontact-settings.cfg").read_text()
    assert "NC_NO_ANSWER_MS 20000" in (run / "nocontact-settings.cfg").read_text()
    assert (run / "nocontact-http.cfg").stat().st_mode & 0o077 == 0
    assert "--next-hop sip:" in CliRunner().invoke(main, ["sip-proxy", "--help"]).output
    missing = CliRunner().invoke(main, ["sip-proxy", "--render-only"])
    assert missing.exit_code == 2 and "--url and --key" in missing.output

    db = tmp_path / "nocontact.db"
    with closing(open_store(db)) as store:
        Attempts(store).record(owner="olive", caller="tel:+14155550123", channel="call",
                               outcome="hold", sealed=False, boundary="b_1", announced=True,
                               at=1_800_000_000.0)  # fmt: skip
    listed = CliRunner().invoke(main, ["--db", str(db), "attempts", "olive"])
    assert listed.exit_code == 0
    assert "call from tel:+14155550123: hold" in listed.output
    assert CliRunner().invoke(main, ["--db", str(db), "attempts", "nobody"]).output == "(none)\n"


def test_benchmark_reads_set_up_times_and_question_times(tmp_path: Path) -> None:
    """bench --sip times each call from its INVITE to its 180 in SIPp's trace (microseconds),
    and each question from the proxy's benchmark lines."""
    from nocontact.telephony.bench_sip import _ask_times, _set_up_times

    bar = "-" * 47

    def entry(at: str, head: str, first: str, call: str) -> str:
        return f"{bar} 2026-12-02\t{at}\n{head}\n\n{first}\nCall-ID: {call}\n\n"

    trace = tmp_path / "caller.log"
    sent, got = "UDP message sent (500 bytes):", "UDP message received [300] bytes :"
    trace.write_text(
        entry("10:00:00.000100", sent, "INVITE sip:x SIP/2.0", "a")
        + entry("10:00:00.000500", sent, "INVITE sip:x SIP/2.0", "b")
        + entry("10:00:00.001600", got, "SIP/2.0 180 Ringing", "a")
        + entry("10:00:00.003500", got, "SIP/2.0 180 Ringing", "b")
    )
    assert [round(t, 3) for t in _set_up_times(trace)] == [1.5, 3.0]
    log = tmp_path / "kamailio.log"
    before = b"old benchmark (timer nocontact [1]): 999 [\n"
    log.write_bytes(before + b" x benchmark (timer nocontact [1]): 650 [ msgs/total\n")
    assert _ask_times(log, len(before)) == [0.65]
