"""Browser fixtures: a live server with a movable clock, Chromium, people signed in.

The server runs the real app (uvicorn, in a thread of this process) on a
fresh SQLite file seeded with the demo world, over an engine whose clock only
the test moves: ``server.clock.advance(seconds)``. That clock is reachable
only here; the served app never takes one.

Chromium is Debian's (``/usr/bin/chromium``): Playwright drives it and never
downloads a browser. When it or Playwright is missing, every browser test is
skipped with the reason, and the report header says so in capitals.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from nocontact.engine import Engine
from nocontact.store.sqlite import SQLiteStore
from nocontact.web.app import WebConfig, create_app, web_of
from nocontact.web.demo import seed
from nocontact.web.gateway import Gateway
from nocontact.web.gateway import people as people_module
from nocontact.web.store import ContentStore
from tests.conftest import FakeClock

# Tests hash passphrases with argon2id still, with the smallest costs: a world is
# seeded per test, and the production costs are a deliberate tenth of a second each.
people_module._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

CHROMIUM = os.environ.get("NOCONTACT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def _why_no_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install 'nocontact[dev]')"
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    return None


NO_BROWSER = _why_no_browser()


def pytest_report_header() -> str:
    if NO_BROWSER:
        return f"BROWSER TESTS WILL BE SKIPPED: {NO_BROWSER}"
    return f"browser tests: Playwright with {CHROMIUM}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if NO_BROWSER is None:
        return
    for item in items:
        if "browser" in item.fixturenames:
            item.add_marker(pytest.mark.skip(reason=f"BROWSER TEST SKIPPED: {NO_BROWSER}"))


def _free_port() -> int:
    """A free port on 127.0.0.1; NOCONTACT_TEST_PORTS=lo-hi keeps to a range."""
    lo, _, hi = os.environ.get("NOCONTACT_TEST_PORTS", "0-0").partition("-")
    for port in range(int(lo), int(hi) + 1) if int(lo) else [0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise RuntimeError("no free port in NOCONTACT_TEST_PORTS")


@dataclass
class Server:
    url: str
    clock: FakeClock
    engine: Engine
    app: Any
    db: Path

    @property
    def gateway(self) -> Gateway:
        return web_of(self.app).gateway


def start_server(
    folder: Path, *, demo_world: bool = True, demo: bool = True
) -> tuple[Server, Callable[[], None]]:
    import uvicorn

    clock = FakeClock()
    path = folder / "web.db"
    engine = Engine(SQLiteStore.open(path, synchronous="OFF"), clock=clock)
    store = ContentStore(engine.store)
    app = create_app(lambda: engine, store, config=WebConfig(demo=demo))
    if demo_world:
        seed(web_of(app).gateway)
    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
        timeout_graceful_shutdown=1,
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        engine.close()

    return Server(f"http://127.0.0.1:{port}", clock, engine, app, path), stop


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """The app on a fresh demo world, with a clock only this test moves."""
    found, stop = start_server(tmp_path)
    yield found
    stop()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for a module whose tests change nothing stored (they check so)."""
    found, stop = start_server(tmp_path_factory.mktemp("web"))
    yield found
    stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


class Person:
    """One person's browser window: a context of its own, signed in."""

    def __init__(self, server: Server, context: Any, name: str) -> None:
        self.server = server
        self.context = context
        self.name = name
        self.page = context.new_page()
        self.csp_errors: list[str] = []
        self.page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.csp_errors.append(message.text)

    def go(self, path: str) -> Any:
        self.page.goto(self.server.url + path)
        return self.page

    def text(self, path: str | None = None) -> str:
        if path is not None:
            self.go(path)
        return str(self.page.inner_text("body"))


@pytest.fixture
def people(server: Server, browser: Any) -> Iterator[Callable[[str], Person]]:
    """``people("Sam")``: a new browser context signed in as that demo person."""
    opened: list[Person] = []

    def open_as(name: str) -> Person:
        context = browser.new_context(viewport={"width": 1100, "height": 800})
        person = Person(server, context, name)
        person.go("/signin")
        person.page.get_by_role("button", name=f"Sign in as {name}").click()
        person.page.wait_for_url("**/feed")
        opened.append(person)
        return person

    yield open_as
    for person in opened:
        assert not person.csp_errors, person.csp_errors
        person.context.close()


def shot(page: Any, name: str) -> Path:
    """A screenshot for the docs: docs/screenshots/NAME.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate(
        "async () => JSON.stringify((await axe.run(document, {resultTypes: ['violations']}))"
        ".violations.filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))"
    )
    found: list[dict[str, Any]] = json.loads(result)
    return found


def assert_accessible(page: Any) -> None:
    violations = axe_violations(page)
    assert not violations, f"{page.url}: {json.dumps(violations, indent=1)}"


# -- what people do, as they would do it -------------------------------------------


def set_boundary(
    person: Person,
    target: str,
    kind: str = "block",
    *,
    address: str = "",
    duration: str = "forever",
    note: str = "",
    disclosure: str = "silent",
    keep_evidence: bool = False,
    on_end: str = "deliver",
) -> None:
    """Fill and send the Boundaries form."""
    page = person.go("/boundaries")
    if target:
        page.select_option("#target", target)
    if address:
        page.fill("#address", address)
    page.check(f"#kind-{kind}")
    page.check(f"#d-{duration}")
    page.check(f"#disc-{disclosure}")
    if keep_evidence:
        page.check("#keep_evidence")
    if note:
        page.fill("#note", note)
    page.check(f"#end-{on_end}")
    page.get_by_role("button", name="Set boundary").click()
    page.wait_for_load_state()


def send_message(person: Person, peer: str, body: str) -> str:
    """Send a direct message; the tick the sender then sees on it."""
    page = person.go(f"/messages/{peer}")
    page.fill("#body", body)
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(f"**/messages/{peer}")
    return str(page.locator(".line.mine .tick").last.inner_text())


def dial(person: Person, number: str, kind: str = "call", body: str = "", source: str = "") -> str:
    """Call or text a number from the phone screen; the status the caller sees."""
    page = person.go("/phone")
    prefix = "call" if kind == "call" else "sms"
    if source:
        page.select_option(f"#{prefix}-from", source)
    page.fill(f"#{prefix}-to", number)
    if kind == "sms":
        page.fill("#sms-body", body)
    page.get_by_role("button", name="Call" if kind == "call" else "Send text").click()
    page.wait_for_url("**/phone")
    return str(page.locator(".calls .status").first.inner_text())


def post_id(server: Server, body_start: str) -> int:
    """The id of the demo post whose text starts so (read straight from the test's store)."""
    import sqlite3

    conn = sqlite3.connect(server.db)
    try:
        row = conn.execute(
            "SELECT id FROM web_posts WHERE body LIKE ? ORDER BY id LIMIT 1", (body_start + "%",)
        ).fetchone()
    finally:
        conn.close()
    return int(row[0])
