"""Render and run the shipped Kamailio configuration.

``integrations/kamailio/kamailio.cfg`` is used as it is; its settings live in
``nocontact-settings.cfg`` and ``nocontact-http.cfg`` next to it, which
:func:`render` writes from a :class:`ProxySettings` into a run folder.
:func:`command` is the Kamailio command line that runs it in the foreground,
logging to stderr.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from nocontact.core.errors import InvalidInput

#: Where the shipped configuration lives, in a source checkout.
SHIPPED = Path(__file__).resolve().parents[3] / "integrations" / "kamailio"
KAMAILIO = "/usr/sbin/kamailio"
#: Characters that would break a ``#!substdef`` line or a quoted string of the configuration.
_UNSAFE = set('!"\\\r\n \t')
#: The key also goes into a URL's userinfo.
_UNSAFE_IN_KEY = set("@:/?#%")


@dataclass(frozen=True, slots=True)
class ProxySettings:
    """Everything ``nocontact-settings.cfg`` says; see docs/telephony.md."""

    url: str
    key: str
    listen: str = "udp:127.0.0.1:5060"
    next_hop: str = "sip:127.0.0.1:5080"
    mailbox: str = "sip:127.0.0.1:5081"
    no_answer_ms: int = 30_000
    timeout_s: int = 1
    fail_open: bool = True
    #: False only to measure the proxy without nocontact (the benchmark's baseline).
    ask: bool = True
    #: Log how long each question took (for the benchmark).
    timed: bool = False
    #: Ask from embedded Python (app_python3) instead of http_client: the measured alternative.
    python: bool = False

    def check(self) -> None:
        for name in ("url", "key", "listen", "next_hop", "mailbox"):
            value = getattr(self, name)
            bad = _UNSAFE | (_UNSAFE_IN_KEY if name == "key" else set())
            if not value or bad & set(value):
                raise InvalidInput(f"{name} {value!r} cannot go into the configuration", field=name)
        if not 1_000 <= self.no_answer_ms <= 100_000 or (
            self.no_answer_ms > 30_000 and self.no_answer_ms % 1000
        ):
            raise InvalidInput(
                "the no-answer timeout is 1 to 100 seconds (whole seconds above 30)",
                field="no_answer_ms",
            )
        if not re.fullmatch(r"https?://[^/@\s]+/?", self.url):
            raise InvalidInput(f"url {self.url!r} must be scheme://host:port", field="url")
        if not 1 <= self.timeout_s <= 10:
            raise InvalidInput("the nocontact timeout is 1 to 10 seconds", field="timeout_s")


def settings_text(s: ProxySettings, folder: Path | None = None) -> str:
    """``nocontact-settings.cfg`` for ``s`` (``folder``: where the files are, for Python)."""
    s.check()
    subst = {
        "NC_LISTEN": s.listen,
        "NC_NEXT_HOP": s.next_hop,
        "NC_MAILBOX": s.mailbox,
    }
    lines = ["# Written by nocontact sip-proxy."]
    lines += [f'#!substdef "!{name}!{value}!g"' for name, value in subst.items()]
    lines.append(f"#!define NC_NO_ANSWER_MS {s.no_answer_ms}")
    if s.no_answer_ms > 30_000:  # async_ms_route sleeps at most 30 s; async_route in seconds
        lines.append(f"#!define NC_NO_ANSWER_S {s.no_answer_ms // 1000}")
    if not s.fail_open:
        lines.append("#!define NC_FAIL_CLOSED")
    if not s.ask:
        lines.append("#!define NC_DISABLED")
    if s.timed:
        lines.append("#!define NC_BENCH")
    if s.python and folder is not None:
        lines.append("#!define NC_PYTHON")
        lines.append(f'#!substdef "!NC_PYTHON_SCRIPT!{folder / "nocontact_ask.py"}!g"')
        lines.append(f'#!substdef "!NC_HTTP_CFG!{folder / "nocontact-http.cfg"}!g"')
    return "\n".join(lines) + "\n"


def connection_text(s: ProxySettings) -> str:
    """``nocontact-http.cfg``: where nocontact is, and the key (the Basic password)."""
    s.check()
    return (
        "# Written by nocontact sip-proxy.\n[nocontact]\n"
        f"url = {s.url.rstrip('/')}\nusername = proxy\npassword = {s.key}\n"
        f"authmethod = 1\ntimeout = {s.timeout_s}\n"
    )


def render(s: ProxySettings, folder: Path, shipped: Path = SHIPPED) -> Path:
    """Write the configuration and its settings into ``folder``; the path of kamailio.cfg."""
    if not (shipped / "kamailio.cfg").is_file():
        raise InvalidInput(
            f"no kamailio.cfg in {shipped}: pass the integrations/kamailio folder of a"
            " nocontact source checkout (--config-dir)",
            field="config_dir",
        )
    folder.mkdir(parents=True, exist_ok=True)
    cfg = folder / "kamailio.cfg"
    shutil.copyfile(shipped / "kamailio.cfg", cfg)
    folder = folder.resolve()
    if _UNSAFE & set(str(folder)):
        raise InvalidInput(f"the run folder {str(folder)!r} cannot go into the configuration")
    shutil.copyfile(shipped / "nocontact_ask.py", folder / "nocontact_ask.py")
    (folder / "nocontact-settings.cfg").write_text(settings_text(s, folder))
    connection = folder / "nocontact-http.cfg"
    connection.write_text(connection_text(s))
    connection.chmod(0o600)  # it holds the key
    return cfg


def command(cfg: Path, *, kamailio: str = KAMAILIO) -> list[str]:
    """Kamailio in the foreground on ``cfg``, logging to stderr, its runtime files beside it."""
    run = cfg.parent
    return [
        kamailio, "-f", str(cfg), "-DD", "-E", "-m", "64", "-M", "8",
        "-Y", str(run), "-P", str(run / "kamailio.pid"), "-w", str(run),
    ]  # fmt: skip
