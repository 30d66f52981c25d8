"""Distributed tests: each test's private Redis and fresh PostgreSQL schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harvester.store.db import Store
from tests.distributed.cluster import RedisServer, redis_server
from tests.store.conftest import fresh_pg_schema


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RedisServer]:
    with redis_server(tmp_path / "redis") as server:
        yield server


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL schema, migrated to head before any worker starts."""
    with fresh_pg_schema() as url:
        Store.open(url).close()
        yield url
