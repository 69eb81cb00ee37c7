"""The command line as a newcomer meets it: --url everywhere, typos named, honest help,
a demo that says when its port is taken, a benchmark that leaves the project alone."""

from __future__ import annotations

import inspect
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from nocontact.cli import main

ROOT = Path(__file__).parents[1]
EXE = str(Path(sys.executable).parent / "nocontact")

#: Arguments each command needs; a new command must be added here (the test says so).
ARGS: dict[str, list[str]] = {
    "person add": ["sam"],
    "person link": ["sam", "+1 415 555 0123"],
    "person unlink": ["sam", "+1 415 555 0123"],
    "person show": ["sam"],
    "boundary add": ["alex", "sam"],
    "boundary list": ["alex"],
    "boundary lift": ["b_1234"],
    "decide": ["sam", "message", "alex"],
    "contact": ["alex", "sam"],
    "emergency": ["alex"],
    "events": [],
    "serve": [],
    "keys create": ["--name", "x"],
    "keys list": [],
    "keys revoke": ["abc"],
    "bench": ["--people", "10", "--boundaries", "10"],
    "list create": ["cara", "Spam"],
    "list add": ["spam", "sam"],
    "list remove": ["spam", "sam"],
    "list show": ["spam"],
    "list subscribe": ["alex", "spam"],
    "list unsubscribe": ["alex", "spam"],
    "list subscriptions": ["alex"],
    "list delete": ["spam"],
    "list suspend": ["cara"],
    "import": [str(ROOT / "tests" / "fixtures" / "interop" / "numbers.txt"), "--owner", "alex"],
    "export": [],
    "attempts": ["alex"],
    "sip-proxy": ["--render-only"],
}


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
        else:
            found.append(prefix + name)
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_item15_every_command_honours_url_or_refuses(tmp_path: Path) -> None:
    """With --url, every command asks the server (here: none listening, so it says the
    server is unreachable) or refuses --url by name; none creates a local database."""
    assert sorted(ARGS) == _commands(main), "give the new command's arguments in ARGS"
    db = tmp_path / "never.db"
    url = f"http://127.0.0.1:{_free_port()}"
    for command, args in ARGS.items():
        result = CliRunner().invoke(main, ["--db", str(db), "--url", url, *command.split(), *args])
        assert result.exit_code == 2, (command, result.output)
        said = result.output
        assert "[unreachable]" in said or "--url" in said, (command, said)
        assert not db.exists(), command


def test_item15_unknown_person_in_local_decide(tmp_path: Path) -> None:
    """A typo in a person id at the local CLI says the person is unknown, instead of an
    answer about nobody; addresses are still answered for anyone."""
    db = ["--db", str(tmp_path / "cli.db")]
    run = CliRunner().invoke
    assert run(main, [*db, "person", "add", "alex"]).exit_code == 0
    assert run(main, [*db, "person", "add", "sam"]).exit_code == 0
    typo = run(main, [*db, "decide", "sma", "message", "alex"])
    assert typo.exit_code == 2 and "no person 'sma'" in typo.output
    assert "unknown_person" in typo.output
    target = run(main, [*db, "decide", "sam", "message", "alx"])
    assert target.exit_code == 2 and "'alx'" in target.output
    stranger = run(main, [*db, "decide", "+1 415 555 0199", "message", "alex"])
    assert stranger.exit_code == 0 and "outcome:    deliver" in stranger.output


def test_item15_serve_help_is_true_about_demo_keys() -> None:
    """`serve --help` does not claim the demo needs no key: it prints an admin key."""
    text = " ".join(CliRunner().invoke(main, ["serve", "--help"]).output.split())
    assert "no key" not in text
    assert "admin key" in text


def test_item15_demo_on_a_taken_port_is_a_clear_error() -> None:
    """The demo binds before it prints a banner: a taken port is one error naming --port,
    with no success banner before it."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [EXE, "serve", "--demo", "--port", str(port)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 2
    assert "--port" in done.stderr and str(port) in done.stderr
    assert "serving" not in done.stdout and "demo admin key" not in done.stdout


def test_item15_bench_writes_a_results_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`nocontact bench` writes into its results folder, never over BENCHMARKS.md or
    docs/bench.png unless asked with --write-docs."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        main,
        ["bench", "--people", "300", "--boundaries", "2000", "--queries", "200",
         "--skip", "postgres", "--skip", "redis", "--skip", "sqlite"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "bench-results" / "BENCHMARKS.md").exists()
    assert not (tmp_path / "BENCHMARKS.md").exists()
    assert not (tmp_path / "docs").exists()
    help_text = CliRunner().invoke(main, ["bench", "--help"]).output
    assert "--write-docs" in help_text


def test_item15_bench_touches_only_its_own_redis_keys() -> None:
    """The Redis baseline deletes only keys under its own prefix: a key of someone else's
    in the same database survives a run, and none of the benchmark's stay behind."""
    redis = pytest.importorskip("redis")
    from nocontact.bench.baselines import RedisSets, Unavailable

    url = "redis://127.0.0.1:6379/15"
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.set("someone-else:keep", "1")
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    try:
        try:
            sets = RedisSets(url)
        except Unavailable as why:
            pytest.fail(f"the baseline refused a database with other keys: {why}")
        sets.client.sadd(RedisSets.PREFIX + "o:1", "2")
        sets.close()
        assert client.get("someone-else:keep") == b"1"
        assert not list(client.scan_iter(match=RedisSets.PREFIX + "*"))
    finally:
        client.delete("someone-else:keep")
        client.close()


def test_item15_tour_prints_commands_that_paste() -> None:
    """The tour shows each command quoted so that pasting it runs the same command."""
    line = next(
        x for x in (ROOT / "scripts" / "tour").read_text().splitlines() if x.startswith("run()")
    )
    args = ["nocontact", "person", "add", "sam", "--address", "(415) 555-0123", "--note", "it's"]
    shown = subprocess.run(
        ["bash", "-c", line + "\nrun true " + shlex.join(args[1:]) + " | cat"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    printed = re.sub(r"\x1b\[[0-9;]*m", "", shown).strip().removeprefix("$ ")
    assert shlex.split(printed) == ["true", *args[1:]]


def test_item15_async_client_has_every_method_of_client() -> None:
    """AsyncClient offers every call Client offers, with the same parameters."""
    from nocontact.client import AsyncClient, Client

    def calls(kind: type) -> dict[str, inspect.Signature]:
        return {
            name: inspect.signature(member)
            for name, member in inspect.getmembers(kind, inspect.isfunction)
            if not name.startswith("_") and name not in ("close", "aclose")
        }

    sync, asynchronous = calls(Client), calls(AsyncClient)
    assert sorted(sync) == sorted(asynchronous)
    for name, signature in sync.items():
        assert list(signature.parameters) == list(asynchronous[name].parameters), name
        assert inspect.iscoroutinefunction(getattr(AsyncClient, name)), name
