"""The domain's exception family.

Every error carries a stable machine ``code`` and a human ``detail``. The HTTP
edge turns them into RFC 9457 problems; the CLI prints them. Nothing here knows
about HTTP: ``status`` is only a hint for that edge.
"""

from __future__ import annotations

from typing import ClassVar


class NocontactError(Exception):
    """Base of every error nocontact raises on purpose."""

    code: ClassVar[str] = "error"
    title: ClassVar[str] = "Error"
    status: ClassVar[int] = 400

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code, "title": self.title, "detail": self.detail}
        if self.field is not None:
            out["field"] = self.field
        return out


class InvalidInput(NocontactError):
    """A value is malformed (a bad enum name, a negative duration, a long note)."""

    code = "invalid_input"
    title = "Invalid input"


class InvalidAddress(InvalidInput):
    """An address cannot be parsed or normalised."""

    code = "invalid_address"
    title = "Invalid address"


class InvalidPersonId(InvalidInput):
    code = "invalid_person_id"
    title = "Invalid person id"


class InvalidBoundary(InvalidInput):
    """A boundary's parts do not fit together (scope, target, channels, times)."""

    code = "invalid_boundary"
    title = "Invalid boundary"


class SelfBoundary(InvalidBoundary):
    code = "self_boundary"
    title = "A boundary toward oneself"


class EmergencyNumber(InvalidBoundary):
    """Emergency numbers can never be the target of a boundary."""

    code = "emergency_number"
    title = "Emergency numbers cannot be blocked"


class UnknownPerson(NocontactError):
    code = "unknown_person"
    title = "Unknown person"
    status = 404


class UnknownBoundary(NocontactError):
    code = "unknown_boundary"
    title = "Unknown boundary"
    status = 404


class UnknownList(NocontactError):
    code = "unknown_list"
    title = "Unknown list"
    status = 404


class Conflict(NocontactError):
    """The write contradicts stored state (an address linked to someone else)."""

    code = "conflict"
    title = "Conflict"
    status = 409


class AddressTaken(Conflict):
    code = "address_taken"
    title = "Address already linked to another person"


class PersonExists(Conflict):
    code = "person_exists"
    title = "Person already exists"


class ListExists(Conflict):
    code = "list_exists"
    title = "List already exists"


class ImportRejected(InvalidInput):
    """A file to import has bad rows: nothing was imported. ``rows`` says which, by line."""

    code = "import_rejected"
    title = "Import rejected"
    status = 422

    def __init__(self, rows: list[tuple[int, str]], *, field: str | None = "content") -> None:
        shown = "; ".join(f"line {line}: {detail}" for line, detail in rows[:20])
        more = f"; and {len(rows) - 20} more" if len(rows) > 20 else ""
        super().__init__(f"{len(rows)} bad rows, nothing imported: {shown}{more}", field=field)
        self.rows = rows


class StoreError(NocontactError):
    """The store could not be opened or written (not the caller's fault)."""

    code = "store_error"
    title = "Store error"
    status = 503


class StoreChanged(StoreError):
    """Another process wrote to the store since this engine last read it.

    Raised inside a write transaction before anything is written; the engine
    catches up and runs the write again, so callers see it only if the store
    keeps changing under them.
    """

    code = "store_changed"
    title = "Store changed by another writer"
