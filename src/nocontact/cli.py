"""The ``nocontact`` command: people, boundaries and decisions from a terminal.

Every command opens the SQLite store (``--db`` or ``NOCONTACT_DB``, by default
in the user's data folder), does one thing and closes it; with ``--url`` it asks a
running server instead and opens no file (the few commands that only make sense
on a file, such as ``keys`` and ``serve``, refuse ``--url``). Domain errors are
printed as one line naming the problem, with exit status 2; nothing is written.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from .cli_interop import export_command, import_command, shared_list
from .core.errors import InvalidInput, NocontactError
from .core.model import (
    Action,
    ActorSees,
    Boundary,
    Channel,
    Decision,
    Disclosure,
    Explanation,
    Kind,
    OnEnd,
    Outcome,
)
from .engine import Engine, EngineConfig, Person

if TYPE_CHECKING:
    from pathlib import Path

    from .client import Client
    from .service.schemas import BoundaryOut, DecisionOut, PersonOut

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
    def __init__(
        self,
        db: str | None,
        region: str,
        as_json: bool,
        url: str | None = None,
        key: str | None = None,
    ) -> None:
        self.db = db
        self.config = EngineConfig(region=region)
        self.as_json = as_json
        self.url = url
        self.key = key

    @contextmanager
    def remote(self) -> Iterator[Client]:
        """The HTTP client for ``--url`` (imported only when a URL is given)."""
        from .client import Client

        with Client(self.url or "", self.key) as client:
            yield client

    def local_only(self, command: str) -> None:
        """Refuse ``--url`` for a command that works on a database file only."""
        if self.url:
            raise InvalidInput(
                f"`nocontact {command}` works on a local database file and does not take"
                " --url (or NOCONTACT_URL): run it where the file is",
                field="url",
            )

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        assert not self.url, "a command given --url must not open a local store"
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
  nocontact decide sam message alex          # -> drop, Sam sees "delivered"
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
@click.option(
    "--url",
    envvar="NOCONTACT_URL",
    help="Talk to a running server instead of a file [env NOCONTACT_URL]",
)
@click.option("--key", envvar="NOCONTACT_KEY", help="API key for --url [env NOCONTACT_KEY]")
@click.version_option(package_name="nocontact")
@click.pass_context
def main(
    ctx: click.Context,
    db: str | None,
    region: str,
    as_json: bool,
    url: str | None,
    key: str | None,
) -> None:
    """nocontact: may this reach that person, and what does each side see?

    Set boundaries (block, mute, restrict, break, space, pledge) across every
    address a person has, and ask for the decision on any interaction.
    """
    ctx.obj = State(db, region, as_json, url, key)


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
    if state.url:
        with state.remote() as api:
            p = remote_person(api.add_person(person_id, name=name, addresses=addresses))
    else:
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
    if state.url:
        with state.remote() as api:
            p = remote_person(api.link_address(person_id, address))
    else:
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
    if state.url:
        with state.remote() as api:
            p = remote_person(api.unlink_address(person_id, address))
    else:
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
    if state.url:
        with state.remote() as api:
            p = remote_person(api.person(person_id))
    else:
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
    options: dict[str, Any] = {
        "scope": scope,
        "channels": list(channels) or None,
        "starts": parse_time(starts) if starts else None,
        "ends": parse_time(until) if until else None,
        "duration": parse_duration(duration) if duration else None,
        "disclosure": disclosure,
        "note": note,
        "keep_evidence": keep_evidence,
        "on_end": on_end,
    }
    if state.url:
        for name in ("starts", "ends"):
            if options[name] is not None:
                options[name] = datetime.fromtimestamp(options[name], UTC)
        with state.remote() as api:
            b = remote_boundary(api.set_boundary(owner, target, kind, **options))
    else:
        with state.engine() as engine:
            b = engine.set_boundary(owner, target, kind, **options)
    state.emit(boundary_data(b), boundary_line(b))


@boundary.command("list")
@click.argument("owner")
@click.pass_obj
@domain_errors
def boundary_list(state: State, owner: str) -> None:
    """List OWNER's boundaries that have not ended."""
    if state.url:
        with state.remote() as api:
            found, after = [], None
            while True:
                page = api.boundaries(owner, limit=1000, after=after)
                found += [remote_boundary(b) for b in page.items]
                if page.next is None:
                    break
                after = page.next
    else:
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
    if state.url:
        with state.remote() as api:
            out = api.lift(boundary_id, restore=restore)
        ended, ends, revision = out.ended, out.ends.timestamp() if out.ends else None, out.revision
    else:
        with state.engine() as engine:
            lifted = engine.lift(boundary_id, restore=restore)
        ended, ends, revision = lifted.ended, lifted.boundary.ends, lifted.revision
    text = f"lifted {boundary_id}" if ended else f"{boundary_id} ends at {iso(ends)} (cool-down)"
    state.emit({"id": boundary_id, "ended": ended, "ends": iso(ends), "revision": revision}, text)


# -- answers from a server (--url) -------------------------------------------------


def remote_person(p: PersonOut) -> Person:
    return Person(p.id, p.name, tuple(p.addresses), p.revision)


def remote_decision(d: DecisionOut) -> Decision:
    why = d.explanation
    return Decision(
        outcome=Outcome(d.outcome),
        actor_sees=ActorSees(d.actor_sees),
        notify=d.notify,
        revision=d.revision,
        evidence=d.evidence,
        note=d.note,
        until=d.until.timestamp() if d.until else None,
        explanation=Explanation(why.boundary_id, why.owner, Kind(why.kind), why.reason)
        if why
        else None,
    )


def remote_boundary(b: BoundaryOut) -> Boundary:
    return Boundary(
        id=b.id,
        owner=b.owner,
        kind=Kind(b.kind),
        target=b.target,
        scope=b.scope,
        channels=frozenset(Channel(c) for c in b.channels) if b.channels is not None else None,
        starts=b.starts.timestamp(),
        ends=b.ends.timestamp() if b.ends else None,
        disclosure=Disclosure(b.disclosure),
        note=b.note,
        keep_evidence=b.keep_evidence,
        on_end=OnEnd(b.on_end),
        target_person=b.target_person,
        revision=b.revision,
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
@click.option("--viewer", help="Whose view, with their explanation (default: the actor's).")
@click.pass_obj
@domain_errors
def decide(
    state: State,
    actor: str,
    action: str,
    target: str,
    platform: str | None,
    at: str | None,
    viewer: str | None,
) -> None:
    """What happens when ACTOR does ACTION toward TARGET, and what each side sees.

    \b
    Examples:
      nocontact decide sam message alex
      nocontact decide tel:+14155550123 call alex --at 2026-12-24T18:00Z
      nocontact decide alex view_profile sam
      nocontact decide sam message alex --viewer alex   # with alex's explanation
    """
    when = parse_time(at) if at else None
    if state.url:
        with state.remote() as api:
            moment = datetime.fromtimestamp(when, UTC) if when is not None else None
            answer = api.decide(
                actor, action, target, platform=platform, at=moment, viewer=viewer or actor
            )
            d = remote_decision(answer)
    else:
        with state.engine() as engine:
            for who, role in ((actor, "actor"), (target, "target")):
                _must_be_known(engine, who, role)
            d = engine.check(actor, action, target, platform=platform, at=when, viewer=viewer)
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


def _must_be_known(engine: Engine, party: str, role: str) -> None:
    """A person id the store does not know is a typo here (the HTTP API answers for
    unknown people, so as not to tell who exists; the owner at a terminal may know)."""
    from .core.errors import UnknownPerson
    from .core.model import is_person_id

    if not is_person_id(party):  # an address: anyone may be reached at one
        return
    try:
        engine.person(party)
    except UnknownPerson:
        raise UnknownPerson(
            f"no person {party!r} ({role}): check the spelling, or add them with"
            f" `nocontact person add {party}`",
            field=role,
        ) from None


# -- contacts, emergencies, events ---------------------------------------------


@main.command()
@click.argument("owner")
@click.argument("contact")
@click.option("--remove", is_flag=True, help="Remove instead of add.")
@click.pass_obj
@domain_errors
def contact(state: State, owner: str, contact: str, remove: bool) -> None:
    """Add CONTACT to OWNER's contacts (pattern:unknown spares contacts)."""
    if state.url:
        if remove:
            raise InvalidInput("the HTTP API cannot remove a contact: run this without --url")
        with state.remote() as api:
            revision = api.add_contact(owner, contact).revision
        state.emit({"revision": revision}, f"revision {revision}")
        return
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
    if state.url:
        with state.remote() as api:
            revision = api.emergency(owner).revision
    else:
        with state.engine() as engine:
            revision = engine.record_emergency(owner)
    state.emit({"revision": revision}, f"call-back window open (revision {revision})")


@main.command()
@click.option("--after", default=0, show_default=True, help="Only events after this revision.")
@click.option("--limit", default=100, show_default=True)
@click.pass_obj
@domain_errors
def events(state: State, after: int, limit: int) -> None:
    """The change feed: every write, with its revision (times in RFC 3339)."""
    from .service.schemas import event_data

    if state.url:
        with state.remote() as api:
            page = api.events(after, limit).events
        found = [
            {"revision": e.revision, "at": e.at.isoformat(), "type": e.type, "data": e.data}
            for e in page
        ]
    else:
        with state.engine() as engine:
            found = [
                {"revision": e.revision, "at": iso(e.at), "type": e.type}
                | {"data": event_data(e.data)}
                for e in engine.events(after, limit)
            ]
    state.emit(
        found,
        "\n".join(
            f"{e['revision']:>6} {e['at']} {e['type']} {json.dumps(e['data'], default=str)}"
            for e in found
        ),
    )


# -- the HTTP service ----------------------------------------------------------------


def _setting_options(func: F) -> F:
    """One flag per setting that has one, straight from the settings table."""
    from .service.settings import SETTINGS

    for setting in reversed([s for s in SETTINGS if s.flag]):
        name = "--" + setting.name.replace("_", "-")
        help_text = f"{setting.help} [env {setting.env}; default {setting.default}]"
        if setting.type is bool:
            func = click.option(name, setting.name, is_flag=True, default=None, help=help_text)(
                func
            )
        else:
            func = click.option(name, setting.name, type=setting.type, help=help_text)(func)
    return func


@main.command(
    epilog="""\b
Examples:
  nocontact serve --demo                 # six demo people: open / in two browser windows
  nocontact serve --port 9000 --db /var/lib/nocontact/nocontact.db
  NOCONTACT_PORT=9000 nocontact serve --config /etc/nocontact.toml
"""
)
@_setting_options
@click.option("--config", type=click.Path(dir_okay=False), help="TOML file of settings.")
@click.pass_obj
@domain_errors
def serve(state: State, /, config: str | None, **flags: Any) -> None:
    """Serve the /v1 HTTP API (OpenAPI at /openapi.json, docs at /docs) and the web app at /.

    Settings come from flags, then NOCONTACT_* environment variables, then the
    --config file (every setting, the connection limits included, is listed in
    docs/settings.md). Writes are durable before they are acknowledged; SIGTERM
    lets requests in flight finish and closes the store cleanly.
    """
    from .service import server
    from .service.settings import load

    state.local_only("serve")
    if flags.get("db") is None and state.db is not None:
        flags["db"] = state.db
    settings = load(flags, config=config)
    listening = server.bind(settings)  # before any banner: a taken port is the first news
    token = None
    if settings.demo:
        from .web.demo import seed_file

        settings, token = server.prepare_demo(settings)
        seed_file(str(settings.db), region=settings.region)
    url = f"http://{settings.host}:{settings.port}"
    click.echo(f"nocontact serving {url}  (API docs: {url}/docs)")
    if token:
        click.echo(
            f"web app: open {url}/ in two browser windows (one private) and sign in as two people"
        )
        click.echo(f"demo database: {settings.db}")
        click.echo(f"demo admin key: {token}")
        click.echo(
            f"try: curl -s {url}/v1/decide -H 'Authorization: Bearer {token}' "
            "-H 'Content-Type: application/json' "
            """-d '{"actor": "sam", "action": "message", "target": "alex"}'""",
        )
    server.run(settings, listening, "nocontact.companion.serve:create")  # the app and the companion


@main.group()
def keys() -> None:
    """API keys for the products that call the service (stored hashed)."""


@contextmanager
def _keystore(state: State) -> Iterator[Any]:
    from .service.auth import KeyStore
    from .store.sqlite import default_path

    store = KeyStore(state.db or default_path())
    try:
        yield store
    finally:
        store.close()


@keys.command("create")
@click.option("--name", required=True, help="Who uses the key (a product: chirp, phone).")
@click.option(
    "--scope",
    type=click.Choice(["decide", "admin"]),
    default="decide",
    show_default=True,
    help="decide: decide, visible, audience; admin: everything.",
)
@click.pass_obj
@domain_errors
def keys_create(state: State, name: str, scope: str) -> None:
    """Create a key; it is printed once and only its hash is kept.

    \b
    Example:
      nocontact keys create --name chirp --scope decide
    """
    state.local_only("keys create")
    with _keystore(state) as store:
        key, token = store.create(name, scope)
    state.emit({"id": key.id, "name": key.name, "scope": key.scope.value, "key": token}, token)


@keys.command("list")
@click.pass_obj
@domain_errors
def keys_list(state: State) -> None:
    """List keys (never their secrets)."""
    state.local_only("keys list")
    with _keystore(state) as store:
        found = store.list()
    state.emit(
        [{"id": k.id, "name": k.name, "scope": k.scope.value, "created": iso(k.created),
          "revoked": iso(k.revoked)} for k in found],
        "\n".join(
            f"{k.id} {k.name} {k.scope.value}" + (" (revoked)" if k.revoked else "") for k in found
        ) or "(none)",
    )  # fmt: skip


@keys.command("revoke")
@click.argument("key_id")
@click.pass_obj
@domain_errors
def keys_revoke(state: State, key_id: str) -> None:
    """Revoke a key: a running server refuses it within a second."""
    state.local_only("keys revoke")
    with _keystore(state) as store:
        key = store.revoke(key_id)
    state.emit({"id": key.id, "revoked": iso(key.revoked)}, f"revoked {key.id} ({key.name})")


# -- phone networks --------------------------------------------------------------


@main.command(
    "sip-proxy",
    epilog="""\b
Examples:
  nocontact --url http://127.0.0.1:8000 --key nck_... sip-proxy
  nocontact --url http://10.0.0.5:8000 --key nck_... sip-proxy --listen udp:0.0.0.0:5060 \\
      --next-hop sip:pbx.example.net:5060 --mailbox sip:voicemail.example.net:5060
  nocontact --url http://127.0.0.1:8000 --key nck_... sip-proxy --render-only --run-dir ./proxy
""",
)
@click.option("--listen", default="udp:127.0.0.1:5060", show_default=True, help="SIP socket.")
@click.option(
    "--next-hop",
    default="sip:127.0.0.1:5080",
    show_default=True,
    help="Where delivered calls and messages go (PBX, registrar, gateway).",
)
@click.option(
    "--mailbox",
    default="sip:127.0.0.1:5081",
    show_default=True,
    help="Voicemail and message store, for calls and messages held by a space.",
)
@click.option(
    "--no-answer",
    default=30.0,
    show_default=True,
    help="Seconds an unanswered call rings (a silently blocked call rings as long).",
)
@click.option("--timeout", default=1, show_default=True, help="Seconds to wait for nocontact.")
@click.option(
    "--fail-closed",
    is_flag=True,
    help="Refuse with 503 when nocontact is unreachable (default: let through, log an alert).",
)
@click.option(
    "--run-dir",
    type=click.Path(file_okay=False),
    help="Folder for the configuration and runtime files (default: a new temporary one).",
)
@click.option("--kamailio", default="/usr/sbin/kamailio", show_default=True)
@click.option(
    "--config-dir",
    type=click.Path(file_okay=False),
    help="The shipped configuration (default: integrations/kamailio of this checkout).",
)
@click.option("--render-only", is_flag=True, help="Write the configuration, print its path, exit.")
@click.pass_obj
@domain_errors
def sip_proxy(
    state: State,
    listen: str,
    next_hop: str,
    mailbox: str,
    no_answer: float,
    timeout: int,
    fail_closed: bool,
    run_dir: str | None,
    kamailio: str,
    config_dir: str | None,
    render_only: bool,
) -> None:
    """Run Kamailio with nocontact's configuration: every INVITE and MESSAGE asks first.

    Needs --url and --key (a `decide` key) of a running `nocontact serve`.
    The configuration is integrations/kamailio/kamailio.cfg; docs/telephony.md
    explains it.
    """
    import os
    import tempfile
    from pathlib import Path

    from .telephony.proxy import SHIPPED, ProxySettings, command, render

    if not state.url or not state.key:
        raise InvalidInput("sip-proxy needs --url and --key of a nocontact server", field="url")
    settings = ProxySettings(
        url=state.url,
        key=state.key,
        listen=listen,
        next_hop=next_hop,
        mailbox=mailbox,
        no_answer_ms=round(no_answer * 1000),
        timeout_s=timeout,
        fail_open=not fail_closed,
    )
    folder = Path(run_dir) if run_dir else Path(tempfile.mkdtemp(prefix="nocontact-sip-"))
    cfg = render(settings, folder, Path(config_dir) if config_dir else SHIPPED)
    if render_only:
        click.echo(str(cfg))
        return
    argv = command(cfg, kamailio=kamailio)
    click.echo(f"nocontact sip-proxy on {listen}, asking {state.url}: {' '.join(argv)}", err=True)
    os.execv(argv[0], argv)


@main.command(
    epilog="""\b
Examples:
  nocontact attempts olive
  nocontact --json attempts olive --after 120 --limit 50
  nocontact --url http://127.0.0.1:8000 --key nck_... attempts olive
"""
)
@click.argument("owner")
@click.option("--after", default=0, show_default=True, help="Only attempts with a larger id.")
@click.option("--limit", default=100, show_default=True)
@click.pass_obj
@domain_errors
def attempts(state: State, owner: str, after: int, limit: int) -> None:
    """The owner's held and sealed calls and messages, oldest first."""
    if state.url:
        import msgspec

        with state.remote() as client:
            page = client.attempts(owner, after=after, limit=limit)
        rows: list[dict[str, Any]] = [
            msgspec.structs.asdict(a) | {"at": a.at.isoformat(timespec="seconds")}
            for a in page.attempts
        ]
    else:
        from .store import open_store
        from .telephony.attempts import Attempts

        with closing(open_store(state.db)) as store:
            found = Attempts(store).list(owner, after=after, limit=limit)
        rows = [a.as_dict() | {"at": iso(a.at)} for a in found]
    state.emit(
        rows,
        "\n".join(
            f"{r['id']} {r['at']} {r['channel']} from {r['caller']}: {r['outcome']}"
            + (" (sealed)" if r["sealed"] else "")
            for r in rows
        )
        or "(none)",
    )


# -- benchmark -----------------------------------------------------------------

BENCH_APPROACHES = ("dict", "sqlite", "postgres", "redis", "numpy")
BENCH_POSTGRES = "host=127.0.0.1 dbname=test user=postgres"
BENCH_REDIS = "redis://127.0.0.1:6379/15"
BENCH_RESULTS = "bench-results"
WORKERS_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
WORKERS_POSTGRES_ENV = "NOCONTACT_BENCH_POSTGRES"


@main.command(
    epilog="""\b
Examples:
  nocontact bench --people 100000 --boundaries 1000000   # a small run: under 2 minutes
  nocontact bench                                        # the full size (1 M people, 10 M)
  nocontact bench --skip postgres --skip redis           # no servers here
  nocontact bench --people 100000 --boundaries 1000000 --out /tmp/B.md --plot /tmp/b.png
  nocontact bench --postgres-dsn "host=db dbname=bench user=me" --redis-url redis://cache/15
  nocontact bench --product --people 100000 --boundaries 1000000  # as a product calls it
  nocontact bench --http                                 # the HTTP service
  nocontact bench --lists                                # shared lists: 3 x 50,000 members
  nocontact bench --write-docs                           # update BENCHMARKS.md, docs/bench.png
  nocontact bench --sip                                  # a SIP proxy asking
  nocontact bench --workers --stall-boundaries 1000000   # many workers: a quicker run
  nocontact --db postgresql://me@db/bench bench --workers  # another PostgreSQL
"""
)
@click.option(
    "--lists",
    "lists_only",
    is_flag=True,
    help="Measure shared lists instead: 3 lists of 50,000 members, 1 and 10,000 subscribers.",
)
@click.option(
    "--product",
    is_flag=True,
    help="Measure as a product calls it instead: Python values in and out, p50 and p99, heavy"
    " users, each figure in a fresh process on the store evicted from the page cache, next to"
    " a dict of sets in the same process (--people, --boundaries, --seed, --queries apply).",
)
@click.option(
    "--http",
    is_flag=True,
    help="Measure the HTTP service instead: single decides and batches on 127.0.0.1.",
)
@click.option(
    "--app",
    "app_page",
    is_flag=True,
    help="Measure the web app's feed page instead (10,000 blocks, 1,000 follows, 50 posts).",
)
@click.option(
    "--workers",
    "many_workers",
    is_flag=True,
    help="Measure many workers instead, on SQLite and on PostgreSQL: the time from a write"
    " acknowledged by one worker to its enforcement by another (p50, p99), decisions/s with"
    " 1 and 2 workers, and the longest write stall. PostgreSQL: --db if it is a postgresql://"
    f" URL, else ${WORKERS_POSTGRES_ENV}, else {WORKERS_POSTGRES} (a schema of its own,"
    " dropped after; rows say why when it cannot be reached).",
)
@click.option(
    "--samples",
    type=click.IntRange(min=2),
    default=200,
    show_default=True,
    help="With --workers: blocks written per store for each write-to-enforcement figure.",
)
@click.option(
    "--stall-boundaries",
    type=click.IntRange(min=1),
    default=10_000_000,
    show_default=True,
    help="With --workers: boundaries in the engine whose longest write stall is measured"
    " (the target is set at 10 M; fewer for a quick run).",
)
@click.option(
    "--http-seconds",
    type=click.FloatRange(min=0.5),
    default=5.0,
    show_default=True,
    help="With --http or --workers: how long each throughput measurement runs.",
)
@click.option(
    "--sip",
    is_flag=True,
    help="Measure a SIP proxy asking nocontact instead: Kamailio and SIPp on 127.0.0.1.",
)
@click.option("--sip-rate", default=100, show_default=True, help="With --sip: calls per second.")
@click.option(
    "--sip-seconds", default=20.0, show_default=True, help="With --sip: how long the steady run is."
)
@click.option(
    "--sip-ports",
    type=(int, int),
    default=(5060, 8600),
    show_default=True,
    help="With --sip: the proxy's SIP port (callee +10, caller +20) and the service's HTTP port.",
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
    "--results",
    "results_dir",
    type=click.Path(file_okay=False),
    default=BENCH_RESULTS,
    show_default=True,
    help="Folder for the report (BENCHMARKS.md) and the plot (bench.png).",
)
@click.option(
    "--write-docs",
    is_flag=True,
    help="Update the project's own BENCHMARKS.md and docs/bench.png instead.",
)
@click.option("--out", type=click.Path(dir_okay=False), help="Where to write the report.")
@click.option("--plot", type=click.Path(dir_okay=False), help="Where to write the plot (PNG).")
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
    help="Redis to compare with: keys under ncb: only, deleted after; nothing else touched.",
)
@click.pass_obj
def bench(
    state: State,
    lists_only: bool,
    product: bool,
    http: bool,
    app_page: bool,
    many_workers: bool,
    samples: int,
    stall_boundaries: int,
    http_seconds: float,
    sip: bool,
    sip_rate: int,
    sip_seconds: float,
    sip_ports: tuple[int, int],
    people: int,
    boundaries: int,
    seed: int,
    queries: int,
    skip: tuple[str, ...],
    results_dir: str,
    write_docs: bool,
    out: str | None,
    plot: str | None,
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
    Writes the report and the plot into the --results folder (or where --out and
    --plot say; the project's own files only with --write-docs); exits with status
    1 if any answer differs from the reference.
    """
    import shlex
    from pathlib import Path

    from rich.console import Console

    if state.url:
        raise click.UsageError("`nocontact bench` measures locally and does not take --url")
    folder = Path(results_dir)
    if write_docs:
        out_path, plot_path = Path("BENCHMARKS.md"), Path("docs/bench.png")
    else:
        out_path, plot_path = folder / "BENCHMARKS.md", folder / "bench.png"
    out_path = Path(out) if out else out_path
    plot_path = Path(plot) if plot else plot_path

    if lists_only:
        from .bench import lists, sections

        found_lists = lists.run_lists(lists.ListsOptions(seed=seed))
        text = lists.markdown(found_lists, shlex.join(["nocontact", "bench", "--lists"]))
        sections.write(out_path, lists.SECTION, text)
        click.echo(text)
        click.echo(f"wrote the lists section of {out_path}")
        sys.exit(0 if found_lists.agrees else 1)

    if product:
        _bench_product(people, boundaries, seed, queries, folder, write_docs, out, plot)
        return

    if app_page:
        from .bench import sections
        from .web import bench as app_bench

        with_blocks, without = app_bench.run()
        command = "nocontact bench --app" + (" --write-docs" if write_docs else "")
        text = app_bench.markdown(with_blocks, without, command)
        sections.write(out_path, app_bench.SECTION, text)
        click.echo(text)
        click.echo(f"wrote the web app section of {out_path}")
        return
    if sip:
        from .bench import sections
        from .telephony import bench_sip

        parts = ["nocontact", "bench", "--sip", "--sip-rate", str(sip_rate),
                 "--sip-seconds", str(sip_seconds)]  # fmt: skip
        ports = bench_sip.Ports(http=sip_ports[1], proxy=sip_ports[0], callee=sip_ports[0] + 10,
                                caller=sip_ports[0] + 20)  # fmt: skip
        found_sip = bench_sip.run(sip_rate, sip_seconds, ports, shlex.join(parts))
        sections.write(out_path, bench_sip.SECTION, bench_sip.markdown(found_sip))
        click.echo(bench_sip.markdown(found_sip))
        click.echo(f"wrote the SIP section of {out_path}")
        return

    if many_workers:
        _bench_workers(state, out_path, samples, stall_boundaries, http_seconds)
        return

    if http:
        from .bench import http as bench_http
        from .bench import sections

        parts = ["nocontact", "bench", "--http", "--http-seconds", str(http_seconds)]
        found = bench_http.run(http_seconds, shlex.join(parts))
        sections.write(out_path, bench_http.SECTION, bench_http.markdown(found))
        click.echo(bench_http.markdown(found))
        click.echo(f"wrote the HTTP section of {out_path}")
        return

    from .bench import report, sections
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
    why = report.plot(results, plot_path)
    if why is not None:
        console.print(f"[yellow]no plot: {why}")
    sections.write(
        out_path,
        report.SECTION,
        report.markdown(results, shlex.join(parts), None if why else plot_path, out_path),
    )
    console.print(f"wrote {out_path}" + ("" if why else f" and {plot_path}"))
    if not results.passed:
        console.print("[bold red]some answers differ from the reference: see the report")
        sys.exit(1)


def _bench_product(
    people: int,
    boundaries: int,
    seed: int,
    queries: int,
    folder: Path,
    write_docs: bool,
    out: str | None,
    plot: str | None,
) -> None:
    """``nocontact bench --product``: measure, write the section and its plot, exit 1 if an
    answer differs."""
    import shlex
    import tempfile
    from pathlib import Path

    from .bench import product, sections

    if write_docs:
        out_path, plot_path = Path("BENCHMARKS.md"), Path("docs/bench-product.png")
    else:
        out_path, plot_path = folder / "BENCHMARKS.md", folder / "bench-product.png"
    out_path = Path(out) if out else out_path
    plot_path = Path(plot) if plot else plot_path
    parts = ["nocontact", "bench", "--product", "--people", str(people)]
    parts += ["--boundaries", str(boundaries), "--seed", str(seed), "--queries", str(queries)]
    folder.mkdir(parents=True, exist_ok=True)
    # The store goes on a disk next to the results (a temporary folder may live in memory).
    with tempfile.TemporaryDirectory(prefix="product-", dir=folder) as store:
        options = product.Options(people, boundaries, seed, queries, Path(store))
        try:
            found = product.run(options, click.echo)
        except ValueError as error:
            raise click.UsageError(str(error)) from None
    why = product.plot(found, plot_path)
    if why is not None:
        click.echo(f"no plot: {why}")
    text = product.markdown(found, shlex.join(parts), None if why else plot_path, out_path)
    sections.write(out_path, product.SECTION, text)
    click.echo(text)
    click.echo(f"wrote the product section of {out_path}" + ("" if why else f" and {plot_path}"))
    if not found.passed:
        click.echo("some answers differ from the reference: see the report", err=True)
        sys.exit(1)


def _bench_workers(
    state: State, out_path: Path, samples: int, stall_boundaries: int, seconds: float
) -> None:
    """``nocontact bench --workers``: measure, write the section, exit 1 if a write was
    never enforced by the other worker."""
    import os
    import shlex

    from rich.console import Console

    from .bench import sections, workers
    from .bench.runner import Bars, progress_bars
    from .store.postgres import is_postgres_url

    if state.db and is_postgres_url(state.db):
        postgres = state.db
    else:
        postgres = os.environ.get(WORKERS_POSTGRES_ENV) or WORKERS_POSTGRES
    parts = ["nocontact", "bench", "--workers", "--samples", str(samples)]
    parts += ["--stall-boundaries", str(stall_boundaries), "--http-seconds", str(seconds)]
    options = workers.WorkersOptions(
        samples=samples, seconds=seconds, stall_boundaries=stall_boundaries, postgres=postgres
    )
    console = Console()
    with progress_bars(console) as progress:
        found = workers.run(options, shlex.join(parts), Bars(progress).step)
    text = workers.markdown(found)
    sections.write(out_path, workers.SECTION, text)
    click.echo(text)
    click.echo(f"wrote the many-workers section of {out_path}")
    if any(s.missed for s in found.stores):
        sys.exit(1)


for _command in (shared_list, import_command, export_command):
    main.add_command(_command)
