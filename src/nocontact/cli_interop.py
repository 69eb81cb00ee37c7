"""``nocontact list``, ``nocontact import`` and ``nocontact export``.

Added to the ``nocontact`` group by :mod:`nocontact.cli`. They work on
the local database file (``--db``), or with ``--url`` on a running server
through ``/v1/lists``, ``/v1/import`` and ``/v1/export``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import click
from rich.console import Console
from rich.progress import Progress

from .core.errors import ImportRejected, InvalidInput, NocontactError
from .engine import Engine, EngineConfig
from .engine_lists import ListInfo, Subscription
from .interop.apply import EXPORT_FORMATS, MODES, export_file, import_file
from .interop.rows import FORMATS, MAX_IMPORT_BYTES, decode

if TYPE_CHECKING:  # the HTTP client is imported only when --url is given
    from .client import Client
    from .service.list_schemas import ListOut, SubscriptionOut

F = TypeVar("F", bound=Callable[..., Any])


class State(Protocol):
    """What these commands use of the ``nocontact`` command's state."""

    url: str | None
    as_json: bool
    config: EngineConfig

    def remote(self) -> AbstractContextManager[Client]: ...

    def engine(self) -> AbstractContextManager[Engine]: ...

    def emit(self, data: object, text: str) -> None: ...


def domain_errors(func: F) -> F:
    """Turn domain errors into one clear line and exit status 2 (as every command does)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except NocontactError as error:
            state = click.get_current_context().obj
            if getattr(state, "as_json", False):
                click.echo(json.dumps(error.as_dict()), err=True)
            else:
                click.secho(f"error: {error.detail} [{error.code}]", fg="red", err=True)
            sys.exit(2)

    return cast(F, wrapper)


#: Files with more rows than this show a progress bar.
PROGRESS_FROM = 5_000


def _info(out: ListOut) -> ListInfo:
    return ListInfo(out.id, out.name, out.curator, out.members, out.deleted, out.applies,
                    out.revision)  # fmt: skip


def _sub(out: SubscriptionOut) -> Subscription:
    return Subscription(out.id, out.owner, out.list, out.list_name, out.kind, out.applies,
                        out.revision)  # fmt: skip


def list_data(info: ListInfo) -> dict[str, object]:
    return {
        "id": info.id,
        "name": info.name,
        "curator": info.curator,
        "members": info.members,
        "deleted": info.deleted,
        "applies": info.applies,
        "revision": info.revision,
    }


def list_line(info: ListInfo) -> str:
    state = "" if info.applies else (" (deleted)" if info.deleted else " (curator suspended)")
    return f"{info.id}  {info.name!r} by {info.curator}, {info.members} members{state}"


def sub_line(sub: Subscription) -> str:
    state = "" if sub.applies else " (no longer applies)"
    return f"{sub.owner} {sub.kind.value}s everyone on {sub.list_id} ({sub.list_name}){state}"


@click.group("list")
def shared_list() -> None:
    """Shared lists: a curator's list of people; owners subscribe as a block or a mute.

    \b
    Examples:
      nocontact list create cara "Spam callers" --id spam --member "+1 415 555 0123"
      nocontact list add spam sam "mailto:*@spam.example"
      nocontact list subscribe alex spam --kind block
      nocontact list show spam
      nocontact list subscriptions alex
      nocontact list unsubscribe alex spam
    """


@shared_list.command("create")
@click.argument("curator")
@click.argument("name")
@click.option("--id", "list_id", help="The list's id (default: a random one).")
@click.option("--member", "members", multiple=True, help="A person id or address; repeat.")
@click.pass_obj
@domain_errors
def list_create(
    state: State, curator: str, name: str, list_id: str | None, members: tuple[str, ...]
) -> None:
    """CURATOR creates a list called NAME."""
    if state.url:
        with state.remote() as api:
            info = _info(api.create_list(curator, name, list_id=list_id, members=members))
    else:
        with state.engine() as engine:
            info = engine.create_list(curator, name, list_id=list_id, members=members)
    state.emit(list_data(info), list_line(info))


@shared_list.command("add")
@click.argument("list_id")
@click.argument("members", nargs=-1, required=True)
@click.pass_obj
@domain_errors
def list_add(state: State, list_id: str, members: tuple[str, ...]) -> None:
    """Add MEMBERS (person ids or addresses) to a list: every subscriber is covered at once."""
    if state.url:
        with state.remote() as api:
            revision = api.add_list_members(list_id, members).revision
            info = _info(api.get_list(list_id))
    else:
        with state.engine() as engine:
            revision = engine.add_list_members(list_id, members)
            info = engine.shared_list(list_id)
    state.emit({**list_data(info), "revision": revision}, list_line(info))


@shared_list.command("remove")
@click.argument("list_id")
@click.argument("members", nargs=-1, required=True)
@click.pass_obj
@domain_errors
def list_remove(state: State, list_id: str, members: tuple[str, ...]) -> None:
    """Remove MEMBERS from a list."""
    if state.url:
        with state.remote() as api:
            for member in members:
                revision = api.remove_list_member(list_id, member).revision
            info = _info(api.get_list(list_id))
    else:
        with state.engine() as engine:
            revision = engine.remove_list_members(list_id, members)
            info = engine.shared_list(list_id)
    state.emit({**list_data(info), "revision": revision}, list_line(info))


@shared_list.command("show")
@click.argument("list_id")
@click.pass_obj
@domain_errors
def list_show(state: State, list_id: str) -> None:
    """A list and its members."""
    if state.url:
        with state.remote() as api:
            info = _info(api.get_list(list_id))
            members = api.list_members(list_id)
    else:
        with state.engine() as engine:
            info = engine.shared_list(list_id)
            members = engine.list_members(list_id)
    text = "\n".join([list_line(info), *(f"  {m}" for m in members)])
    state.emit({**list_data(info), "member_ids": members}, text)


@shared_list.command("subscribe")
@click.argument("owner")
@click.argument("list_id")
@click.option("--kind", "-k", type=click.Choice(["block", "mute"]), default="block",
              show_default=True)  # fmt: skip
@click.pass_obj
@domain_errors
def list_subscribe(state: State, owner: str, list_id: str, kind: str) -> None:
    """OWNER blocks (or mutes) everyone on the list, as it changes."""
    if state.url:
        with state.remote() as api:
            sub = _sub(api.subscribe(owner, list_id, kind))
    else:
        with state.engine() as engine:
            sub = engine.subscribe(owner, list_id, kind)
    state.emit(_sub_data(sub), sub_line(sub))


@shared_list.command("unsubscribe")
@click.argument("owner")
@click.argument("list_id")
@click.pass_obj
@domain_errors
def list_unsubscribe(state: State, owner: str, list_id: str) -> None:
    """End OWNER's subscription (also to a deleted list)."""
    if state.url:
        with state.remote() as api:
            revision = api.unsubscribe(owner, list_id).revision
    else:
        with state.engine() as engine:
            revision = engine.unsubscribe(owner, list_id)
    state.emit({"owner": owner, "list": list_id, "revision": revision},
               f"{owner} no longer subscribes to {list_id}")  # fmt: skip


@shared_list.command("subscriptions")
@click.argument("owner")
@click.pass_obj
@domain_errors
def list_subscriptions(state: State, owner: str) -> None:
    """OWNER's subscriptions, including to lists that no longer apply."""
    if state.url:
        with state.remote() as api:
            subs = [_sub(x) for x in api.subscriptions(owner).subscriptions]
    else:
        with state.engine() as engine:
            subs = engine.subscriptions(owner)
    state.emit([_sub_data(s) for s in subs], "\n".join(map(sub_line, subs)) or "(none)")


@shared_list.command("delete")
@click.argument("list_id")
@click.pass_obj
@domain_errors
def list_delete(state: State, list_id: str) -> None:
    """Delete a list: it stops applying; subscribers still see it until they unsubscribe."""
    if state.url:
        with state.remote() as api:
            revision = api.delete_list(list_id).revision
    else:
        with state.engine() as engine:
            revision = engine.delete_list(list_id)
    state.emit({"list": list_id, "revision": revision}, f"deleted {list_id}")


@shared_list.command("suspend")
@click.argument("curator")
@click.option("--lift", is_flag=True, help="Reinstate the curator instead.")
@click.pass_obj
@domain_errors
def list_suspend(state: State, curator: str, lift: bool) -> None:
    """Suspend a CURATOR: every list they keep stops applying until reinstated."""
    if state.url:
        with state.remote() as api:
            revision = api.suspend_curator(curator, not lift).revision
    else:
        with state.engine() as engine:
            revision = engine.suspend_curator(curator, not lift)
    text = f"{curator} reinstated" if lift else f"{curator} suspended: their lists stop applying"
    state.emit({"curator": curator, "suspended": not lift, "revision": revision}, text)


def _sub_data(sub: Subscription) -> dict[str, object]:
    return {"id": sub.id, "owner": sub.owner, "list": sub.list_id, "list_name": sub.list_name,
            "kind": sub.kind.value, "applies": sub.applies, "revision": sub.revision}  # fmt: skip


@contextmanager
def _progress(show: bool) -> Iterator[Callable[[int, int], None] | None]:
    if not show:
        yield None
        return
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("importing", total=None)

        def update(done: int, total: int) -> None:
            if done % 500 == 0 or done == total:
                bar.update(task, completed=done, total=total)

        yield update


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--owner", help="Whose file it is (every format but the native json).")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="Default: guessed from the file's name and first line.")  # fmt: skip
@click.option("--mode", type=click.Choice(MODES), default="merge", show_default=True,
              help="replace: first lift what the file replaces (never a pledge).")  # fmt: skip
@click.option("--kind", "-k", help="Boundary kind for the rows (default block; vCard: contacts).")
@click.option("--platform", default="mastodon", show_default=True,
              help="The platform of Mastodon handles.")  # fmt: skip
@click.pass_obj
@domain_errors
def import_command(
    state: State, path: Path, owner: str | None, fmt: str | None, mode: str,
    kind: str | None, platform: str,
) -> None:  # fmt: skip
    """Import a file, all or nothing: one bad row, and nothing changes.

    \b
    Formats: Mastodon's blocks.csv, mutes.csv and domain_blocks.csv; contacts
    as vCard (.vcf: each card one person; contacts spare pattern:unknown);
    a plain list of phone numbers (any spelling, --region for national ones);
    nocontact's own export (.jsonl). Files up to 20 MiB and 200,000 rows.
    \b
    Examples:
      nocontact import blocks.csv --owner alex
      nocontact import mutes.csv --owner alex --mode replace
      nocontact --region GB import numbers.txt --owner alex --kind block
      nocontact import contacts.vcf --owner alex
      nocontact import backup.jsonl
    """
    if path.stat().st_size > MAX_IMPORT_BYTES:
        raise InvalidInput(f"{path} is larger than {MAX_IMPORT_BYTES} bytes", field="path")
    content = path.read_bytes()
    if state.url:
        text = "\n".join(decode(content)) + "\n"
        options = {"format": fmt, "owner": owner, "mode": mode, "kind": kind,
                   "region": state.config.region, "platform": platform}  # fmt: skip
        from .client import ProblemError

        with state.remote() as api:
            try:
                out = api.import_content(text, **options)
            except ProblemError as problem:
                for row in problem.problem.rows or []:
                    click.secho(f"{path}:{row.line}: {row.detail}", fg="red", err=True)
                raise
        data = {"format": out.format, "rows": out.rows, "revision": out.revision}
        state.emit(data, f"imported {out.rows} rows ({out.format}) at revision {out.revision}")
        return
    show = not state.as_json and content.count(b"\n") > PROGRESS_FROM and sys.stderr.isatty()
    try:
        with state.engine() as engine, _progress(show) as progress:
            result = import_file(
                engine, content, fmt=fmt, owner=owner, mode=mode, kind=kind,
                region=state.config.region, platform=platform, filename=path.name,
                progress=progress,
            )  # fmt: skip
    except ImportRejected as rejected:
        for line, detail in rejected.rows:
            click.secho(f"{path}:{line}: {detail}", fg="red", err=True)
        raise
    data = {"format": result.format, "rows": result.rows, "revision": result.revision}
    state.emit(data, f"imported {result.rows} rows ({result.format}) at revision {result.revision}")


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="json",
              show_default=True)  # fmt: skip
@click.option("--owner", help="Only what this owner set (required for Mastodon formats).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")  # fmt: skip
@click.pass_obj
@domain_errors
def export_command(state: State, fmt: str, owner: str | None, output: Path | None) -> None:
    """Export everything (or one owner's) to a file another database can import.

    \b
    The native json keeps everything, temporary boundaries' ends included:
    importing it into an empty database gives the same decisions.
    \b
    Examples:
      nocontact export -o backup.jsonl
      nocontact export --owner alex --format mastodon-blocks -o blocks.csv
    """
    if state.url:
        with state.remote() as api:
            text = api.export(fmt, owner=owner).content
    else:
        with state.engine() as engine:
            text = export_file(engine, fmt, owner=owner)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
