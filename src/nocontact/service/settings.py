"""Settings of ``nocontact serve``, declared once as data.

Each :class:`Setting` names its key, type, default and help. The CLI flags, the
documentation and validation all come from :data:`SETTINGS`. A value comes
from, strongest first: a command-line flag, the environment (``NOCONTACT_KEY``),
the TOML config file (``--config`` or ``NOCONTACT_CONFIG``), the default. Casts
are strict, and an error names the key and where the value came from.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from nocontact.core.errors import InvalidInput

ENV_PREFIX = "NOCONTACT_"


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    type: type[str] | type[int] | type[float] | type[bool]
    default: str | int | float | bool | None
    help: str
    #: A flag of its own (``--host``); the others are set by environment or file only.
    flag: bool = True

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("host", str, "127.0.0.1", "Address to listen on."),
    Setting("port", int, 8000, "Port to listen on."),
    Setting(
        "db",
        str,
        None,
        "SQLite file or postgresql:// URL (default: a SQLite file in the user data folder;"
        " NOCONTACT_DATABASE_URL works too).",
    ),
    Setting("workers", int, 1, "Worker processes, each kept current from the event log."),
    Setting("region", str, "US", "Region for phone numbers without a country code."),
    Setting(
        "demo", bool, False, "A throwaway database with demo people; prints an admin key to use."
    ),
    Setting("auth", bool, True, "Require API keys (turn off only on a private loopback).", False),
    Setting("max_body", int, 4_194_304, "Largest request body accepted, in bytes.", False),
    Setting("max_header", int, 32_768, "Largest request line and headers, in bytes.", False),
    Setting("header_timeout", float, 10.0, "Seconds a request's headers may take.", False),
    Setting("body_timeout", float, 10.0, "Seconds a request body may go without a byte.", False),
    Setting("keep_alive", float, 5.0, "Seconds an idle connection is kept open.", False),
    Setting("max_batch", int, 10_000, "Most checks in one decide/batch call.", False),
    Setting("read_threads", int, 2, "Threads for large reads, off the event loop.", False),
    Setting("revision_wait", float, 2.0, "Seconds a read waits for min_revision.", False),
    Setting("log_level", str, "info", "Log level: debug, info, warning, error.", False),
    Setting("access_log", bool, True, "Log one JSON line per request.", False),
)

_BY_NAME = {s.name: s for s in SETTINGS}
#: The usual name for a database URL, read when NOCONTACT_DB is not set.
DATABASE_URL = "NOCONTACT_DATABASE_URL"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True, slots=True)
class Settings:
    """The settings in force; every field is a :data:`SETTINGS` row."""

    host: str = "127.0.0.1"
    port: int = 8000
    db: str | None = None
    workers: int = 1
    region: str = "US"
    demo: bool = False
    auth: bool = True
    max_body: int = 4_194_304
    max_header: int = 32_768
    header_timeout: float = 10.0
    body_timeout: float = 10.0
    keep_alive: float = 5.0
    max_batch: int = 10_000
    read_threads: int = 2
    revision_wait: float = 2.0
    log_level: str = "info"
    access_log: bool = True

    def as_env(self) -> dict[str, str]:
        """The settings as environment variables, to hand them to worker processes."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[_BY_NAME[f.name].env] = (
                    str(value).lower() if isinstance(value, bool) else str(value)
                )
        return out


def cast(setting: Setting, value: object, where: str) -> str | int | float | bool | None:
    """Strictly cast ``value`` to the setting's type; the error names the key and source."""
    kind = setting.type
    if value is None:
        return None
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError
        if kind is int:
            if isinstance(value, (bool, float)):
                raise ValueError
            number = int(str(value).strip())
            if number < 0:
                raise ValueError
            return number
        if kind is float:
            if isinstance(value, bool):
                raise ValueError
            result = float(str(value).strip())
            if result < 0:
                raise ValueError
            return result
        if not isinstance(value, str):
            raise ValueError
        return value
    except ValueError:
        raise InvalidInput(
            f"setting {setting.name} (from {where}) must be a {kind.__name__}"
            f"{' >= 0' if kind in (int, float) else ''}; got {value!r}",
            field=setting.name,
        ) from None


def load(
    flags: Mapping[str, object] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config: str | os.PathLike[str] | None = None,
) -> Settings:
    """Flags beat the environment, which beats the config file, which beats the default."""
    environ = os.environ if environ is None else environ
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    for key in flags:
        if key not in _BY_NAME:
            raise InvalidInput(f"no setting {key!r}", field=key)
    path = config or environ.get(ENV_PREFIX + "CONFIG")
    from_file: dict[str, object] = {}
    if path:
        try:
            from_file = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InvalidInput(f"cannot read config file {path}: {exc}", field="config") from None
        unknown = sorted(set(from_file) - set(_BY_NAME))
        if unknown:
            raise InvalidInput(f"config file {path}: unknown settings {unknown}", field="config")
    values: dict[str, object] = {}
    for setting in SETTINGS:
        if setting.name in flags:
            values[setting.name] = cast(setting, flags[setting.name], f"--{setting.name}")
        elif setting.env in environ:
            values[setting.name] = cast(setting, environ[setting.env], setting.env)
        elif setting.name in from_file:
            values[setting.name] = cast(setting, from_file[setting.name], f"config file {path}")
    if "db" not in values and DATABASE_URL in environ:
        values["db"] = cast(_BY_NAME["db"], environ[DATABASE_URL], DATABASE_URL)
    settings = Settings(**values)  # type: ignore[arg-type]
    if settings.workers < 1:
        raise InvalidInput("setting workers must be at least 1", field="workers")
    for name in ("header_timeout", "body_timeout", "keep_alive", "max_header", "read_threads"):
        if not getattr(settings, name):
            raise InvalidInput(f"setting {name} must be more than 0", field=name)
    if settings.port > 65535:
        raise InvalidInput("setting port must be at most 65535", field="port")
    return settings


INTRO = """\
# Settings of `nocontact serve`

A value comes from, strongest first: a command-line flag, the environment, the
TOML file given by `--config` (or `NOCONTACT_CONFIG`), the default. The
connection limits (`max_header`, `header_timeout`, `body_timeout`,
`keep_alive`) apply before a request reaches the app, so before any key is
checked: a head larger than `max_header` is answered `431`, one slower than
`header_timeout` `408`, and a body that stalls or a connection left idle is
closed.

"""


def markdown() -> str:
    """The settings table, for the docs."""
    rows = [
        INTRO + "| setting | flag | environment | default | what |",
        "|---|---|---|---|---|",
    ]
    for s in SETTINGS:
        flag = f"`--{s.name.replace('_', '-')}`" if s.flag else ""
        rows.append(f"| `{s.name}` | {flag} | `{s.env}` | `{s.default}` | {s.help} |")
    return "\n".join(rows) + "\n"


def main() -> None:
    import sys

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/settings.md")
    target.write_text(markdown(), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
