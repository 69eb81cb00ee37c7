"""The library face: an ``Engine`` opened on a store.

A write is validated against the in-memory index, committed to the store in
one named transaction together with the events that describe it, and only then
applied to the index: a rejected or failed write leaves both untouched. Reads
(``decide``, ``visible``, ``audience``) never touch the store.

New plain boundaries wait in the index's overlay; past a threshold a
background thread folds them into the edges (``merging``), so no write waits
for a merge. Temporary boundaries need no background job: every decision compares the
boundary's end with the evaluation time, and the ``boundary_expired`` events
are written by the next write (or ``expire_due``), exactly once among writers.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from types import TracebackType
from typing import Self

import numpy as np

from nocontact.core.addresses import looks_like_address
from nocontact.core.decide import Policy
from nocontact.core.edges import Checkpoint, edge_code
from nocontact.core.errors import InvalidInput
from nocontact.core.index import Index
from nocontact.core.interning import trim_heap
from nocontact.core.model import Clock, Event, Instant
from nocontact.engine.commands import Commands, _writes
from nocontact.engine.merging import Merger
from nocontact.engine.projection import NeedsReload, project
from nocontact.engine.values import (
    CHECKPOINT,
    DEFAULT_DECISION,
    ID_SECRET,
    EngineConfig,
    Lifted,
    Person,
    _opt_str,
    boundary_from_row,
)
from nocontact.engine_interop import InteropReads
from nocontact.engine_lists import ListCommands
from nocontact.store.base import Change, NewEvent, Snapshot, Store

__all__ = ["Engine", "EngineConfig", "Lifted", "Person"]

#: Events read from the store at a time while catching up.
CATCH_UP_PAGE = 2000


class Engine(Commands, ListCommands, InteropReads):
    """Boundaries between people, decided on every interaction."""

    def __init__(
        self,
        store: Store,
        *,
        config: EngineConfig | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.config = config or EngineConfig()
        self._store = store
        self._clock = clock
        self._policy = Policy(emergency_window=self.config.emergency_window)
        self._lock = threading.RLock()
        #: Folds the overlay into the edges in the background (one merge at a time).
        self._merger = Merger(self._lock)
        #: Keys plain boundaries' ids (see ``plain_id``); made with the database.
        self._id_key = store.secret(ID_SECRET)
        self._index = Index(region=self.config.region, id_key=self._id_key)
        self._revision = 0
        self._checkpointed = -1
        self._closed = False
        #: Inside ``transaction``: the changes and events waiting for its one commit.
        self._pending: tuple[list[Change], list[NewEvent], int] | None = None
        self._load()

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        config: EngineConfig | None = None,
        clock: Clock = time.time,
    ) -> Self:
        """Open an engine on a SQLite file (by default in the user's data folder), or on
        PostgreSQL when ``path`` is a ``postgresql://`` URL."""
        from nocontact.store import open_store

        return cls(open_store(path), config=config, clock=clock)

    @property
    def store(self) -> Store:
        """The store this engine writes to (shared with the service's key table)."""
        return self._store

    def written_elsewhere(self) -> bool:
        """Whether another process wrote to the store since this engine read it (cheap)."""
        return self._store.written_elsewhere()

    def refresh(self, *, force: bool = False) -> bool:
        """Catch up with writes another process made to the store; say if there were any.

        One cheap check when nothing changed (a server asks once per request);
        otherwise the events after this engine's revision are applied to the
        index (see ``projection``), never a rebuild, unless one of them is a
        bulk import. Writes catch up by themselves. With ``force`` the check is
        skipped: the caller knows of a newer revision than this engine has.
        """
        with self._lock:
            if not force and not self._store.written_elsewhere():
                return False
            before = self._revision
            self._store.mark_read()
            moved = self.catch_up() != before
            return moved or not force  # unasked, the store said there were writes

    def catch_up(self) -> int:
        """Apply every stored event after this engine's revision; return the revision.

        From here on a commit raises ``StoreChanged`` if another process writes
        first (``mark_read``), so no write is validated against what this missed.
        """
        with self._lock:
            try:
                while events := self._store.events(self._revision, CATCH_UP_PAGE):
                    for event in events:
                        project(self._index, event)
                    self._at_revision(events[-1].revision)
            except NeedsReload:
                self._reload()
            return self._revision

    def _load(self) -> None:
        """Rebuild the index from the store, the plain boundaries from a checkpoint if current."""
        self._store.mark_read()
        saved = self._store.checkpoint(CHECKPOINT)
        checkpoint = Checkpoint.from_bytes(saved[1]) if saved is not None else None
        # A current checkpoint holds the plain boundaries, and (unless older) the persons.
        skip_persons = checkpoint is not None and checkpoint.names_persons
        snapshot = self._store.load(skip_plain=saved is not None, skip_persons=skip_persons)
        if saved is not None and saved[0] != snapshot.revision:
            checkpoint, snapshot = None, self._store.load()
        del saved
        # Built aside and swapped in whole: readers never see a half-built index.
        index = Index(region=self.config.region, id_key=self._id_key)
        if checkpoint is not None:  # number every key as the edges do
            index.load_numbering(checkpoint.numbering)
        self._load_rows(index, snapshot, plain=checkpoint is None)
        if checkpoint is not None:
            index.set_edges(checkpoint.edges)
            index.load_plain_extras(*checkpoint.extras)
            self._checkpointed = snapshot.revision
        self._index = index
        revision = snapshot.revision
        del checkpoint, snapshot  # then what loading them left behind goes back to the system
        trim_heap()
        self._at_revision(revision)

    def _load_rows(self, index: Index, snapshot: Snapshot, *, plain: bool) -> None:
        """Load every row; with ``plain``, the plain boundaries become edges here."""
        for row in snapshot.rows("persons"):
            index.add_person(str(row["id"]), _opt_str(row["name"]))
        for row in snapshot.rows("addresses"):
            parsed = index.parse(str(row["uri"]))
            index.intern(parsed.uri, parsed)
            if row["person"] is not None:
                index.link(parsed, str(row["person"]))
        owners: list[int] = []
        targets: list[int] = []
        codes: list[int] = []
        for row in snapshot.rows("boundaries"):
            b = boundary_from_row(row)
            code = edge_code(b, self._id_key) if plain else None
            if code is None:
                index.add_boundary(b)
            else:
                owners.append(index.intern(b.owner))
                targets.append(index.intern(b.target))
                codes.append(code)
        if plain:
            index.load_plain(
                np.array(owners, np.int64), np.array(targets, np.int64), np.array(codes, np.uint8)
            )
        for row in snapshot.rows("contacts"):
            contact = str(row["contact"])
            known = index.parse(contact) if looks_like_address(contact) else None
            index.add_contact(str(row["owner"]), contact, known)
        for row in snapshot.rows("settings"):
            index.settings[(str(row["owner"]), str(row["key"]))] = str(row["value"])
        for row in snapshot.rows("emergencies"):
            index.emergencies[str(row["owner"])] = float(str(row["at"]))
        self._load_lists(index, snapshot)

    def checkpoint(self) -> None:
        """Fold the overlay into edges and save them, so the next open is fast.

        The merge here is synchronous; a background merge running meanwhile
        finds the edges replaced and gives up its work.
        """
        with self._lock:
            if self._checkpointed == self._revision:
                return
            self._index.merge()
            index = self._index
            saved = Checkpoint(index.numbering(), index.edges, index.plain_extras())
            self._store.save_checkpoint(CHECKPOINT, self._revision, saved.to_bytes())
            self._checkpointed = self._revision

    def close(self, *, checkpoint: bool = True) -> None:
        """Save a checkpoint (unless told not to) and release the store. Idempotent."""
        self._merger.close()  # outside the lock: the merge may be waiting for it
        with self._lock:
            if not self._closed:
                self._closed = True
                try:
                    if checkpoint:
                        self.checkpoint()
                finally:
                    self._store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def revision(self) -> int:
        return self._revision

    def now(self) -> Instant:
        return self._clock()

    # -- the write path -----------------------------------------------------

    def _commit(self, name: str, changes: Sequence[Change], events: Sequence[NewEvent]) -> int:
        """Commit to the store first; then the committed events reach the index.

        They reach it through ``project``, as every other worker applies them,
        with the data read back as stored (JSON), so every worker reads the same.
        """
        if self._pending is not None:  # inside ``transaction``: its one commit stores this
            self._pending[0].extend(changes)
            self._pending[1].extend(events)
            self._project(self._pending[2], events)
            return self._pending[2]
        revision = self._store.commit(name, changes, events)
        self._project(revision, events)
        self._at_revision(revision)
        return revision

    def _project(self, revision: int, events: Sequence[NewEvent]) -> None:
        for new in events:
            data = json.loads(json.dumps(new.data))
            project(self._index, Event(revision=revision, at=new.at, type=new.type, data=data))

    @contextmanager
    def transaction(self, name: str) -> Iterator[None]:
        """Every write inside is stored by one commit: all of them, or none.

        Writes inside see each other at once. If anything inside raises, or the
        commit fails, nothing is stored and the index is rebuilt from the store.
        """
        with self._lock:
            if self._pending is not None:
                raise InvalidInput("transactions do not nest")
            self.refresh()
            self._pending = ([], [], self._store.revision() + 1)
            try:
                yield
                changes, events, expected = self._pending
                self._pending = None
                revision = self._store.commit(name, changes, events) if events else expected
            except BaseException:
                self._pending = None
                self._reload()
                raise
            if events and revision != expected:  # another writer came first: rebuild
                self._reload()
            elif events:
                self._at_revision(revision)

    def _reload(self) -> None:
        """Rebuild the index from the store, dropping whatever was applied but not stored."""
        self._checkpointed = -1
        self._load()

    def _at_revision(self, revision: int) -> None:
        """The index reflects ``revision`` now; so do the cached default decisions.

        Every change to the index passes here, so here a merge starts when due.
        """
        self._revision = revision
        self._defaults = {a: replace(d, revision=revision) for a, d in DEFAULT_DECISION.items()}
        self._merger.maybe_start(self._index)


#: The shared-list writes catch up with other writers first too (see ``_writes``).
for _write_name in ListCommands.WRITES:
    setattr(Engine, _write_name, _writes(getattr(ListCommands, _write_name)))
