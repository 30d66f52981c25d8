"""Fixtures of the API tests: a store on SQLite and on PostgreSQL, and the API serving it on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harvester.store.db import Store
from tests.apiserver import ApiServer, api_server
from tests.store.conftest import db_url, store  # noqa: F401 - the store fixtures, both backends


@pytest.fixture
def api(store: Store) -> Iterator[ApiServer]:  # noqa: F811
    with api_server(store) as server:
        yield server
