"""Run an import as one transaction, and write an export.

Every row is tried, so that every bad row is reported with its line number;
if any row is bad, the transaction is abandoned and nothing is stored. In
``merge`` mode the rows add to what the owner has; in ``replace`` mode the
owner's boundaries of the kind the file holds (or contacts, for a vCard) are
lifted first, in the same transaction. A pledge is never lifted by an import:
ending one takes its cool-down.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from nocontact.core.errors import ImportRejected, InvalidInput, NocontactError, StoreChanged
from nocontact.core.model import Boundary, Kind
from nocontact.engine import Engine

from . import mastodon, native_json, numbers, vcard
from .rows import (
    FORMATS,
    MAX_IMPORT_ROWS,
    BoundaryRow,
    ContactRow,
    Parsed,
    RecordRow,
    Row,
    decode,
)

MODES = ("merge", "replace")
#: How many times an import is tried while other processes keep writing first.
IMPORT_ATTEMPTS = 3
EXPORT_FORMATS = ("json", "mastodon-blocks", "mastodon-mutes", "mastodon-domains")


@dataclass(frozen=True, slots=True)
class ImportResult:
    format: str
    rows: int
    revision: int


def detect(lines: list[str], filename: str | None = None) -> str:
    """The format of a file, from its name and its first non-blank line."""
    name = (filename or "").lower()
    first = next((line.strip() for line in lines if line.strip()), "")
    if name.endswith((".vcf", ".vcard")) or first.upper() == "BEGIN:VCARD":
        return "vcard"
    if name.endswith((".jsonl", ".json")) or first.startswith("{"):
        return "json"
    if first.lower() == mastodon.DOMAINS_HEADER:
        return "mastodon-domains"
    if first.lower().replace(" ", "") == "accountaddress,hidenotifications":
        return "mastodon-mutes"
    if first.lower() == "account address" or "@" in first:
        return "mastodon-blocks"
    return "numbers"


def parse(lines: list[str], fmt: str, *, region: str, platform: str, kind: str | None) -> Parsed:
    if fmt == "mastodon-blocks":
        return mastodon.parse_blocks(lines, platform, kind or "block")
    if fmt == "mastodon-mutes":
        return mastodon.parse_mutes(lines, platform)
    if fmt == "mastodon-domains":
        return mastodon.parse_domains(lines, platform)
    if fmt == "vcard":
        return vcard.parse_vcards(lines, region)
    if fmt == "numbers":
        return numbers.parse_numbers(lines, region, kind or "block")
    if fmt == "json":
        return native_json.parse(lines)
    raise InvalidInput(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}", field="format")


def import_file(
    engine: Engine,
    content: bytes | str,
    *,
    fmt: str | None = None,
    owner: str | None = None,
    mode: str = "merge",
    kind: str | None = None,
    region: str | None = None,
    platform: str = "mastodon",
    filename: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import a file for ``owner`` (not needed for the native format), all or nothing.

    ``progress(done, total)`` hears how many rows were applied.
    """
    if mode not in MODES:
        raise InvalidInput(f"mode must be merge or replace; got {mode!r}", field="mode")
    if kind is not None and kind not in {k.value for k in Kind}:
        raise InvalidInput(f"kind must be a kind of boundary; got {kind!r}", field="kind")
    lines = decode(content)
    fmt = fmt or detect(lines, filename)
    parsed = parse(lines, fmt, region=region or engine.config.region, platform=platform, kind=kind)
    if len(parsed.rows) > MAX_IMPORT_ROWS:
        raise InvalidInput(
            f"the file has {len(parsed.rows)} rows; one import takes at most {MAX_IMPORT_ROWS}",
            field="content",
        )
    if fmt != "json":
        if owner is None:
            raise InvalidInput("say whose file this is: owner", field="owner")
        engine.person(owner)  # an unknown owner is one error, not one per row
    for attempt in range(1, IMPORT_ATTEMPTS + 1):
        try:
            _apply_all(engine, fmt, parsed, owner, mode, kind, platform, progress)
            break
        except StoreChanged:  # another process wrote first: nothing stored; again, afresh
            if attempt == IMPORT_ATTEMPTS:
                raise
    return ImportResult(fmt, len(parsed.rows), engine.revision)


def _apply_all(
    engine: Engine, fmt: str, parsed: Parsed, owner: str | None, mode: str, kind: str | None,
    platform: str, progress: Callable[[int, int], None] | None,
) -> None:  # fmt: skip
    """Every row in one transaction; any bad row (all reported) and nothing is stored."""
    bad = list(parsed.bad)
    with engine.transaction("import_" + fmt.replace("-", "_")):
        if mode == "replace":
            _clear(engine, fmt, parsed.rows, owner, kind, platform)
        runner = _Runner(engine, owner, kind)
        for done, row in enumerate(parsed.rows, 1):
            try:
                runner.apply(row)
            except StoreChanged:
                raise
            except NocontactError as exc:
                bad.append((row.line, exc.detail))
            except (KeyError, TypeError, ValueError) as exc:
                bad.append((row.line, f"a record is missing or misspells a field: {exc}"))
            if progress is not None:
                progress(done, len(parsed.rows))
        if bad:
            raise ImportRejected(sorted(bad))


class _Runner:
    """Applies rows one by one, inside the import's transaction."""

    def __init__(self, engine: Engine, owner: str | None, kind: str | None) -> None:
        self.engine = engine
        self.owner = owner
        self.kind = kind

    def apply(self, row: Row) -> None:
        engine = self.engine
        if isinstance(row, BoundaryRow):
            engine.set_boundary(row.owner or str(self.owner), row.target, row.kind, **row.options)
        elif isinstance(row, ContactRow):
            person = self._person(row)
            if self.kind is None:
                engine.add_contact(str(self.owner), person)
            else:
                engine.set_boundary(str(self.owner), person, self.kind)
        else:
            self._record(row)

    def _person(self, row: ContactRow) -> str:
        """The one person a card stands for: the holder of its addresses, or someone new."""
        engine = self.engine
        holders = {h for a in row.addresses if (h := engine.holder(a)) is not None}
        if len(holders) > 1:
            raise InvalidInput(f"the card's addresses belong to {', '.join(sorted(holders))}")
        if holders:
            [person] = holders
            for address in row.addresses:
                engine.link_address(person, address)
            return person
        person = _free_id(engine, row.name)
        engine.add_person(person, name=row.name, addresses=row.addresses)
        return person

    def _record(self, row: RecordRow) -> None:
        engine, d = self.engine, row.data
        if row.type == "person":
            if engine.has_person(d["id"]):
                engine.rename_person(d["id"], d.get("name"))
                for address in d.get("addresses", []):
                    engine.link_address(d["id"], address)
            else:
                engine.add_person(d["id"], name=d.get("name"), addresses=d.get("addresses", []))
        elif row.type == "list":
            if d["id"] not in {i.id for i in engine.lists_of(d["curator"])}:
                engine.create_list(d["curator"], d["name"], list_id=d["id"])
            engine.add_list_members(d["id"], d.get("members", []))
            if d.get("deleted"):
                engine.delete_list(d["id"])
        elif row.type == "suspension":
            engine.suspend_curator(d["curator"])
        elif row.type == "subscription":
            engine.subscribe(d["owner"], d["list"], d["kind"])
        elif row.type == "boundary":
            engine.set_boundary(
                d["owner"], d["target"], d["kind"], scope=d.get("scope"),
                channels=d.get("channels"), starts=d.get("starts"), ends=d.get("ends"),
                disclosure=d.get("disclosure", "silent"), note=d.get("note"),
                keep_evidence=d.get("keep_evidence", False), on_end=d.get("on_end", "deliver"),
            )  # fmt: skip
        elif row.type == "contact":
            engine.add_contact(d["owner"], d["contact"])
        elif row.type == "setting":
            engine.set_emergency_lifts_person_blocks(d["owner"], d["value"] == "true")
        elif row.type == "emergency":
            engine.record_emergency(d["owner"], d["at"])


_SLUG = re.compile(r"[^a-z0-9]+")


def _free_id(engine: Engine, name: str | None) -> str:
    """A readable person id from a card's name, made unique: ``sam-okafor``, ``sam-okafor-2``."""
    base = _SLUG.sub("-", (name or "").lower()).strip("-")[:48]
    if not any(c.isalpha() for c in base):
        base = "contact" + (f"-{base}" if base else "")
    candidate, n = base, 1
    while engine.has_person(candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _clear(
    engine: Engine, fmt: str, rows: list[Row], owner: str | None, kind: str | None,
    platform: str,
) -> None:  # fmt: skip
    """Replace mode: lift what the file replaces, first (pledges excepted)."""
    if fmt == "json":
        owners = {r.data["owner"] for r in rows if isinstance(r, RecordRow) and "owner" in r.data}
        for who in sorted(o for o in owners if isinstance(o, str) and engine.has_person(o)):
            _lift_where(engine, who, lambda b: True)
            for contact in engine.contacts(who):
                engine.remove_contact(who, contact)
            for sub in engine.subscriptions(who):
                engine.unsubscribe(who, sub.list_id)
        return
    who = str(owner)
    if fmt == "vcard" and kind is None:
        for contact in engine.contacts(who):
            engine.remove_contact(who, contact)
        return
    kinds = {r.kind for r in rows if isinstance(r, BoundaryRow)} | {kind or "block"}
    if fmt == "mastodon-mutes":
        kinds = {"mute"}
    family: dict[str, Callable[[Boundary], bool]] = {
        "mastodon-blocks": lambda b: b.target.startswith(f"acct:{platform}:"),
        "mastodon-mutes": lambda b: b.target.startswith(f"acct:{platform}:"),
        "mastodon-domains": lambda b: b.target.startswith(f"pattern:instance:{platform}:"),
        "numbers": lambda b: b.target.startswith("tel:"),
        "vcard": lambda b: not b.target.startswith(("pattern:", "acct:", "sender:")),
    }
    same = family[fmt]
    _lift_where(engine, who, lambda b: b.kind.value in kinds and same(b))


def _lift_where(engine: Engine, owner: str, chosen: Callable[[Boundary], bool]) -> None:
    for b in engine.boundaries(owner):
        if b.kind is not Kind.PLEDGE and chosen(b):
            engine.lift(b.id)


def export_file(engine: Engine, fmt: str = "json", *, owner: str | None = None) -> str:
    """The export as text: everything (native JSON), or one owner's Mastodon CSV."""
    if fmt == "json":
        return native_json.write(engine, owner)
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(
            f"format must be one of {', '.join(EXPORT_FORMATS)}; got {fmt!r}", field="format"
        )
    if owner is None:
        raise InvalidInput("a Mastodon export is one owner's: give owner", field="owner")
    found = engine.boundaries(owner)
    if fmt == "mastodon-domains":
        return mastodon.write_domains(b for b in found if b.kind is Kind.BLOCK)
    kind = Kind.MUTE if fmt == "mastodon-mutes" else Kind.BLOCK
    return mastodon.write_accounts(
        (b for b in found if b.kind is kind), mutes=fmt == "mastodon-mutes"
    )
