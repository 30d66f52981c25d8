# ruff: noqa: F811 - pytest fixtures imported by name
"""Open311 GeoReport v2 over a real server, read by a GeoReport v2 client library (georeport on PyPI)."""

from __future__ import annotations

import functools
import os
from datetime import timedelta
from typing import Any

import pytest
import requests
from georeport import GeoReport

from harvester.store.db import Store
from harvester.timeutil import utcnow
from harvester.vocab import Status
from tests.apiserver import ApiServer
from tests.integration.api_fixtures import api, db_url, store  # noqa: F401
from tests.store.builders import REPLY, letter, store_batch

RECENT = utcnow() - timedelta(days=2)


@pytest.fixture
def client(api: ApiServer, monkeypatch: pytest.MonkeyPatch) -> GeoReport:
    """The library's client; it sends no credentials on reads, so every request gets the read token added
    (as a gateway in front of the API would)."""
    get = functools.partial(requests.get, headers={"Authorization": f"Bearer {api.tokens['read']}"}, timeout=30)
    monkeypatch.setattr("georeport.georeport.requests.get", get)
    return GeoReport(f"{api.url}/open311/v2", jurisdiction="demo.gov.cn")


def _seed(store: Store) -> None:
    with store.transaction() as repo:
        run = repo.start_run("jact_demo", os.getpid())
    store_batch(store, [letter("1001", posted_at=RECENT, body="请联系13812345678处理。"),
                        letter("1002", posted_at=RECENT, status=Status.REPLIED, status_raw="已回复",
                               replies=(REPLY,)),
                        letter("1003")], run)  # posted 2025-11-18: outside the default 90 days
    store_batch(store, [letter("1001", platform="people_demo", posted_at=RECENT)], run)


def _ids(requests_: list[dict[str, Any]]) -> list[str]:
    return sorted(r["service_request_id"] for r in requests_)


def test_a_georeport_client_reads_services_and_requests(store: Store, client: GeoReport) -> None:
    _seed(store)
    assert {s["service_code"] for s in client.get_service_list()} >= {"complain", "consult"}
    assert _ids(client.get_service_requests()) == ["jact_demo-1001", "jact_demo-1002", "people_demo-1001"]
    assert _ids(client.get_service_requests(status="closed")) == ["jact_demo-1002"]
    assert _ids(client.get_service_requests(start_date="2025-11-01T00:00:00Z", end_date="2025-12-01T00:00:00Z")) \
        == ["jact_demo-1003"]
    assert _ids(client.get_service_requests(service_request_id="jact_demo-1003,people_demo-1001", status="open")) \
        == ["jact_demo-1003", "people_demo-1001"]  # the ids override every other argument
    one = client.get_service_request("jact_demo-1001")
    assert one["service_code"] == "complain" and "13812345678" not in one["description"]
    assert one["requested_datetime"].endswith("+00:00")


def test_errors_come_as_the_specs_code_and_description_list_with_its_status_codes(store: Store, api: ApiServer) -> None:
    _seed(store)
    with api.client("read") as reader:
        missing = reader.get("/open311/v2/requests/jact_demo-9999.json")
        too_long = reader.get("/open311/v2/requests.json", params={"start_date": "2025-01-01T00:00:00Z",
                                                                  "end_date": "2025-06-01T00:00:00Z"})
        unknown = reader.get("/open311/v2/requests.json", params={"service_code": "pothole"})
        not_a_date = reader.get("/open311/v2/requests.json", params={"start_date": "yesterday"})
    with api.client(None) as anonymous:
        anonymous_answer = anonymous.get("/open311/v2/services.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404
    assert too_long.status_code == 400 and "90 days" in too_long.json()[0]["description"]
    assert unknown.status_code == 400
    assert anonymous_answer.status_code == 403 and set(anonymous_answer.json()[0]) == {"code", "description"}
    assert not_a_date.status_code == 400 and not_a_date.json()[0]["code"] == 400


def test_read_full_sees_the_description_unmasked(store: Store, api: ApiServer) -> None:
    _seed(store)
    with api.client("read-full") as full:
        [one] = full.get("/open311/v2/requests/jact_demo-1001.json").json()
    assert "13812345678" in one["description"]
