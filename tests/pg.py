"""PostgreSQL for tests: a fresh schema per test on the server at 127.0.0.1:5432.

Locally, a test that needs PostgreSQL is skipped (with the reason) when the
server is down; in CI (``CI`` set) it fails instead: PostgreSQL tests are
never silently skipped there.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

#: The database tests use; override with NOCONTACT_TEST_POSTGRES.
SERVER = os.environ.get("NOCONTACT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A URL whose tables live in a new schema, dropped afterwards."""
    try:
        import psycopg
    except ImportError:
        _unavailable("psycopg is not installed (pip install 'nocontact[postgres]')")
        raise
    name = "nocontact_test_" + secrets.token_hex(6)
    try:
        with psycopg.connect(SERVER, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
    except psycopg.OperationalError as exc:
        _unavailable(str(exc).strip())
    separator = "&" if "?" in SERVER else "?"
    try:
        yield f"{SERVER}{separator}options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(SERVER, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
