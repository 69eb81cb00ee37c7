"""``nocontact list``, ``import`` and ``export``, driven as a person would."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from nocontact.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "interop"


def invoke(db: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--db", str(db), *args])


def test_list_commands(tmp_path: Path) -> None:
    """A curator's list, a subscription, and the owner's view naming the list."""
    db = tmp_path / "cli.db"
    for person in ("alex", "cara", "sam"):
        assert invoke(db, "person", "add", person).exit_code == 0
    created = invoke(db, "list", "create", "cara", "Spam callers", "--id", "spam")
    assert created.exit_code == 0 and "'Spam callers' by cara" in created.output
    assert invoke(db, "list", "add", "spam", "sam", "+1 415 555 0123").exit_code == 0
    assert invoke(db, "list", "subscribe", "alex", "spam").exit_code == 0
    decided = invoke(db, "decide", "sam", "message", "alex", "--viewer", "alex").output
    assert "outcome:    drop" in decided and "from the list Spam callers" in decided
    shown = json.loads(invoke(db, "--json", "list", "show", "spam").output)
    assert shown["member_ids"] == ["sam", "tel:+14155550123"]
    assert invoke(db, "list", "suspend", "cara").exit_code == 0
    assert "no longer applies" in invoke(db, "list", "subscriptions", "alex").output
    assert "outcome:    deliver" in invoke(db, "decide", "sam", "message", "alex").output
    missing = invoke(db, "list", "subscribe", "alex", "nope")
    assert missing.exit_code == 2 and "unknown_list" in missing.output


def test_import_reports_bad_lines_and_changes_nothing(tmp_path: Path) -> None:
    """A bad file exits 2, names each bad line, and stores nothing."""
    db = tmp_path / "cli.db"
    invoke(db, "person", "add", "alex")
    bad = FIXTURES / "mastodon_blocks_bad.csv"
    result = invoke(db, "import", str(bad), "--owner", "alex")
    assert result.exit_code == 2
    assert f"{bad}:3:" in result.output and f"{bad}:7:" in result.output
    assert invoke(db, "boundary", "list", "alex").output.strip() == "(none)"


def test_import_then_export_round_trip(tmp_path: Path) -> None:
    """Import numbers, export the native format, import it into a new database."""
    db = tmp_path / "a.db"
    invoke(db, "person", "add", "alex")
    done = invoke(db, "import", str(FIXTURES / "numbers.txt"), "--owner", "alex")
    assert done.exit_code == 0 and "imported 7 rows (numbers)" in done.output
    backup = tmp_path / "backup.jsonl"
    assert invoke(db, "export", "-o", str(backup)).exit_code == 0
    other = tmp_path / "b.db"
    assert invoke(other, "import", str(backup)).exit_code == 0
    out = invoke(other, "decide", "(415) 555-0123", "call", "alex").output
    assert "outcome:    drop" in out
    csv = invoke(db, "export", "--format", "mastodon-blocks", "--owner", "alex").output
    assert csv == "Account address\n"
