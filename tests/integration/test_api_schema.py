"""Schemathesis against the published OpenAPI schema of a real server: no generated input gets a 500, and
every answer is shaped as the schema says."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import response_schema_conformance

from harvester.app.api.settings import ApiSettings
from harvester.store.db import Store
from harvester.store.tokens import SCOPES, create_token
from harvester.vocab import Status
from tests.apiserver import api_server
from tests.store.builders import REPLY, letter, store_batch
from tests.store.conftest import BACKENDS, fresh_pg_schema

SECRET: dict[str, str] = {}


@pytest.fixture(scope="module", params=BACKENDS)
def schema_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('schema') / 'h.db'}"
        return
    with fresh_pg_schema() as url:
        yield url


@pytest.fixture(scope="module")
def api_schema(schema_db: str) -> Iterator[Any]:
    store = Store.open(schema_db)
    with store.transaction() as repo:
        run = repo.start_run("jact_demo", os.getpid())
        SECRET["all"] = create_token(repo, "all", SCOPES)[1]
    store_batch(store, [letter("1001"), letter("1002", status=Status.REPLIED, status_raw="已回复",
                                               replies=(REPLY,))], run)
    with api_server(store, ApiSettings(max_wait_s=0.2)) as server:
        SECRET["url"] = server.url
        yield schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    store.close()


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_server_fail(case: schemathesis.Case) -> None:
    response = case.call(base_url=SECRET["url"], headers={"Authorization": f"Bearer {SECRET['all']}"},
                         timeout=30)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:300]}"
    case.validate_response(response, checks=[response_schema_conformance])  # answers are what the schema says
