"""A throw-away schema in the real PostgreSQL of the test machine (127.0.0.1:5432, trust auth).

Each test gets its own schema (dropped afterwards), so tests never see each other's rows and
parallel runs of the suite do not collide. ``BORDERWATCH_TEST_PG`` overrides the DSN.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest

PG_DSN = os.environ.get("BORDERWATCH_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def pg_schema() -> Iterator[str]:
    """A new empty schema's name; skips the test when PostgreSQL does not answer."""
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(PG_DSN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {PG_DSN}: {exc}")
    name = f"bwtest_{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        admin.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        admin.close()
