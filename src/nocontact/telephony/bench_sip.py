"""``nocontact bench --sip``: what asking nocontact adds to call set-up, through Kamailio.

On 127.0.0.1: ``nocontact serve`` (one worker, access log off) on a seeded
throwaway database, Kamailio with the shipped configuration, a SIPp callee
that rings and answers at once, and a SIPp caller placing calls between the
seeded numbers. The same runs go through the same proxy with the question
switched off (``ProxySettings.ask=False``), and through the same proxy asking
from embedded Python (``ProxySettings.python``), the alternative to its
http_client module:

- set-up time, INVITE sent to 180 Ringing received, p50 and p99, at a steady
  rate (SIPp's response-time trace, every call);
- calls per second through the proxy, each a whole call (INVITE, 180, 200,
  ACK, BYE, 200), with at most :data:`IN_FLIGHT` calls in flight.

Everything (SIPp twice, Kamailio, the service) shares the machine's cores, as
a small carrier node would share one host.
"""

from __future__ import annotations

import dataclasses
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .proxy import SHIPPED, ProxySettings, command, render

SECTION = "bench-sip"
PEOPLE = 1_000
MUTES = 200
IN_FLIGHT = 50
ROUNDS = 3
SIPP = "/usr/bin/sipp"


@dataclass(frozen=True, slots=True)
class Ports:
    http: int = 8600
    proxy: int = 5060
    callee: int = 5080
    caller: int = 5090


@dataclass(frozen=True, slots=True)
class Mode:
    """One proxy set-up measured: with or without asking nocontact."""

    p50_ms: float
    p99_ms: float
    calls: int
    cps: float
    #: Inside the proxy: how long each question to nocontact took (asking only).
    ask_p50_ms: float | None = None
    ask_p99_ms: float | None = None


@dataclass(frozen=True, slots=True)
class SipResults:
    rate: int
    asking: Mode
    baseline: Mode
    command: str
    #: The machine's load average when the run ended (other work disturbs the figures).
    load: float = 0.0
    #: Asking from Kamailio's embedded Python (app_python3) instead of http_client.
    python: Mode | None = None


def _number(i: int) -> str:
    return f"+1415{2_000_000 + i:07d}"


def _seed(path: Path, exe: str) -> str:
    """Seeded persons and mutes; a ``decide`` key, made by the CLI (this layer is below
    the service's key table)."""
    from nocontact.engine import Engine

    rng = random.Random(42)
    with Engine.open(path) as engine:
        for i in range(PEOPLE):
            engine.add_person(f"p{i}", addresses=[_number(i)])
        for _ in range(MUTES):  # some calls are routed quietly: the longer path
            a, b = rng.sample(range(PEOPLE), 2)
            engine.set_boundary(f"p{a}", f"p{b}", "mute")
    made = subprocess.run(
        [exe, "--db", str(path), "keys", "create", "--name", "bench-sip", "--scope", "decide"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return made.stdout.strip()


def _pairs(path: Path, count: int) -> None:
    rng = random.Random(7)
    lines = ["SEQUENTIAL"]
    for _ in range(count):
        a, b = rng.sample(range(PEOPLE), 2)
        lines.append(f"{_number(a)};{_number(b)}")
    path.write_text("\n".join(lines) + "\n")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _wait_port(port: int) -> None:
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nocontact serve did not start")


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _caller(folder: Path, ports: Ports, *extra: str) -> list[str]:
    return [
        SIPP, "-sf", str(SHIPPED / "sipp" / "uac_bench.xml"), f"127.0.0.1:{ports.proxy}",
        "-i", "127.0.0.1", "-p", str(ports.caller), "-inf", str(folder / "pairs.csv"),
        "-nostdin", "-timeout", "120", *extra,
    ]  # fmt: skip


def _mode(folder: Path, settings: ProxySettings, ports: Ports, rate: int, seconds: float) -> Mode:
    run = folder / ("python" if settings.python else "asking" if settings.ask else "baseline")
    cfg = render(settings, run)
    out = (run / "kamailio.log").open("wb")
    proxy = subprocess.Popen(command(cfg), stdout=out, stderr=subprocess.STDOUT)
    callee = subprocess.Popen(
        [SIPP, "-sf", str(SHIPPED / "sipp" / "uas_answer.xml"), "-i", "127.0.0.1",
         "-p", str(ports.callee), "-nostdin"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(1.5)  # Kamailio forks its children; the callee binds
        warm = _caller(folder, ports, "-r", str(rate), "-m", str(rate))
        subprocess.run(warm, cwd=run, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        calls = round(rate * seconds)
        trace = run / "caller.log"
        steady = _caller(folder, ports, "-r", str(rate), "-m", str(calls),
                         "-trace_msg", "-message_file", str(trace))  # fmt: skip
        mark = (run / "kamailio.log").stat().st_size
        subprocess.run(steady, cwd=run, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times = _set_up_times(trace)
        asked = _ask_times(run / "kamailio.log", mark)
        burst = 5 * calls
        flood = _caller(folder, ports, "-r", "100000", "-l", str(IN_FLIGHT), "-m", str(burst))
        started = time.perf_counter()
        subprocess.run(flood, cwd=run, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - started
    finally:
        _stop(callee, signal.SIGUSR1)
        _stop(proxy)
        out.close()
    return Mode(
        _pct(times, 0.5), _pct(times, 0.99), len(times), burst / elapsed,
        _pct(asked, 0.5) if asked else None, _pct(asked, 0.99) if asked else None,
    )  # fmt: skip


_ENTRY = re.compile(r"^-{20,} \S+[ \t](\d\d):(\d\d):(\d\d\.\d+)\n(.*?)(?=^-{20,} |\Z)", re.M | re.S)
_CALL_ID = re.compile(r"^Call-ID:\s*(\S+)", re.M | re.I)


def _set_up_times(trace: Path) -> list[float]:
    """Per call, from the INVITE the caller sent to the 180 it received, in milliseconds."""
    sent: dict[str, float] = {}
    found: list[float] = []
    for h, m, sec, body in _ENTRY.findall(trace.read_text(errors="replace")):
        at = int(h) * 3600 + int(m) * 60 + float(sec)
        head, _, message = body.partition("\n")
        call = _CALL_ID.search(message)
        if call is None:
            continue
        first = message.lstrip().split("\n", 1)[0]
        if " sent " in f" {head} " and first.startswith("INVITE "):
            sent.setdefault(call.group(1), at)
        elif first.startswith("SIP/2.0 180") and call.group(1) in sent:
            found.append((at - sent.pop(call.group(1))) * 1000)
    if not found:
        raise RuntimeError(f"no set-up times in {trace}")
    return found


_TIMER = re.compile(r"benchmark \(timer nocontact \[\d+\]\): (\d+) ")


def _ask_times(log: Path, start: int) -> list[float]:
    """How long each question to nocontact took inside the proxy, in milliseconds."""
    with log.open("rb") as f:
        f.seek(start)
        text = f.read().decode(errors="replace")
    return [int(us) / 1000 for us in _TIMER.findall(text)]


def run(
    rate: int = 100,
    seconds: float = 20.0,
    ports: Ports | None = None,
    command_line: str = "nocontact bench --sip",
) -> SipResults:
    """Measure both modes; everything started here is stopped before returning."""
    ports = ports or Ports()
    folder = Path(tempfile.mkdtemp(prefix="nocontact-bench-sip-"))
    db = folder / "bench.db"
    try:
        exe = shutil.which("nocontact") or "nocontact"
        key = _seed(db, exe)
        _pairs(folder / "pairs.csv", 10_000)
        env = {**os.environ, "NOCONTACT_ACCESS_LOG": "false", "NOCONTACT_LOG_LEVEL": "warning"}
        server = subprocess.Popen(
            [exe, "--db", str(db), "serve", "--host", "127.0.0.1", "--port", str(ports.http)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            _wait_port(ports.http)
            settings = ProxySettings(
                timed=True,
                url=f"http://127.0.0.1:{ports.http}",
                key=key,
                listen=f"udp:127.0.0.1:{ports.proxy}",
                next_hop=f"sip:127.0.0.1:{ports.callee}",
                mailbox=f"sip:127.0.0.1:{ports.callee}",
            )
            plain = dataclasses.replace(settings, ask=False, timed=False)
            embedded = dataclasses.replace(settings, python=True)
            rounds = [
                (_mode(folder, settings, ports, rate, seconds),
                 _mode(folder, plain, ports, rate, seconds),
                 _mode(folder, embedded, ports, rate, seconds))
                for _ in range(ROUNDS)
            ]  # fmt: skip
            asking = _median_mode([r[0] for r in rounds])
            baseline = _median_mode([r[1] for r in rounds])
            python = _median_mode([r[2] for r in rounds])
        finally:
            _stop(server)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return SipResults(rate, asking, baseline, command_line, os.getloadavg()[0], python)


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def _median_mode(modes: list[Mode]) -> Mode:
    """Each figure the median of the rounds (a shared machine disturbs single rounds)."""
    asked = [m for m in modes if m.ask_p50_ms is not None and m.ask_p99_ms is not None]
    return Mode(
        _median([m.p50_ms for m in modes]),
        _median([m.p99_ms for m in modes]),
        sum(m.calls for m in modes),
        _median([m.cps for m in modes]),
        _median([m.ask_p50_ms for m in asked if m.ask_p50_ms is not None]) if asked else None,
        _median([m.ask_p99_ms for m in asked if m.ask_p99_ms is not None]) if asked else None,
    )


def markdown(r: SipResults) -> str:
    """The SIP section of ``BENCHMARKS.md`` (without its markers)."""
    a, b = r.asking, r.baseline
    ask50, ask99 = a.ask_p50_ms or 0.0, a.ask_p99_ms or 0.0
    p = r.python
    py = (
        f"{p.ask_p50_ms:.2f} ms / {p.ask_p99_ms:.2f} ms, set-up p50 {p.p50_ms:.2f} ms, "
        f"p99 {p.p99_ms:.2f} ms, {p.cps:,.0f} calls/s"
        if p is not None and p.ask_p50_ms is not None and p.ask_p99_ms is not None
        else "not measured"
    )
    met = "met" if a.ask_p99_ms is not None and ask99 < 5 else "**missed**"
    return f"""## A SIP proxy asking nocontact

Kamailio with the shipped configuration (`integrations/kamailio/`) asks
`nocontact serve` (one worker) for every INVITE over a pooled keep-alive
connection; the same proxy not asking is the baseline. SIPp places calls
between {PEOPLE:,} seeded numbers ({MUTES} of the pairs muted, so some calls
take the quiet route) to a SIPp callee that rings and answers at once; all on
127.0.0.1 on this 2-core machine, shared with other work (load average
{r.load:.1f} at the end of the run). Each figure is the median of {ROUNDS}
rounds, the three set-ups alternating.

- *Time asking*: measured inside the proxy (Kamailio's benchmark module
  around the question), per call: what the decision adds to call set-up.
- *Set-up time*: at the caller, from the INVITE sent to the 180 Ringing
  received, every call at a steady {r.rate} calls/s.
- *Calls per second*: whole calls (INVITE, 180, 200, ACK, BYE, 200) as fast
  as the proxy takes them, at most {IN_FLIGHT} in flight.

| | with nocontact | without | target |
|---|---|---|---|
| time asking nocontact, p50 / p99 | {ask50:.2f} ms / {ask99:.2f} ms | | p99 < 5 ms: {met} |
| set-up time p50 | {a.p50_ms:.2f} ms | {b.p50_ms:.2f} ms | |
| set-up time p99 | {a.p99_ms:.2f} ms | {b.p99_ms:.2f} ms | |
| calls per second through the proxy | {a.cps:,.0f} | {b.cps:,.0f} | |

Asking from Kamailio's embedded Python instead (`app_python3`, the same
question over one keep-alive `http.client` connection per worker; the
configuration's `NC_PYTHON` switch), measured in the same rounds: time asking
p50 / p99 {py}.

{a.calls:,} and {b.calls:,} calls timed. Command: `{r.command}`.
"""
