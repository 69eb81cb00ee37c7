"""A real phone network on 127.0.0.1: nocontact serve, Kamailio, and SIPp phones.

``Network`` starts ``nocontact serve`` on a SQLite file and Kamailio with the
shipped configuration in front of it; :meth:`Network.call` and
:meth:`Network.text` place a call or send a MESSAGE from a SIPp caller through
the proxy while a SIPp callee (and the mailbox) listen, and return what each
side saw, read back from SIPp's message traces with their times.

The no-answer timeout is short here (:data:`NO_ANSWER_S`) to keep the suite
quick; production networks ring for 20 to 30 seconds.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from nocontact.service.auth import KeyStore
from nocontact.telephony.proxy import KAMAILIO, ProxySettings, command, render

ROOT = Path(__file__).parents[1]
SCENARIOS = ROOT / "integrations" / "kamailio" / "sipp"
SIPP = shutil.which("sipp") or "/usr/bin/sipp"
NO_ANSWER_S = 1.5

HTTP_PORT = 8601
PROXY_PORT = 5070
CALLEE_PORT = 5080
MAILBOX_PORT = 5081
CALLER_PORT = 5090


MODULES = Path("/usr/lib/x86_64-linux-gnu/kamailio/modules")


def missing_tools() -> str | None:
    """Why the SIP tests cannot run here, or None."""
    needed = [
        ("kamailio", Path(KAMAILIO), "kamailio"),
        ("Kamailio's http_client module", MODULES / "http_client.so", "kamailio-utils-modules"),
        ("Kamailio's json module", MODULES / "json.so", "kamailio-json-modules"),
        ("sipp", Path(SIPP), "sip-tester"),
    ]
    missing = [f"{name} (apt-get install {package})" for name, path, package in needed
               if not path.exists()]  # fmt: skip
    if not missing:
        return None
    return "SIP INTEGRATION TESTS NOT RUN: missing " + ", ".join(missing)


@dataclass(frozen=True)
class Sip:
    """One SIP message a phone sent or received."""

    at: float
    sent: bool
    text: str

    @property
    def first(self) -> str:
        return self.text.split("\n", 1)[0].strip()

    @property
    def code(self) -> int | None:
        parts = self.first.split()
        return int(parts[1]) if self.first.startswith("SIP/2.0") else None

    @property
    def method(self) -> str | None:
        return None if self.first.startswith("SIP/2.0") else self.first.split()[0]

    def header(self, name: str) -> str | None:
        for line in self.text.split("\n")[1:]:
            if not line.strip():
                return None
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None


_ENTRY = re.compile(r"^-{20,} (\d{4}-\d\d-\d\d[ \t]\d\d:\d\d:\d\d\.\d+)\n", re.M)


def read_trace(path: Path) -> list[Sip]:
    """The messages in a SIPp ``-trace_msg`` file, in order."""
    if not path.exists():
        return []
    text = path.read_text(errors="replace").replace("\r\n", "\n")
    found: list[Sip] = []
    parts = _ENTRY.split(text)
    for stamp, body in zip(parts[1::2], parts[2::2], strict=True):
        when = datetime.strptime(stamp.replace("\t", " "), "%Y-%m-%d %H:%M:%S.%f").timestamp()
        head, _, message = body.partition("\n")
        found.append(Sip(when, " sent " in f" {head} ", message.strip("\n") + "\n"))
    return found


@dataclass
class Seen:
    """What each phone saw of one call or message."""

    caller: list[Sip]
    callee: list[Sip]
    mailbox: list[Sip]

    @property
    def answers(self) -> list[Sip]:
        """The responses to the caller's INVITE or MESSAGE, in order."""
        method = self.caller[0].method or ""
        return [
            m
            for m in self.caller
            if not m.sent and m.code is not None and (m.header("CSeq") or "").endswith(method)
        ]

    @property
    def codes(self) -> list[int]:
        return [m.code for m in self.answers if m.code is not None]

    def at(self, code: int) -> float:
        return next(m.at for m in self.caller if not m.sent and m.code == code)

    @property
    def started(self) -> float:
        return self.caller[0].at

    def received(self, side: str, method: str) -> list[Sip]:
        return [m for m in getattr(self, side) if not m.sent and m.method == method]


@dataclass
class Network:
    folder: Path
    key: str
    admin: httpx.Client
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    serial: int = 0

    # -- nocontact, as a product's back office sets it up ----------------------

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.admin.post(path, json=body)
        assert answer.status_code in (200, 201), answer.text
        result: dict[str, Any] = answer.json()
        return result

    def person(self, person: str, *numbers: str) -> None:
        self.post("/v1/persons", {"id": person, "addresses": list(numbers)})

    def boundary(self, owner: str, target: str, kind: str = "block", **more: Any) -> str:
        found: str = self.post("/v1/boundaries", {"owner": owner, "target": target, "kind": kind,
                                                  **more})["id"]  # fmt: skip
        return found

    def attempts(self, owner: str) -> list[dict[str, Any]]:
        answer = self.admin.get("/v1/attempts", params={"owner": owner})
        assert answer.status_code == 200, answer.text
        rows: list[dict[str, Any]] = answer.json()["attempts"]
        return rows

    # -- phones ------------------------------------------------------------------

    def _sipp(self, scenario: str, port: int, trace: Path, *extra: str) -> list[str]:
        return [
            SIPP, "-sf", str(SCENARIOS / scenario), "-i", "127.0.0.1", "-p", str(port),
            "-nostdin", "-trace_msg", "-message_file", str(trace), *extra,
        ]  # fmt: skip

    @contextmanager
    def listening(
        self, scenario: str | None, port: int, trace: Path, wait: float
    ) -> Iterator[None]:
        """A SIPp phone answering one call with ``scenario``.

        After the caller is done, the phone has ``wait`` seconds to finish its
        call; then it is asked to quit (SIGUSR1: SIPp exits cleanly and writes
        its trace), so a phone nobody called costs only that wait.
        """
        if scenario is None:
            yield
            return
        argv = self._sipp(scenario, port, trace, "-m", "1")
        phone = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.15)  # bound and listening
        try:
            yield
        finally:
            try:
                phone.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                phone.send_signal(signal.SIGUSR1)
                try:
                    phone.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    phone.kill()
                    phone.wait()

    def _place(
        self,
        scenario: str,
        caller: str,
        callee: str,
        *,
        answer: str | None,
        mailbox: str | None,
        withheld: bool,
        listen: float,
    ) -> Seen:
        self.serial += 1
        traces = [self.folder / f"{self.serial}-{side}.log" for side in ("caller", "callee", "box")]
        anonymous = withheld or caller == "anonymous"
        keys = [
            "-key", "from",
            "sip:anonymous@anonymous.invalid" if anonymous else f"sip:{caller}@127.0.0.1",
            "-key", "asserted", caller,
            "-key", "privacy", "id" if withheld else "none",
            "-key", "callee", callee,
        ]  # fmt: skip
        answers = str(SCENARIOS / "uas_message.xml")  # the space message sent back
        argv = self._sipp(scenario, CALLER_PORT, traces[0], f"127.0.0.1:{PROXY_PORT}",
                          "-m", "1", "-timeout", "15", "-oocsf", answers, *keys)  # fmt: skip
        with (
            self.listening(answer, CALLEE_PORT, traces[1], listen),
            self.listening(mailbox, MAILBOX_PORT, traces[2], listen),
        ):
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20)
        return Seen(*(read_trace(t) for t in traces))

    def call(
        self,
        caller: str,
        callee: str,
        *,
        answer: str | None = "uas_answer.xml",
        mailbox: str | None = None,
        withheld: bool = False,
        listen: float = 0.3,
    ) -> Seen:
        """``caller`` calls ``callee`` (numbers) through the proxy."""
        return self._place("uac_call.xml", caller, callee, answer=answer, mailbox=mailbox,
                           withheld=withheld, listen=listen)  # fmt: skip

    def hang_up(
        self, caller: str, callee: str, *, answer: str | None = "uas_ring.xml", listen: float = 2.0
    ) -> Seen:
        """``caller`` calls ``callee`` and hangs up (CANCEL) while it rings."""
        return self._place("uac_cancel.xml", caller, callee, answer=answer, mailbox=None,
                           withheld=False, listen=listen)  # fmt: skip

    def text(
        self,
        caller: str,
        callee: str,
        *,
        answer: str | None = "uas_message.xml",
        mailbox: str | None = None,
        withheld: bool = False,
        listen: float = 0.3,
    ) -> Seen:
        """``caller`` sends ``callee`` a MESSAGE through the proxy."""
        return self._place("uac_message.xml", caller, callee, answer=answer, mailbox=mailbox,
                           withheld=withheld, listen=listen)  # fmt: skip

    def proxy_log(self) -> str:
        return (self.folder / "kamailio.log").read_text(errors="replace")


def _wait_http(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=0.5).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def _wait_log(path: Path, text: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.05)
    raise RuntimeError(f"no {text!r} in {path}")


def start_proxy(
    folder: Path, settings: ProxySettings, procs: list[subprocess.Popen[bytes]]
) -> Path:
    """Kamailio with the shipped configuration; its log file."""
    cfg = render(settings, folder)
    log = folder / "kamailio.log"
    with log.open("wb") as out:
        procs.append(subprocess.Popen(command(cfg), stdout=out, stderr=subprocess.STDOUT))
    _wait_log(log, "SO_RCVBUF is finally", time.monotonic() + 10)
    time.sleep(0.3)  # children forked
    return log


@contextmanager
def network(folder: Path, *, nocontact_url: str | None = None, **proxy: Any) -> Iterator[Network]:
    """nocontact serve and Kamailio on 127.0.0.1; everything stopped at the end."""
    db = folder / "nocontact.db"
    keys = KeyStore(db)
    _, admin_key = keys.create("back-office", "admin")
    _, phone_key = keys.create("phone-network", "decide")
    keys.close()
    procs: list[subprocess.Popen[bytes]] = []
    url = f"http://127.0.0.1:{HTTP_PORT}"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    serve = [sys.executable, "-c", "from nocontact.cli import main; main()", "--db", str(db),
             "serve", "--host", "127.0.0.1", "--port", str(HTTP_PORT)]  # fmt: skip
    try:
        with (folder / "serve.log").open("wb") as out:
            procs.append(subprocess.Popen(serve, stdout=out, stderr=subprocess.STDOUT, env=env))
        _wait_http(url, time.monotonic() + 20)
        settings = ProxySettings(
            url=nocontact_url or url,
            key=phone_key,
            listen=f"udp:127.0.0.1:{PROXY_PORT}",
            next_hop=f"sip:127.0.0.1:{CALLEE_PORT}",
            mailbox=f"sip:127.0.0.1:{MAILBOX_PORT}",
            no_answer_ms=round(NO_ANSWER_S * 1000),
            **proxy,
        )
        start_proxy(folder, settings, procs)
        headers = {"authorization": f"Bearer {admin_key}"}
        with httpx.Client(base_url=url, headers=headers, timeout=10) as admin:
            yield Network(folder, phone_key, admin, procs)
    finally:
        for proc in reversed(procs):
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
