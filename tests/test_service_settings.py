"""Service settings declared once as data, and the web stack kept out of the library."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nocontact.core.errors import InvalidInput
from nocontact.service.settings import SETTINGS, load, markdown


def test_flags_beat_environment_beat_file_beat_default(tmp_path: Path) -> None:
    """A flag beats NOCONTACT_*, which beats the config file, which beats the default."""
    config = tmp_path / "nocontact.toml"
    config.write_text('port = 9001\nhost = "127.0.0.2"\nregion = "GB"\n')
    env = {"NOCONTACT_PORT": "9002", "NOCONTACT_REGION": "FR"}
    got = load({"port": 9003}, environ=env, config=config)
    assert (got.port, got.region, got.host, got.workers) == (9003, "FR", "127.0.0.2", 1)


@pytest.mark.parametrize(
    ("env", "named"),
    [({"NOCONTACT_PORT": "eighty"}, "NOCONTACT_PORT"), ({"NOCONTACT_DEMO": "perhaps"}, "demo")],
)
def test_strict_casts_name_the_key(env: dict[str, str], named: str) -> None:
    """A value of the wrong type is refused with an error naming the setting and its source."""
    with pytest.raises(InvalidInput) as raised:
        load(environ=env)
    assert named in raised.value.detail


def test_unknown_file_settings_are_refused(tmp_path: Path) -> None:
    """A misspelt key in the config file is an error, not silently ignored."""
    config = tmp_path / "bad.toml"
    config.write_text("prot = 1\n")
    with pytest.raises(InvalidInput, match="prot"):
        load(environ={}, config=config)


def test_every_setting_is_documented() -> None:
    """The settings table renders every setting with its environment variable, and
    docs/settings.md is that table (python -m nocontact.service.settings rewrites it)."""
    text = markdown()
    assert all(s.env in text for s in SETTINGS)
    assert (Path(__file__).parents[1] / "docs" / "settings.md").read_text() == text


def test_item9_connection_limits_are_settings() -> None:
    """The limits that hold before a request reaches the app are settings, with sane
    defaults, and zero (no limit) is refused."""
    names = {s.name for s in SETTINGS}
    assert {"max_header", "header_timeout", "body_timeout", "keep_alive"} <= names
    defaults = load(environ={})
    assert 8192 <= defaults.max_header <= 65536 and 0 < defaults.header_timeout <= 30
    with pytest.raises(InvalidInput, match="header_timeout"):
        load({"header_timeout": 0}, environ={})


def test_library_does_not_import_the_web_stack() -> None:
    """Importing nocontact, the engine or the CLI loads no server, HTTP or JSON library."""
    code = (
        "import sys, nocontact, nocontact.engine, nocontact.cli\n"
        "bad = [m for m in ('uvicorn', 'httpx', 'msgspec', 'httptools') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
