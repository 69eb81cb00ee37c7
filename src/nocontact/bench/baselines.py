"""The approaches a team would otherwise use, behind one small interface.

Each answers the bare question "is there a boundary between A and B, either way?": one
pair at a time (``check``), for a viewer's feed of candidate authors (``feed``: a mask,
True where no boundary stands between them), and for a batch of pairs (``batch``). None
of them knows what a kind does; that is nocontact's job and is not asked of them.

``build`` loads the graph and says how long that took and how much memory the structure
holds, measured (never estimated), and how it was measured. PostgreSQL and Redis raise
:class:`Unavailable` when their client library is missing or the server cannot be
reached; they work in a table or a logical database of their own and leave nothing
behind.
"""

from __future__ import annotations

import os
import platform
import secrets
import sqlite3
import tracemalloc
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from nocontact.bench import EXTRA
from nocontact.bench.graph import I32, U64, Graph, pack
from nocontact.bench.timing import Calls

Progress = Callable[[int], None]
Mask = npt.NDArray[np.bool_]
_CHUNK = 1 << 18
_EMPTY: frozenset[int] = frozenset()


class Unavailable(Exception):
    """This approach cannot run here; the message says why."""


@dataclass(frozen=True, slots=True)
class Built:
    seconds: float
    memory_bytes: int
    #: How ``memory_bytes`` was measured.
    memory_method: str


class Approach(ABC):
    """One way to answer boundary questions; the runner times each the same way."""

    #: Short name (as ``--skip`` takes it) and the label shown in the report.
    name: ClassVar[str]
    label: ClassVar[str]
    #: Caps on the samples timed, for approaches that pay a network round trip per call.
    max_singles: ClassVar[int | None] = None
    max_feeds: ClassVar[int | None] = None
    max_batch: ClassVar[int | None] = None

    @abstractmethod
    def build(self, graph: Graph, progress: Progress) -> Built:
        """Load ``graph``; ``progress(n)`` is told of every ``n`` boundaries loaded."""

    @abstractmethod
    def check(self, a: int, b: int) -> bool:
        """Is there a boundary between ``a`` and ``b``, either way?"""

    @abstractmethod
    def feed(self, viewer: int, candidates: Any) -> Any:
        """For each candidate author: True where no boundary stands with ``viewer``."""

    @abstractmethod
    def batch(self, actors: Any, targets: Any) -> Any:
        """For each pair: True where a boundary stands, either way."""

    @abstractmethod
    def close(self) -> None:
        """Release everything; safe to call twice."""

    def software(self) -> str:
        """The versions behind this approach's figures."""
        return ""

    # Inputs shaped the way each approach takes them, prepared outside the timed region.

    def singles(self, actors: I32, targets: I32) -> Calls:
        return self.check, list(zip(actors.tolist(), targets.tolist(), strict=True))

    def feeds(self, viewers: I32, candidates: I32) -> Calls:
        return self.feed, list(zip(viewers.tolist(), candidates.tolist(), strict=True))

    def batches(self, actors: I32, targets: I32) -> Calls:
        return self.batch, [(actors.tolist(), targets.tolist())]


def _chunks(graph: Graph) -> range:
    return range(0, graph.boundaries, _CHUNK)


def add_pairs(
    out: dict[int, set[int]], inc: dict[int, set[int]], owners: list[int], targets: list[int]
) -> None:
    """File each boundary (owner, target) under whom the owner holds one toward (``out``)
    and who holds one toward the target (``inc``): a dict of sets, as a product would."""
    for a, b in zip(owners, targets, strict=True):
        if (held := out.get(a)) is None:
            out[a] = {b}
        else:
            held.add(b)
        if (toward := inc.get(b)) is None:
            inc[b] = {a}
        else:
            toward.add(a)


class DictOfSets(Approach):
    """``out[a]``: whom ``a`` holds boundaries toward; ``inc[b]``: who holds one toward ``b``."""

    name = "dict"
    label = "dict of sets"

    def __init__(self) -> None:
        self.out: dict[int, set[int]] = {}
        self.inc: dict[int, set[int]] = {}

    def build(self, graph: Graph, progress: Progress) -> Built:
        out, inc = self.out, self.inc
        tracemalloc.start()
        start = perf_counter()
        for lo in _chunks(graph):
            owners = graph.owners[lo : lo + _CHUNK].tolist()
            targets = graph.targets[lo : lo + _CHUNK].tolist()
            add_pairs(out, inc, owners, targets)
            progress(len(owners))
        seconds = perf_counter() - start
        del owners, targets
        held_bytes = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        return Built(seconds, held_bytes, "tracemalloc: all allocations made by the build")

    def check(self, a: int, b: int) -> bool:
        return b in self.out.get(a, _EMPTY) or b in self.inc.get(a, _EMPTY)

    def software(self) -> str:
        return f"Python {platform.python_version()}"

    def feed(self, viewer: int, candidates: list[int]) -> list[bool]:
        held = self.out.get(viewer, _EMPTY)
        toward = self.inc.get(viewer, _EMPTY)
        return [c not in held and c not in toward for c in candidates]

    def batch(self, actors: list[int], targets: list[int]) -> list[bool]:
        out, inc = self.out, self.inc
        return [
            b in out.get(a, _EMPTY) or b in inc.get(a, _EMPTY)
            for a, b in zip(actors, targets, strict=True)
        ]

    def close(self) -> None:
        self.out, self.inc = {}, {}


class SQLiteTable(Approach):
    """A table (owner, target, kind) with an index each way, in WAL mode, in a file."""

    name = "sqlite"
    label = "SQLite"
    _CHECK = (
        "SELECT EXISTS (SELECT 1 FROM boundary WHERE owner = ?1 AND target = ?2)"
        " OR EXISTS (SELECT 1 FROM boundary WHERE target = ?1 AND owner = ?2)"
    )
    _RELATED = (
        "SELECT target FROM boundary WHERE owner = ?1"
        " UNION ALL SELECT owner FROM boundary WHERE target = ?1"
    )

    def __init__(self, folder: Path) -> None:
        self.path = folder / "baseline-sqlite.db"
        self.conn: sqlite3.Connection | None = None

    def build(self, graph: Graph, progress: Progress) -> Built:
        start = perf_counter()
        conn = self.conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(
            "CREATE TABLE boundary"
            " (owner INTEGER NOT NULL, target INTEGER NOT NULL, kind INTEGER NOT NULL)"
        )
        conn.execute("BEGIN")
        for lo in _chunks(graph):
            rows = zip(
                graph.owners[lo : lo + _CHUNK].tolist(),
                graph.targets[lo : lo + _CHUNK].tolist(),
                graph.kinds[lo : lo + _CHUNK].tolist(),
                strict=True,
            )
            conn.executemany("INSERT INTO boundary VALUES (?, ?, ?)", rows)
            progress(min(_CHUNK, graph.boundaries - lo))
        conn.execute("CREATE INDEX boundary_out ON boundary (owner, target)")
        conn.execute("CREATE INDEX boundary_in ON boundary (target, owner)")
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        seconds = perf_counter() - start
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))
        return Built(seconds, size, "file size: database, WAL and shared memory")

    def _conn(self) -> sqlite3.Connection:
        assert self.conn is not None, "build first"
        return self.conn

    def check(self, a: int, b: int) -> bool:
        return bool(self._conn().execute(self._CHECK, (a, b)).fetchone()[0])

    def software(self) -> str:
        return f"SQLite {sqlite3.sqlite_version}, default page cache"

    def feed(self, viewer: int, candidates: list[int]) -> list[bool]:
        related = {row[0] for row in self._conn().execute(self._RELATED, (viewer,))}
        return [c not in related for c in candidates]

    def batch(self, actors: list[int], targets: list[int]) -> list[bool]:
        execute = self._conn().execute
        sql = self._CHECK
        pairs = zip(actors, targets, strict=True)
        return [bool(execute(sql, pair).fetchone()[0]) for pair in pairs]

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _pg_copy_rows(owners: I32, targets: I32, kinds: npt.NDArray[np.uint8]) -> bytes:
    """Rows in PostgreSQL's binary COPY format, packed by numpy."""
    row = np.dtype(
        [
            ("fields", ">i2"),
            ("owner_len", ">i4"),
            ("owner", ">i4"),
            ("target_len", ">i4"),
            ("target", ">i4"),
            ("kind_len", ">i4"),
            ("kind", ">i2"),
        ]
    )
    rows = np.empty(owners.size, row)
    rows["fields"] = 3
    rows["owner_len"] = rows["target_len"] = 4
    rows["kind_len"] = 2
    rows["owner"], rows["target"], rows["kind"] = owners, targets, kinds
    return rows.tobytes()


class PostgresTable(Approach):
    """A table (owner, target, kind) with an index each way; prepared statements.

    Loaded with a binary COPY; its memory is ``pg_total_relation_size`` (table and
    indexes). The table has a name of its own and is dropped by ``close``.
    """

    name = "postgres"
    label = "PostgreSQL"
    max_singles = 20_000
    max_feeds = 1_000
    _BATCH = 10_000

    def __init__(self, dsn: str) -> None:
        try:
            import psycopg
            from psycopg import sql
        except ImportError:
            raise Unavailable(f"psycopg is not installed: {EXTRA}") from None
        try:
            self.conn = psycopg.connect(dsn, autocommit=True, connect_timeout=3)
        except psycopg.Error as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
            raise Unavailable(f"cannot connect to PostgreSQL ({dsn}): {first}") from None
        self.table = f"nocontact_bench_{os.getpid()}_{secrets.token_hex(4)}"

        def q(text: str) -> str:
            return sql.SQL(text).format(t=sql.Identifier(self.table)).as_string(self.conn)

        self._q = q
        self._check = q(
            "SELECT EXISTS (SELECT 1 FROM {t} WHERE owner = %(a)s AND target = %(b)s)"
            " OR EXISTS (SELECT 1 FROM {t} WHERE target = %(a)s AND owner = %(b)s)"
        )
        self._related = q(
            "SELECT target FROM {t} WHERE owner = %(v)s UNION ALL SELECT owner FROM {t} WHERE"
            " target = %(v)s"
        )
        self._batch = q(
            "SELECT q.i FROM unnest(%(a)s::int4[], %(b)s::int4[]) WITH ORDINALITY AS q(a, b, i)"
            " WHERE EXISTS (SELECT 1 FROM {t} WHERE owner = q.a AND target = q.b)"
            " OR EXISTS (SELECT 1 FROM {t} WHERE target = q.a AND owner = q.b)"
        )
        self._cur = self.conn.cursor()
        self._created = False

    def build(self, graph: Graph, progress: Progress) -> Built:
        q, conn = self._q, self.conn
        start = perf_counter()
        with conn.transaction():
            conn.execute(
                q(
                    "CREATE TABLE {t} (owner integer NOT NULL, target integer NOT NULL,"
                    " kind smallint NOT NULL)"
                )
            )
            self._created = True
            with conn.cursor().copy(q("COPY {t} (owner, target, kind) FROM STDIN BINARY")) as copy:
                copy.write(b"PGCOPY\n\xff\r\n\x00" + bytes(8))
                for lo in _chunks(graph):
                    hi = lo + _CHUNK
                    copy.write(
                        _pg_copy_rows(graph.owners[lo:hi], graph.targets[lo:hi], graph.kinds[lo:hi])
                    )
                    progress(min(_CHUNK, graph.boundaries - lo))
                copy.write(b"\xff\xff")
            conn.execute(q("CREATE INDEX ON {t} (owner, target)"))
            conn.execute(q("CREATE INDEX ON {t} (target, owner)"))
        conn.execute(q("ANALYZE {t}"))
        seconds = perf_counter() - start
        row = conn.execute("SELECT pg_total_relation_size(%s::regclass)", (self.table,)).fetchone()
        size = int(row[0]) if row else 0
        return Built(seconds, size, "pg_total_relation_size: table and indexes")

    def check(self, a: int, b: int) -> bool:
        row = self._cur.execute(self._check, {"a": a, "b": b}, prepare=True).fetchone()
        return bool(row and row[0])

    def software(self) -> str:
        import psycopg

        row = self.conn.execute("SHOW server_version").fetchone()
        server = str(row[0]).split()[0] if row else "?"
        return f"PostgreSQL {server} on 127.0.0.1, psycopg {psycopg.__version__}"

    def feed(self, viewer: int, candidates: list[int]) -> list[bool]:
        rows = self._cur.execute(self._related, {"v": viewer}, prepare=True).fetchall()
        related = {row[0] for row in rows}
        return [c not in related for c in candidates]

    def batch(self, actors: list[int], targets: list[int]) -> Mask:
        found = np.zeros(len(actors), bool)
        for lo in range(0, len(actors), self._BATCH):
            params = {"a": actors[lo : lo + self._BATCH], "b": targets[lo : lo + self._BATCH]}
            rows = self._cur.execute(self._batch, params, prepare=True).fetchall()
            found[[lo + int(row[0]) - 1 for row in rows]] = True
        return found

    def close(self) -> None:
        if self.conn.closed:
            return
        if self._created:
            self.conn.execute(self._q("DROP TABLE IF EXISTS {t}"))
        self.conn.close()


class RedisSets(Approach):
    """A set per person each way (``o:A`` whom A holds boundaries toward, ``i:B`` who holds
    one toward B), loaded with pipelined variadic SADD; SISMEMBER and SMISMEMBER to ask.

    Every key it writes starts with :attr:`PREFIX`, and it deletes those keys, and only
    those, before the load (what an earlier run left) and when done: whatever else the
    database holds is left alone. Its memory is the growth of INFO ``used_memory`` over
    the load (other clients writing meanwhile would disturb that figure).
    """

    name = "redis"
    label = "Redis sets"
    max_singles = 20_000
    max_feeds = 1_000
    max_batch = 50_000
    PREFIX = "ncb:"
    _PIPELINE = 5_000

    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError:
            raise Unavailable(f"redis (redis-py) is not installed: {EXTRA}") from None
        self.client = redis.Redis.from_url(url, socket_connect_timeout=3)
        self._owned = False
        try:
            self.client.ping()
            self._delete_own()  # only this benchmark's keys, from an earlier run
        except redis.RedisError as error:
            self.client.close()
            raise Unavailable(f"cannot reach Redis ({url}): {error}") from None
        self._owned = True

    def _delete_own(self) -> None:
        """Delete every key under :attr:`PREFIX`, and nothing else."""
        batch: list[bytes] = []
        for key in self.client.scan_iter(match=self.PREFIX + "*", count=10_000):
            batch.append(key)
            if len(batch) >= self._PIPELINE:
                self.client.unlink(*batch)
                batch = []
        if batch:
            self.client.unlink(*batch)

    def _load(self, kind: str, keys: I32, members: I32, progress: Progress) -> None:
        starts = np.flatnonzero(np.diff(keys, prepend=-1))
        ends = np.append(starts[1:], keys.size)
        pipe = self.client.pipeline(transaction=False)
        pending = 0
        for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
            pipe.sadd(f"{self.PREFIX}{kind}:{keys[lo]}", *members[lo:hi].tolist())
            pending += hi - lo
            if len(pipe) >= self._PIPELINE:
                pipe.execute()
                progress(pending)
                pending = 0
        pipe.execute()
        progress(pending)

    def build(self, graph: Graph, progress: Progress) -> Built:
        before = int(self.client.info("memory")["used_memory"])
        start = perf_counter()
        by_target = np.argsort(graph.targets, kind="stable")

        def half(n: int) -> None:
            progress(n // 2)

        self._load("o", graph.owners, graph.targets, half)
        self._load("i", graph.targets[by_target], graph.owners[by_target], half)
        seconds = perf_counter() - start
        after = int(self.client.info("memory")["used_memory"])
        return Built(seconds, after - before, "INFO used_memory, after the load minus before")

    def software(self) -> str:
        import redis
        from redis.utils import HIREDIS_AVAILABLE

        server = self.client.info("server").get("redis_version", "?")
        parser = "hiredis parser" if HIREDIS_AVAILABLE else "pure-Python parser"
        return f"Redis {server} on 127.0.0.1, redis-py {redis.__version__} ({parser})"

    def check(self, a: int, b: int) -> bool:
        pipe = self.client.pipeline(transaction=False)
        pipe.sismember(f"{self.PREFIX}o:{a}", str(b))
        pipe.sismember(f"{self.PREFIX}i:{a}", str(b))
        return any(pipe.execute())

    def feed(self, viewer: int, candidates: list[int]) -> list[bool]:
        pipe = self.client.pipeline(transaction=False)
        pipe.smismember(f"{self.PREFIX}o:{viewer}", candidates)
        pipe.smismember(f"{self.PREFIX}i:{viewer}", candidates)
        held, toward = pipe.execute()
        return [not (x or y) for x, y in zip(held, toward, strict=True)]

    def batch(self, actors: list[int], targets: list[int]) -> list[bool]:
        found: list[bool] = []
        for lo in range(0, len(actors), self._PIPELINE):
            pipe = self.client.pipeline(transaction=False)
            chunk = zip(
                actors[lo : lo + self._PIPELINE], targets[lo : lo + self._PIPELINE], strict=True
            )
            for a, b in chunk:
                pipe.sismember(f"{self.PREFIX}o:{a}", str(b))
                pipe.sismember(f"{self.PREFIX}i:{a}", str(b))
            replies = pipe.execute()
            found.extend(bool(x or y) for x, y in zip(replies[::2], replies[1::2], strict=True))
        return found

    def close(self) -> None:
        if self._owned:
            self._delete_own()
            self._owned = False
        self.client.close()


class NumpyPairs(Approach):
    """Every boundary packed as ``owner << 32 | target`` in one sorted uint64 array;
    ``searchsorted`` for both orders of a pair answers "either way"."""

    name = "numpy"
    label = "numpy sorted pairs"

    def __init__(self) -> None:
        self.keys: U64 = np.empty(0, np.uint64)

    def build(self, graph: Graph, progress: Progress) -> Built:
        start = perf_counter()
        keys = pack(graph.owners, graph.targets)
        keys.sort()
        self.keys = keys
        seconds = perf_counter() - start
        progress(graph.boundaries)
        return Built(seconds, int(keys.nbytes), "nbytes of the sorted array")

    def _has(self, wanted: U64) -> Mask:
        keys = self.keys
        at = np.minimum(keys.searchsorted(wanted), keys.size - 1)
        found: Mask = keys[at] == wanted
        return found

    def software(self) -> str:
        return f"numpy {np.__version__}"

    def check(self, a: int, b: int) -> bool:
        keys = self.keys
        for key in (np.uint64((a << 32) | b), np.uint64((b << 32) | a)):
            at = int(keys.searchsorted(key))
            if at < keys.size and keys[at] == key:
                return True
        return False

    def feed(self, viewer: int, candidates: I32) -> Mask:
        others = candidates.astype(np.uint64)
        me = np.uint64(viewer)
        shift = np.uint64(32)
        hidden = self._has((me << shift) | others) | self._has((others << shift) | me)
        return ~hidden

    def batch(self, actors: I32, targets: I32) -> Mask:
        return self._has(pack(actors, targets)) | self._has(pack(targets, actors))

    def feeds(self, viewers: I32, candidates: I32) -> Calls:
        return self.feed, list(zip(viewers.tolist(), candidates, strict=True))

    def batches(self, actors: I32, targets: I32) -> Calls:
        return self.batch, [(actors, targets)]

    def close(self) -> None:
        self.keys = np.empty(0, np.uint64)


BASELINES = ("dict", "sqlite", "postgres", "redis", "numpy")
LABELS = {c.name: c.label for c in (DictOfSets, SQLiteTable, PostgresTable, RedisSets, NumpyPairs)}


@dataclass(frozen=True, slots=True)
class Servers:
    """Where the server-backed baselines live."""

    postgres_dsn: str = "host=127.0.0.1 dbname=test user=postgres"
    redis_url: str = "redis://127.0.0.1:6379/15"


def make(name: str, folder: Path, servers: Servers) -> Approach:
    """The baseline called ``name``; raises :class:`Unavailable` when it cannot run here."""
    factories: dict[str, Callable[[], Approach]] = {
        "dict": DictOfSets,
        "sqlite": lambda: SQLiteTable(folder),
        "postgres": lambda: PostgresTable(servers.postgres_dsn),
        "redis": lambda: RedisSets(servers.redis_url),
        "numpy": NumpyPairs,
    }
    return factories[name]()


def either_way(keys: U64, actors: I32, targets: I32) -> Mask:
    """The ground truth for ``batch``, from the graph's sorted keys."""
    probe = NumpyPairs()
    probe.keys = keys
    return probe.batch(actors, targets)


__all__: Sequence[str] = (
    "BASELINES",
    "LABELS",
    "Approach",
    "Built",
    "DictOfSets",
    "NumpyPairs",
    "PostgresTable",
    "RedisSets",
    "SQLiteTable",
    "Servers",
    "Unavailable",
    "either_way",
    "make",
)
