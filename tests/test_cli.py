"""The nocontact command, driven as a person would, on a real database file."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from nocontact.cli import main, parse_duration

Invoke = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path) -> Invoke:
    db = str(tmp_path / "cli.db")

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, ["--db", db, *args])

    return invoke


def test_block_then_decide(run: Invoke) -> None:
    """A block set from the CLI drops the target's call and says so in plain words."""
    assert run("person", "add", "alex", "--address", "acct:chirp:alex").exit_code == 0
    assert run("person", "add", "sam", "--address", "(415) 555-0123").exit_code == 0
    added = run("boundary", "add", "alex", "sam", "--kind", "block")
    assert added.exit_code == 0 and "block -> sam" in added.output
    out = run("decide", "+1 415 555 0123", "call", "alex").output
    assert "outcome:    drop" in out and "actor sees: delivered" in out and "why" not in out
    out = run("decide", "+1 415 555 0123", "call", "alex", "--viewer", "alex").output
    assert "actor sees: delivered" in out and "you blocked sam" in out


def test_json_output(run: Invoke) -> None:
    """--json prints machine-readable decisions and lists."""
    run("person", "add", "alex")
    run("person", "add", "jo")
    run("boundary", "add", "alex", "jo", "--kind", "space", "--for", "7d", "--note", "a week")
    decision = json.loads(run("--json", "decide", "jo", "message", "alex").output)
    assert decision["outcome"] == "hold" and decision["note"] == "a week"
    [listed] = json.loads(run("--json", "boundary", "list", "alex").output)
    assert listed["kind"] == "space" and listed["ends"]


def test_lift_and_pledge_cool_down(run: Invoke) -> None:
    """Lifting a pledge starts its cool-down instead of ending it."""
    run("person", "add", "alex")
    run("person", "add", "jo")
    pledge = json.loads(run("--json", "boundary", "add", "jo", "alex", "--kind", "pledge").output)
    out = run("boundary", "lift", pledge["id"]).output
    assert "cool-down" in out


def test_errors_are_one_clear_line(run: Invoke) -> None:
    """A domain error prints what is wrong and exits 2, without a traceback."""
    run("person", "add", "alex")
    result = run("boundary", "add", "alex", "alex")
    assert result.exit_code == 2
    assert "self_boundary" in result.output and "Traceback" not in result.output
    bad_number = run("person", "link", "alex", "tel:+1 415")
    assert bad_number.exit_code == 2 and "invalid_address" in bad_number.output


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("2h", 7200), ("1d12h", 129600)])
def test_durations(text: str, seconds: float) -> None:
    """Durations read the way people write them."""
    assert parse_duration(text) == seconds


def test_console_script_is_installed() -> None:
    """The nocontact command is on the path of the project's environment."""
    exe = shutil.which("nocontact") or str(Path(__file__).parents[1] / ".venv/bin/nocontact")
    result = subprocess.run([exe, "--help"], capture_output=True, text=True, check=True)
    assert "may this reach that person" in result.stdout
