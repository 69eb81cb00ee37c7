"""The ``nocontact`` command: people, boundaries and decisions from a terminal.

Every command opens the SQLite store (``--db`` or ``NOCONTACT_DB``, by default
in the user's data folder), does one thing and closes it. Domain errors are
printed as one line naming the problem, with exit status 2; nothing is written.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar, cast

import click

from .core.errors import InvalidInput, NocontactError
from .core.model import Action, Boundary, Channel, Decision, Disclosure, Kind, OnEnd
from .engine import Engine, EngineConfig

F = TypeVar("F", bound=Callable[..., Any])

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|h|d|w)")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> float:
    """``90s``, ``30m``, ``2h``, ``7d``, ``1w``, or combinations such as ``1d12h``."""
    spec = text.replace(" ", "").lower()
    parts = _DURATION.findall(spec)
    if not parts or "".join(n + u for n, u in parts) != spec:
        raise InvalidInput(f"{text!r} is not a duration: try 90s, 30m, 2h, 7d or 1w", field="for")
    return sum(float(n) * _UNIT[u] for n, u in parts)


def parse_time(text: str) -> float:
    """An ISO 8601 time; without a zone it is taken as UTC."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a time: try 2026-12-24T18:00+01:00") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def iso(at: float | None) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


class State:
    def __init__(self, db: str | None, region: str, as_json: bool) -> None:
        self.db = db
        self.config = EngineConfig(region=region)
        self.as_json = as_json

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        engine = Engine.open(self.db, config=self.config)
        try:
            yield engine
        finally:
            engine.close()

    def emit(self, data: object, text: str) -> None:
        click.echo(json.dumps(data, indent=2, default=str) if self.as_json else text)


def domain_errors(func: F) -> F:
    """Turn domain errors into one clear line and exit status 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except NocontactError as error:
            state = click.get_current_context().find_object(State)
            if state is not None and state.as_json:
                click.echo(json.dumps(error.as_dict()), err=True)
            else:
                click.secho(f"error: {error.detail} [{error.code}]", fg="red", err=True)
            sys.exit(2)

    return cast(F, wrapper)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="""\b
Examples:
  nocontact person add sam --name Sam --address "+1 415 555 0123"
  nocontact person add alex --address acct:chirp:alex
  nocontact boundary add alex sam --kind block
  nocontact decide sam message alex          # -> drop, Sam sees "sent"
  nocontact decide "(415) 555-0123" call alex
  nocontact boundary list alex
  nocontact boundary lift b_1234abcd --restore
""",
)
@click.option(
    "--db", envvar="NOCONTACT_DB", help="SQLite file [env NOCONTACT_DB; default: user data folder]"
)
@click.option(
    "--region",
    envvar="NOCONTACT_REGION",
    default="US",
    show_default=True,
    help="Region for phone numbers without a country code [env NOCONTACT_REGION]",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.version_option(package_name="nocontact")
@click.pass_context
def main(ctx: click.Context, db: str | None, region: str, as_json: bool) -> None:
    """nocontact: may this reach that person, and what does each side see?

    Set boundaries (block, mute, restrict, break, space, pledge) across every
    address a person has, and ask for the decision on any interaction.
    """
    ctx.obj = State(db, region, as_json)


# -- persons -------------------------------------------------------------------


@main.group()
def person() -> None:
    """Persons and the addresses they can be reached at."""


@person.command("add")
@click.argument("person_id", required=False)
@click.option("--name", help="Display name.")
@click.option(
    "--address",
    "addresses",
    multiple=True,
    help="tel:, mailto:, acct:PLATFORM:HANDLE or sender:NAME; repeat for more.",
)
@click.pass_obj
@domain_errors
def person_add(
    state: State, person_id: str | None, name: str | None, addresses: tuple[str, ...]
) -> None:
    """Create a person (an id is made up when PERSON_ID is left out).

    \b
    Phone numbers may be written as people write them:
      nocontact person add sam --address "(415) 555-0123" --address acct:chirp:@Sam
    """
    with state.engine() as engine:
        p = engine.add_person(person_id, name=name, addresses=addresses)
    state.emit(asdict(p), f"{p.id} {p.name or ''} {' '.join(p.addresses)} (revision {p.revision})")


@person.command("link")
@click.argument("person_id")
@click.argument("address")
@click.pass_obj
@domain_errors
def person_link(state: State, person_id: str, address: str) -> None:
    """Link ADDRESS to PERSON_ID: every `everywhere` boundary toward them covers it at once."""
    with state.engine() as engine:
        p = engine.link_address(person_id, address)
    state.emit(asdict(p), f"{p.id}: {' '.join(p.addresses)} (revision {p.revision})")


@person.command("unlink")
@click.argument("person_id")
@click.argument("address")
@click.pass_obj
@domain_errors
def person_unlink(state: State, person_id: str, address: str) -> None:
    """Unlink ADDRESS from PERSON_ID."""
    with state.engine() as engine:
        p = engine.unlink_address(person_id, address)
    state.emit(
        asdict(p), f"{p.id}: {' '.join(p.addresses) or '(no addresses)'} (revision {p.revision})"
    )


@person.command("show")
@click.argument("person_id")
@click.pass_obj
@domain_errors
def person_show(state: State, person_id: str) -> None:
    """Show a person and their addresses."""
    with state.engine() as engine:
        p = engine.person(person_id)
    state.emit(asdict(p), f"{p.id} {p.name or ''}\n" + "\n".join(f"  {a}" for a in p.addresses))


# -- boundaries ----------------------------------------------------------------


def boundary_data(b: Boundary) -> dict[str, object]:
    data = asdict(b)
    data["channels"] = sorted(b.channels) if b.channels is not None else None
    data["starts"], data["ends"] = iso(b.starts), iso(b.ends)
    return data


def boundary_line(b: Boundary) -> str:
    parts = [b.id, b.kind.value, "->", b.target]
    if b.target_person and b.target_person != b.target:
        parts.append(f"({b.target_person})")
    if b.scope != "everywhere":
        parts.append(f"[{b.scope}]")
    if b.channels:
        parts.append("channels=" + ",".join(sorted(b.channels)))
    if b.ends is not None:
        parts.append(f"until {iso(b.ends)}")
    if b.disclosure is Disclosure.UNAVAILABLE:
        parts.append("disclosed")
    if b.note:
        parts.append(f'"{b.note}"')
    return " ".join(parts)


@main.group()
def boundary() -> None:
    """Set, list and lift boundaries."""


@boundary.command("add")
@click.argument("owner")
@click.argument("target")
@click.option(
    "--kind", "-k", type=click.Choice([k.value for k in Kind]), default="block", show_default=True
)
@click.option(
    "--scope",
    default="everywhere",
    show_default=True,
    help="everywhere, address, or platform:NAME.",
)
@click.option(
    "--channel",
    "channels",
    multiple=True,
    type=click.Choice([c.value for c in Channel]),
    help="Limit to these channels; repeat for more.",
)
@click.option("--for", "duration", help="How long: 90s, 30m, 2h, 7d, 1w.")
@click.option("--until", "until", help="End time, ISO 8601 (UTC if no zone).")
@click.option("--starts", help="Start time, ISO 8601 (default: now).")
@click.option(
    "--disclosure",
    type=click.Choice([d.value for d in Disclosure]),
    default="silent",
    show_default=True,
    help="For a block: silent, or tell the target 'unavailable'.",
)
@click.option("--note", help="A short note (space: shown to the target), at most 280 characters.")
@click.option(
    "--keep-evidence", is_flag=True, help="For a block: seal what the target sends in an archive."
)
@click.option(
    "--on-end",
    type=click.Choice([o.value for o in OnEnd]),
    default="deliver",
    show_default=True,
    help="For a space: deliver or discard held messages when it ends.",
)
@click.pass_obj
@domain_errors
def boundary_add(
    state: State,
    owner: str,
    target: str,
    kind: str,
    scope: str,
    channels: tuple[str, ...],
    duration: str | None,
    until: str | None,
    starts: str | None,
    disclosure: str,
    note: str | None,
    keep_evidence: bool,
    on_end: str,
) -> None:
    """OWNER sets a boundary toward TARGET (a person id, an address or a pattern).

    \b
    Patterns: pattern:unknown (not in contacts), pattern:private (no caller id),
    pattern:shortcode, pattern:sender, pattern:domain:example.org
    \b
    Examples:
      nocontact boundary add alex sam --kind block --keep-evidence
      nocontact boundary add alex sam --kind space --for 7d --note "I need a week"
      nocontact boundary add alex pattern:unknown --kind mute --channel calls
      nocontact boundary add sam alex --kind pledge
    """
    with state.engine() as engine:
        b = engine.set_boundary(
            owner,
            target,
            kind,
            scope=scope,
            channels=channels or None,
            starts=parse_time(starts) if starts else None,
            ends=parse_time(until) if until else None,
            duration=parse_duration(duration) if duration else None,
            disclosure=disclosure,
            note=note,
            keep_evidence=keep_evidence,
            on_end=on_end,
        )
    state.emit(boundary_data(b), boundary_line(b))


@boundary.command("list")
@click.argument("owner")
@click.pass_obj
@domain_errors
def boundary_list(state: State, owner: str) -> None:
    """List OWNER's boundaries that have not ended."""
    with state.engine() as engine:
        found = engine.boundaries(owner)
    state.emit([boundary_data(b) for b in found], "\n".join(map(boundary_line, found)) or "(none)")


@boundary.command("lift")
@click.argument("boundary_id")
@click.option("--restore", is_flag=True, help="For a block: bring back the follows it removed.")
@click.pass_obj
@domain_errors
def boundary_lift(state: State, boundary_id: str, restore: bool) -> None:
    """Lift a boundary quietly: the target is never told.

    A pledge ends only after its cool-down (10 minutes by default).
    """
    with state.engine() as engine:
        lifted = engine.lift(boundary_id, restore=restore)
    b = lifted.boundary
    text = f"lifted {b.id}" if lifted.ended else f"{b.id} ends at {iso(b.ends)} (cool-down)"
    state.emit(
        {"id": b.id, "ended": lifted.ended, "ends": iso(b.ends), "revision": lifted.revision}, text
    )


# -- decisions -----------------------------------------------------------------


def decision_data(d: Decision) -> dict[str, object]:
    data = asdict(d)
    data["until"] = iso(d.until)
    return data


@main.command()
@click.argument("actor")
@click.argument("action", type=click.Choice([a.value for a in Action]))
@click.argument("target")
@click.option(
    "--platform", help="Where it happens (chirp, phone, ...); by default from the address used."
)
@click.option("--at", "at", help="Evaluate at this time, ISO 8601 (default: now).")
@click.pass_obj
@domain_errors
def decide(
    state: State, actor: str, action: str, target: str, platform: str | None, at: str | None
) -> None:
    """What happens when ACTOR does ACTION toward TARGET, and what each side sees.

    \b
    Examples:
      nocontact decide sam message alex
      nocontact decide tel:+14155550123 call alex --at 2026-12-24T18:00Z
      nocontact decide alex view_profile sam
    """
    with state.engine() as engine:
        d = engine.check(
            actor, action, target, platform=platform, at=parse_time(at) if at else None
        )
    lines = [
        f"outcome:    {d.outcome.value}",
        f"actor sees: {d.actor_sees.value}",
        f"notify:     {'yes' if d.notify else 'no'}",
    ]
    if d.evidence:
        lines.append("evidence:   seal in the owner's archive")
    if d.note or d.until:
        lines.append(f"space:      until {iso(d.until)}" + (f' "{d.note}"' if d.note else ""))
    if d.explanation:
        why = d.explanation
        lines.append(f"why:        {why.reason} ({why.boundary_id}; for {why.owner}'s eyes only)")
    lines.append(f"revision:   {d.revision}")
    state.emit(decision_data(d), "\n".join(lines))


# -- contacts, emergencies, events ---------------------------------------------


@main.command()
@click.argument("owner")
@click.argument("contact")
@click.option("--remove", is_flag=True, help="Remove instead of add.")
@click.pass_obj
@domain_errors
def contact(state: State, owner: str, contact: str, remove: bool) -> None:
    """Add CONTACT to OWNER's contacts (pattern:unknown spares contacts)."""
    with state.engine() as engine:
        revision = (
            engine.remove_contact(owner, contact) if remove else engine.add_contact(owner, contact)
        )
    state.emit({"revision": revision}, f"revision {revision}")


@main.command()
@click.argument("owner")
@click.pass_obj
@domain_errors
def emergency(state: State, owner: str) -> None:
    """Record that OWNER contacted emergency services.

    For the call-back window (2 hours), blocks of unknown and private callers
    and patterns pause for calls and SMS; blocks on specific people stay.
    """
    with state.engine() as engine:
        revision = engine.record_emergency(owner)
    state.emit({"revision": revision}, f"call-back window open (revision {revision})")


@main.command()
@click.option("--after", default=0, show_default=True, help="Only events after this revision.")
@click.option("--limit", default=100, show_default=True)
@click.pass_obj
@domain_errors
def events(state: State, after: int, limit: int) -> None:
    """The change feed: every write, with its revision."""
    with state.engine() as engine:
        found = engine.events(after, limit)
    state.emit(
        [asdict(e) for e in found],
        "\n".join(
            f"{e.revision:>6} {iso(e.at)} {e.type} {json.dumps(e.data, default=str)}" for e in found
        ),
    )


# -- benchmark -----------------------------------------------------------------

BENCH_APPROACHES = ("dict", "sqlite", "postgres", "redis", "numpy")
BENCH_POSTGRES = "host=127.0.0.1 dbname=test user=postgres"
BENCH_REDIS = "redis://127.0.0.1:6379/15"


@main.command(
    epilog="""\b
Examples:
  nocontact bench --people 100000 --boundaries 1000000   # a small run: under 2 minutes
  nocontact bench                                        # the full size (1 M people, 10 M)
  nocontact bench --skip postgres --skip redis           # no servers here
  nocontact bench --people 100000 --boundaries 1000000 --out /tmp/B.md --plot /tmp/b.png
  nocontact bench --postgres-dsn "host=db dbname=bench user=me" --redis-url redis://cache/15
"""
)
@click.option(
    "--people",
    type=click.IntRange(min=2),
    default=1_000_000,
    show_default=True,
    help="People in the generated graph.",
)
@click.option(
    "--boundaries",
    type=click.IntRange(min=1),
    default=10_000_000,
    show_default=True,
    help="Directed boundaries among them (heavy-tailed degrees).",
)
@click.option("--seed", type=int, default=42, show_default=True, help="Seed of the graph.")
@click.option(
    "--queries",
    type=click.IntRange(min=100),
    default=200_000,
    show_default=True,
    help="Pairs to decide (about 1% hold a boundary); a feed of 1,000 per 100 pairs.",
)
@click.option(
    "--skip",
    multiple=True,
    type=click.Choice(BENCH_APPROACHES),
    help="Leave out a baseline; repeat for more.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default="BENCHMARKS.md",
    show_default=True,
    help="Where to write the report.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    default="docs/bench.png",
    show_default=True,
    help="Where to write the plot (PNG).",
)
@click.option(
    "--postgres-dsn",
    default=BENCH_POSTGRES,
    show_default=True,
    help="PostgreSQL to compare with (a table of its own is made and dropped).",
)
@click.option(
    "--redis-url",
    default=BENCH_REDIS,
    show_default=True,
    help="Redis logical database to compare with: it must hold nothing else; emptied after.",
)
def bench(
    people: int,
    boundaries: int,
    seed: int,
    queries: int,
    skip: tuple[str, ...],
    out: str,
    plot: str,
    postgres_dsn: str,
    redis_url: str,
) -> None:
    """Measure nocontact side by side with what a team would otherwise use.

    Generates a heavy-tailed graph (fixed seed), loads it into nocontact through
    the bulk path and into each baseline (dict of sets, SQLite, PostgreSQL, Redis
    sets, numpy sorted pairs), then measures build time, memory per boundary,
    single decide p50/p99, `visible` with 1,000 candidates p50/p99 and batch
    throughput, each also as a ratio to the dict of sets. It checks a sample of
    nocontact's decisions against a reference built from the semantics table.

    PostgreSQL and Redis are skipped, with the reason, when they cannot be
    reached or their client library is missing (pip install 'nocontact[bench]').
    Writes the results to --out and a plot to --plot; exits with status 1 if
    any answer differs from the reference.
    """
    import shlex
    from pathlib import Path

    from rich.console import Console

    from .bench import report
    from .bench.baselines import Servers
    from .bench.runner import Options, run

    parts = ["nocontact", "bench", "--people", str(people), "--boundaries", str(boundaries)]
    parts += ["--seed", str(seed), "--queries", str(queries)]
    for name in skip:
        parts += ["--skip", name]
    if postgres_dsn != BENCH_POSTGRES:
        parts += ["--postgres-dsn", postgres_dsn]
    if redis_url != BENCH_REDIS:
        parts += ["--redis-url", redis_url]
    options = Options(
        people=people,
        boundaries=boundaries,
        seed=seed,
        queries=queries,
        skip=frozenset(skip),
        servers=Servers(postgres_dsn=postgres_dsn, redis_url=redis_url),
    )
    console = Console()
    try:
        results = run(options, console)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    console.print(report.table(results))
    console.print(report.targets_table(results))
    out_path, plot_path = Path(out), Path(plot)
    why = report.plot(results, plot_path)
    if why is not None:
        console.print(f"[yellow]no plot: {why}")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(
        report.markdown(results, shlex.join(parts), None if why else plot_path, out_path)
    )
    console.print(f"wrote {out_path}" + ("" if why else f" and {plot_path}"))
    if not results.passed:
        console.print("[bold red]some answers differ from the reference: see the report")
        sys.exit(1)
