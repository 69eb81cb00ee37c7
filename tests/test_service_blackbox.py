"""`nocontact serve` as a subprocess on a free port, driven by the client and the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from nocontact.cli import main
from nocontact.client import AsyncClient, Client, ProblemError, Unreachable

EXE = shutil.which("nocontact") or str(Path(sys.executable).parent / "nocontact")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, process: subprocess.Popen[str], url: str, key: str) -> None:
        self.process, self.url, self.key = process, url, key


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    db = str(tmp_path_factory.mktemp("blackbox") / "served.db")
    made = CliRunner().invoke(
        main, ["--db", db, "--json", "keys", "create", "--name", "t", "--scope", "admin"]
    )
    key = json.loads(made.output)["key"]
    port = free_port()
    env = {**os.environ, "NOCONTACT_ACCESS_LOG": "true"}
    process = subprocess.Popen(
        [EXE, "serve", "--db", db, "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("the server did not start: " + process.communicate()[1])
    yield Server(process, url, key)
    if process.poll() is None:
        process.kill()
        process.communicate()


def test_client_drives_the_server(server: Server) -> None:
    """The typed client sets people and a block, and reads the decision back fresh."""
    with Client(server.url, server.key) as api:
        api.add_person("alex", addresses=["acct:chirp:alex"])
        api.add_person("sam", addresses=["+1 415 555 0123"])
        made = api.set_boundary("alex", "sam", "block")
        d = api.decide("tel:+14155550123", "call", "alex", min_revision=made.revision)
        assert (d.outcome, d.actor_sees, d.explanation) == ("drop", "delivered", None)
        assert [b.id for b in api.boundaries("alex").items] == [made.id]
        batch = api.decide_batch([{"actor": "sam", "action": "message", "target": "alex"}] * 3)
        assert [x.outcome for x in batch.decisions] == ["drop"] * 3
        with pytest.raises(ProblemError) as raised:
            api.set_boundary("alex", "alex")
        assert raised.value.code == "self_boundary" and raised.value.status == 400


def test_async_client(server: Server) -> None:
    """The async client answers the same decisions."""

    async def ask() -> str:
        async with AsyncClient(server.url, server.key) as api:
            await api.add_person("jo")
            await api.add_person("kim")
            await api.set_boundary("kim", "jo", "mute")
            return (await api.decide("jo", "message", "kim")).outcome

    assert asyncio.run(ask()) == "deliver_quietly"


def test_item15_async_client_drives_every_call(server: Server) -> None:
    """The calls AsyncClient lacked answer as Client's do, against a real server."""

    async def drive() -> None:
        async with AsyncClient(server.url, server.key) as api:
            await api.add_person("ann")
            await api.add_person("bo")
            linked = await api.link_address("ann", "+1 415 555 0142")
            assert linked.addresses == ["tel:+14155550142"]
            assert (await api.person("ann")).addresses == ["tel:+14155550142"]
            assert (await api.unlink_address("ann", "tel:+14155550142")).addresses == []
            assert (await api.add_contact("ann", "bo")).revision > linked.revision
            made = await api.set_boundary("ann", "bo", "mute")
            assert [b.id for b in (await api.boundaries("ann")).items] == [made.id]
            assert (await api.boundary(made.id)).kind == "mute"
            assert (await api.emergency("ann")).revision > made.revision

    asyncio.run(drive())


def test_async_client_lists_import_export(server: Server) -> None:
    """AsyncClient's list, import and export calls against a real server."""

    async def drive() -> None:
        async with AsyncClient(server.url, server.key) as api:
            for person in ("una", "cal", "pest"):
                await api.add_person(person)
            made = await api.create_list("cal", "Pests", list_id="pests", members=["pest"])
            assert made.members == 1 and made.applies
            await api.add_list_members("pests", ["+1 415 555 0155"])
            assert await api.list_members("pests") == ["pest", "tel:+14155550155"]
            await api.remove_list_member("pests", "tel:+14155550155")
            assert (await api.subscribe("una", "pests", "mute")).kind == "mute"
            assert (await api.decide("pest", "message", "una")).outcome == "deliver_quietly"
            assert [x.list for x in (await api.subscriptions("una")).subscriptions] == ["pests"]
            await api.suspend_curator("cal")
            assert not (await api.get_list("pests")).applies
            await api.suspend_curator("cal", False)
            done = await api.import_content("x@y.org\n", owner="una", format="mastodon-blocks")
            assert done.rows == 1
            assert "x@y.org" in (await api.export("mastodon-blocks", owner="una")).content
            await api.unsubscribe("una", "pests")
            await api.delete_list("pests")

    asyncio.run(drive())


def test_cli_url(server: Server) -> None:
    """`nocontact --url ... decide` asks the running server instead of a file."""
    run = CliRunner().invoke
    args = ["--url", server.url, "--key", server.key]
    assert run(main, [*args, "person", "add", "lee"]).exit_code == 0
    assert run(main, [*args, "person", "add", "ray"]).exit_code == 0
    added = run(main, [*args, "boundary", "add", "lee", "ray", "--kind", "block"])
    assert added.exit_code == 0 and "block -> ray" in added.output
    out = run(main, [*args, "decide", "ray", "message", "lee"]).output
    assert "outcome:    drop" in out
    assert "block" in run(main, [*args, "boundary", "list", "lee"]).output
    bad = run(main, [*args, "boundary", "add", "lee", "lee"])
    assert bad.exit_code == 2 and "self_boundary" in bad.output


def test_cli_url_lists_import_export(server: Server, tmp_path: Path) -> None:
    """`nocontact --url ... list/import/export` work on the running server, problems included."""
    run = CliRunner().invoke
    args = ["--url", server.url, "--key", server.key]
    for person in ("olga", "cleo", "spammy"):
        assert run(main, [*args, "person", "add", person]).exit_code == 0
    made = run(main, [*args, "list", "create", "cleo", "Spam", "--id", "spamlist"])
    assert made.exit_code == 0, made.output
    assert run(main, [*args, "list", "add", "spamlist", "spammy", "+1 415 555 0166"]).exit_code == 0
    assert run(main, [*args, "list", "subscribe", "olga", "spamlist"]).exit_code == 0
    assert "outcome:    drop" in run(main, [*args, "decide", "spammy", "message", "olga"]).output
    shown = run(main, [*args, "list", "show", "spamlist"]).output
    assert "tel:+14155550166" in shown and "spammy" in shown
    assert run(main, [*args, "list", "remove", "spamlist", "+1 415 555 0166"]).exit_code == 0
    assert "spamlist" in run(main, [*args, "list", "subscriptions", "olga"]).output
    blocks = tmp_path / "blocks.csv"
    blocks.write_text("Account address\r\n@Troll@Mastodon.Social\r\nnot-a-handle\r\n")
    bad = run(main, [*args, "import", str(blocks), "--owner", "olga"])
    assert bad.exit_code == 2 and "import_rejected" in bad.output
    assert f"{blocks}:3:" in bad.output
    blocks.write_text("Account address\r\n@Troll@Mastodon.Social\r\n")
    good = run(main, [*args, "import", str(blocks), "--owner", "olga"])
    assert good.exit_code == 0 and "imported 1 rows" in good.output
    out = run(main, [*args, "export", "--owner", "olga", "--format", "mastodon-blocks"]).output
    assert out == "Account address\ntroll@mastodon.social\n"


def test_events_stream_live(server: Server) -> None:
    """A live subscriber gets each new write as a server-sent event."""
    headers = {"authorization": f"Bearer {server.key}", "accept": "text/event-stream"}
    with Client(server.url, server.key) as api:
        after = api.events(0, 1000).next_after
        with httpx.stream(
            "GET", server.url + "/v1/events", params={"after": after}, headers=headers, timeout=10
        ) as live:
            assert live.headers["content-type"].startswith("text/event-stream")
            api.add_person("zoe")
            for line in live.iter_lines():
                if line.startswith("event:"):
                    assert line == "event: person_added"
                    break


def test_unreachable_is_clear() -> None:
    """A server that is not there is one clear error after a few quick retries."""
    with Client(f"http://127.0.0.1:{free_port()}") as api, pytest.raises(Unreachable):
        api.health()


def test_graceful_shutdown_with_json_logs(server: Server) -> None:
    """SIGTERM finishes cleanly: the store is closed, every log line is JSON with request ids."""
    server.process.send_signal(signal.SIGTERM)
    _, err = server.process.communicate(timeout=20)
    # uvicorn shuts down, then re-raises the signal so the exit status tells why it stopped.
    assert server.process.returncode in (0, -signal.SIGTERM)
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert any(line["msg"] == "store closed" for line in lines)
    requests = [line for line in lines if line["msg"] == "request"]
    assert requests and all(len(r["request_id"]) == 16 for r in requests)
