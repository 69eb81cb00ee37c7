"""Each hot statement the PostgreSQL store sends stays on one shard (Citus-ready).

The distribution map (``nocontact.store.distribution``) says which column
distributes each table. Citus routes a statement to one shard when it names
the distribution column with equality (a SELECT, UPDATE or DELETE in its
WHERE, an INSERT in its row). Citus is not needed to check that: the hot
operations run on a plain PostgreSQL holding a few thousand rows, every
statement they send is recorded, and each one on a distributed table is
checked. A filter is checked with ``EXPLAIN`` with the same parameters: the
scan of the table is an index scan (no sequential scan on one server either)
whose conditions compare the distribution column with a value.

Not checked, on purpose: ``load`` (a cold start reads every table: full scans
are expected there) and the tables that are not distributed (the event log,
checkpoints, secrets, keys, the schema version), which may be read anyhow.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from nocontact.engine import Engine
from nocontact.store.base import TABLES
from nocontact.store.dialect import POSTGRES, SQLITE
from nocontact.store.distribution import DISTRIBUTION
from nocontact.store.postgres import PostgresStore
from nocontact.telephony.attempts import Attempts
from tests.pg import fresh_schema

PERSONS = 3000
#: Statements that name a distributed table without its column, each with why.
EXCEPTIONS: dict[str, str] = {
    'SELECT * FROM "boundaries" WHERE "id" = %(id)s': (
        "a boundary by id alone (read, lift) when the index holds it as a plain edge,"
        " which keeps no id: one index lookup on every shard"
    ),
}

_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)
_CONFLICT = re.compile(r"ON CONFLICT \(([^)]*)\)(?: DO UPDATE SET (.*))?", re.IGNORECASE)
_INDEX_SCANS = {"Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Bitmap Index Scan"}

Statement = tuple[str, Any]


@pytest.fixture
def url() -> Iterator[str]:
    with fresh_schema() as url:
        yield url


def fill(url: str, engine: Engine) -> None:
    """A few thousand rows in every hot table, so the planner prefers its indexes."""
    import psycopg

    persons = [f"p{i}" for i in range(PERSONS)]
    owners = list(range(PERSONS)) * 4
    targets = [(o + 1 + k) % PERSONS for k in range(4) for o in range(PERSONS)]
    engine.bulk_import(persons, owners, targets, [0] * len(owners))
    n = PERSONS
    with psycopg.connect(url, autocommit=True) as conn:
        for sql in (
            "INSERT INTO addresses SELECT 'acct:fill:' || i, 'f' || i"
            " FROM generate_series(1, {n}) i",
            "INSERT INTO boundaries SELECT 'fb' || i, 'f' || (i % 900), 'block', 'f' || i,"
            " 'everywhere', NULL, 0, NULL, 'silent', NULL, 0, 'deliver', NULL, 1, NULL"
            " FROM generate_series(1, {n}) i",
            "INSERT INTO contacts SELECT 'f' || i, 'f' || (i + k)"
            " FROM generate_series(1, {n}) i, generate_series(1, 3) k",
            "INSERT INTO settings SELECT 'f' || i, 'k', 'v' FROM generate_series(1, {n}) i",
            "INSERT INTO emergencies SELECT 'f' || i, 0 FROM generate_series(1, {n}) i",
            "INSERT INTO lists SELECT 'fl' || i, 'n', 'f' || i, 0, 0"
            " FROM generate_series(1, {n}) i",
            "INSERT INTO list_members SELECT 'fl' || i, 'f' || (i + k)"
            " FROM generate_series(1, {n}) i, generate_series(1, 3) k",
            "INSERT INTO list_subscriptions SELECT 'fs' || i, 'f' || i, 'fl' || i, 'block', 0"
            " FROM generate_series(1, {n}) i",
            "INSERT INTO telephony_attempts (owner, caller, channel, outcome, sealed,"
            " boundary, announced, at) SELECT 'f' || (i % 500), 'tel:+1' || i, 'call', 'hold',"
            " 0, 'fb' || (i % 700), i % 2, 0 FROM generate_series(1, {n}) i",
        ):
            conn.execute(sql.format(n=n))
        conn.execute("ANALYZE")


def hot_operations(engine: Engine, attempts: Attempts, clock: list[float]) -> None:
    """What people do all day, through the engine and the call gate's attempts table."""
    engine.add_person("olivia", addresses=["acct:chirp:olivia", "+1 415 555 0100"])
    engine.add_person("tom", addresses=["acct:chirp:tom"])
    engine.link_address("tom", "+1 415 555 0123")
    engine.unlink_address("tom", "+1 415 555 0123")
    block = engine.set_boundary("olivia", "tom", "block", keep_evidence=True, note="why")
    engine.set_boundary("olivia", "tom", "block", keep_evidence=True, note="why")
    engine.boundaries("olivia")
    engine.boundary(block.id)
    engine.lift(block.id)
    plain = engine.set_boundary("olivia", "p1", "block")  # an edge: read back from the store
    engine.boundary(plain.id)
    engine.lift(plain.id)
    engine.set_boundary("olivia", "tom", "mute", duration=60)
    clock[0] += 120
    engine.expire_due()
    engine.add_contact("olivia", "tom")
    engine.remove_contact("olivia", "tom")
    engine.set_emergency_lifts_person_blocks("olivia", True)
    engine.record_emergency("olivia")
    shared = engine.create_list("olivia", "spam", members=["p2"])
    engine.add_list_members(shared.id, ["p3"])
    engine.remove_list_members(shared.id, ["p3"])
    engine.subscribe("tom", shared.id)
    engine.unsubscribe("tom", shared.id)
    attempts.told("olivia", "b_x", "tel:+14155550199")
    attempts.record(
        owner="olivia", caller="tel:+14155550199", channel="call", outcome="hold",
        sealed=False, boundary="b_x", announced=True, at=1.0,
    )  # fmt: skip
    attempts.list("olivia", after=0)


@pytest.fixture
def recorded(url: str, monkeypatch: pytest.MonkeyPatch) -> list[Statement]:
    """Every statement psycopg sends from now on, with its parameters (``url`` first:
    without PostgreSQL or psycopg the test skips, or fails in CI)."""
    import psycopg

    seen: list[Statement] = []
    execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany

    def record(self: Any, query: Any, params: Any = None, **kw: Any) -> Any:
        seen.append((str(query), params))
        return execute(self, query, params, **kw)

    def record_many(self: Any, query: Any, params_seq: Any, **kw: Any) -> Any:
        rows = list(params_seq)
        seen.extend((str(query), p) for p in rows)
        return executemany(self, query, rows, **kw)

    monkeypatch.setattr(psycopg.Cursor, "execute", record)
    monkeypatch.setattr(psycopg.Cursor, "executemany", record_many)
    return seen


def scans(plan: dict[str, Any], table: str) -> Iterator[dict[str, Any]]:
    """The nodes that read ``table`` (an UPDATE or DELETE: the scan under it)."""
    if plan.get("Relation Name") == table and plan["Node Type"] != "ModifyTable":
        yield plan
    for child in plan.get("Plans", ()):
        yield from scans(child, table)


def conditions(node: dict[str, Any]) -> str:
    """Every condition of a scan node and of its bitmap index scans."""
    found = [str(node.get(k, "")) for k in ("Index Cond", "Recheck Cond", "Filter")]
    return " ".join(found + [conditions(c) for c in node.get("Plans", ())])


def _conflict_problem(sql: str, table: str, column: str) -> str | None:
    """Why an upsert's conflict target or update would not do on Citus; None when it does."""
    conflict = _CONFLICT.search(sql)
    if conflict is None:
        return None
    target = [n.strip(' "') for n in conflict.group(1).split(",")]
    if column not in target:
        return f"an upsert on {table} whose target leaves out {column}"
    sets = conflict.group(2) or ""
    if re.search(rf'(^|,)\s*"?{column}"?\s*=', sets):
        return f"an upsert on {table} that sets {column}"
    return None


def off_shard(url: str, sql: str, params: Any) -> str | None:
    """Why ``sql`` would not stay on one shard; None when it does."""
    import psycopg

    match = _TABLE.search(sql)
    if match is None:
        return None  # no table: set_config, the advisory lock, pg_notify
    table = match.group(1)
    column = DISTRIBUTION[table]
    if column is None:
        return None
    if sql.lstrip().upper().startswith("INSERT"):
        names = re.search(r"\(([^)]*)\)", sql)
        listed = [n.strip(' "') for n in names.group(1).split(",")] if names else []
        if column not in listed:
            return f"an insert into {table} that does not set {column}"
        value = params[column] if isinstance(params, dict) else params[listed.index(column)]
        if value is None:
            return f"an insert into {table} with no {column}"
        return _conflict_problem(sql, table, column)
    with psycopg.connect(url, autocommit=True, cursor_factory=psycopg.ClientCursor) as conn:
        row = conn.execute("EXPLAIN (FORMAT JSON) " + sql, params).fetchone()
    assert row is not None
    plan = (row[0] if isinstance(row[0], list) else json.loads(row[0]))[0]["Plan"]
    nodes = list(scans(plan, table))
    if not nodes:
        return f"no scan of {table} in the plan"
    for node in nodes:
        if node["Node Type"] not in _INDEX_SCANS:
            return f"a {node['Node Type']} on {table}"
        if not re.search(rf"\({column} = ", conditions(node)):
            return f"{table} scanned without {column} = ?: {conditions(node).strip()}"
    return None


def test_the_distribution_map_names_every_table(url: str) -> None:
    """Every table the migrations make has a line in the map, and each column exists."""
    import psycopg

    PostgresStore.open(url).close()
    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema()"
        ).fetchall()
    columns: dict[str, set[str]] = {}
    for table, column in found:
        columns.setdefault(table, set()).add(column)
    assert set(DISTRIBUTION) == set(columns)
    for table, column in DISTRIBUTION.items():
        assert column is None or column in columns[table], (table, column)


def test_every_unique_key_names_the_distribution_column(url: str) -> None:
    """Citus needs every unique key of a distributed table to include its column."""
    import psycopg

    PostgresStore.open(url).close()
    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT t.relname, i.relname, array_agg(a.attname::text)"
            " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " JOIN pg_class t ON t.oid = x.indrelid"
            " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(x.indkey)"
            " WHERE x.indisunique AND t.relnamespace = current_schema()::regnamespace"
            " GROUP BY 1, 2"
        ).fetchall()
    narrow = {
        (table, index)
        for table, index, columns in found
        if DISTRIBUTION[table] is not None and DISTRIBUTION[table] not in columns
    }
    assert narrow == set()


@pytest.mark.parametrize("table", sorted(TABLES))
def test_upserts_name_the_distribution_column_and_leave_it_alone(table: str) -> None:
    """Citus needs the column in an upsert's conflict target, and refuses to update it."""
    column = DISTRIBUTION[table]
    for dialect in (POSTGRES, SQLITE):
        sql = dialect.upsert(table)
        assert column is None or _conflict_problem(sql, table, column) is None, sql


def test_hot_statements_stay_on_one_shard(url: str, recorded: list[Statement]) -> None:
    """Every statement of the hot operations on a distributed table names its
    distribution column with equality (and, on one server, scans an index)."""
    with PostgresStore.open(url) as store:
        clock = [time.time()]
        engine = Engine(store, clock=lambda: clock[0])
        fill(url, engine)
        recorded.clear()  # the start and the fill: not the hot path
        hot_operations(engine, Attempts(store), clock)
        statements = list(recorded)
    tables = {m.group(1) for sql, _ in statements if (m := _TABLE.search(sql))}
    assert {"boundaries", "persons", "addresses", "contacts", "list_members"} <= tables
    problems = []
    for sql, params in statements:
        why = off_shard(url, sql, params)
        if why is not None and sql not in EXCEPTIONS:
            problems.append(f"{why}\n    {sql} {params!r}")
    assert not problems, "\n".join(problems)
    assert set(EXCEPTIONS) <= {sql for sql, _ in statements}, "an exception no longer met"


def test_an_older_schema_widens_its_keys_and_keeps_its_rows(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 0008 on PostgreSQL: rows stay, and generated ids go on after them."""
    import psycopg

    from nocontact.store import postgres as pg_store
    from nocontact.store.sqlite import migrations

    with monkeypatch.context() as patch:
        patch.setattr(pg_store, "migrations", lambda: migrations()[:7])
        PostgresStore.open(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO boundaries VALUES ('b_1', 'olive', 'block', 'sam', 'everywhere', NULL,"
            " 1.0, NULL, 'silent', NULL, 0, 'deliver', NULL, 3, 0)"
        )
        conn.execute("INSERT INTO web_posts (author, body, at) VALUES ('olive', 'hi', 1.0)")
    PostgresStore.open(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT owner, revision FROM boundaries").fetchall() == [("olive", 3)]
        row = conn.execute(
            "INSERT INTO web_posts (author, body, at) VALUES ('olive', 'again', 2.0) RETURNING id"
        ).fetchone()
        assert row == (2,)
