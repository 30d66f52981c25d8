"""Store fixtures: every test runs on a fresh SQLite file and on a fresh PostgreSQL schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from harvester.store.db import Store

PG_URL = os.environ.get("HARVESTER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def fresh_pg_schema() -> Iterator[str]:
    """A URL whose connections use a new, empty schema (dropped afterwards); fails loudly if PG is down."""
    admin = create_engine(PG_URL)
    schema = f"store_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except OperationalError as error:
        admin.dispose()
        pytest.fail(f"PostgreSQL at {make_url(PG_URL).render_as_string()} does not answer ({error.orig}); "
                    "start it (bash .ci/ensure-services.sh) or point HARVESTER_TEST_PG_URL at one", pytrace=False)
    try:
        yield make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"}) \
            .render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextmanager
def database(backend: str, tmp: Path) -> Iterator[str]:
    """An empty database of `backend` ("sqlite": a file in `tmp`; "postgres": a new schema, dropped afterwards)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'store.db'}"
        return
    with fresh_pg_schema() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file in a new folder, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nested' / 'store.db'}"
        return
    with fresh_pg_schema() as url:
        yield url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A store migrated to head on an empty database."""
    opened = Store.open(db_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def run_id(store: Store) -> int:
    with store.transaction() as repo:
        return repo.start_run("jact_demo", os.getpid())
