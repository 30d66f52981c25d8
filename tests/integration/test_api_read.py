# ruff: noqa: F811 - pytest fixtures imported by name
"""The read API on a real server over SQLite and PostgreSQL: auth and scopes, filters, pages, masking, audit."""

from __future__ import annotations

import os

from harvester.app.api.settings import ApiSettings
from harvester.store.db import Store
from harvester.store.tokens import full_reads
from harvester.vocab import Status
from tests.apiserver import ApiServer, api_server
from tests.integration.api_fixtures import api, db_url, store  # noqa: F401
from tests.store.builders import REPLY, later, letter, store_batch

PHONE_BODY = "XX路工地每晚施工，噪音很大。联系电话13812345678，王小明。"


def _seed(store: Store) -> None:
    with store.transaction() as repo:
        run = repo.start_run("jact_demo", os.getpid())
        other = repo.start_run("people_demo", os.getpid())
    store_batch(store, [letter("1001", author="王小明", body=PHONE_BODY),
                        letter("1002", status=Status.REPLIED, status_raw="已回复", replies=(REPLY,))], run)
    store_batch(store, [letter("1001", platform="people_demo", board_id="city")], other)
    store_batch(store, [letter("1002", status=Status.CLOSED, status_raw="已办结", replies=(REPLY,))], run,
                seen_at=later(2))


def test_no_token_no_data_and_a_wrong_scope_is_forbidden(store: Store, api: ApiServer) -> None:
    with api.client(None) as anonymous:
        response = anonymous.get("/messages")
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        assert anonymous.get("/messages", headers={"Authorization": "Bearer lyh_forged"}).status_code == 401
        assert anonymous.get("/openapi.json").json()["info"]["title"] == "liuyan-harvester API"
    with api.client("replies:draft") as drafter:
        assert drafter.get("/messages").status_code == 403
        assert drafter.get("/changes").status_code == 403
    with api.client("read") as reader:
        assert reader.get("/messages").status_code == 200
        assert reader.post("/replies", json={}, headers={"Idempotency-Key": "k"}).status_code == 403


def test_filters_and_cursor_pages_cover_every_message_once(store: Store, api: ApiServer) -> None:
    _seed(store)
    with api.client("read") as reader:
        assert [m["external_id"] for m in reader.get("/messages", params={"platform": "people_demo"}).json()
                ["items"]] == ["1001"]
        closed = reader.get("/messages", params={"status": "closed"}).json()["items"]
        assert [(m["platform"], m["external_id"]) for m in closed] == [("jact_demo", "1002")]
        assert closed[0]["replies"][0]["organisation"] == "市住建局"
        by_unit = reader.get("/messages", params={"unit": "市住建局"}).json()["items"]
        assert [m["external_id"] for m in by_unit] == ["1002"]
        assert reader.get("/messages", params={"board": "mayor,city", "kind": "complain"}).json()["items"]
        changed = reader.get("/messages", params={"changed_after": later(1).isoformat()}).json()["items"]
        assert [m["external_id"] for m in changed] == ["1002"]
        assert reader.get("/messages", params={"status": "nonsense"}).status_code == 422
        assert reader.get("/messages", params={"posted_after": "2025-11-18T00:00:00"}).status_code == 422
        seen, cursor = [], None
        while True:
            page = reader.get("/messages", params={"limit": 1} | ({"cursor": cursor} if cursor else {})).json()
            seen += [(m["platform"], m["external_id"]) for m in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert sorted(seen) == [("jact_demo", "1001"), ("jact_demo", "1002"), ("people_demo", "1001")]


def test_read_masks_personal_data_and_read_full_is_audited(store: Store, api: ApiServer) -> None:
    _seed(store)
    with api.client("read") as reader:
        masked = reader.get("/messages/jact_demo/1001").json()
    assert masked["author"] == "王**" and "13812345678" not in masked["body"] and "138****5678" in masked["body"]
    with store.transaction() as repo:
        assert full_reads(repo) == []
    with api.client("read-full") as full:
        unmasked = full.get("/messages/jact_demo/1001").json()
        listed = full.get("/messages", params={"platform": "jact_demo"}).json()["items"]
    assert unmasked["author"] == "王小明" and "13812345678" in unmasked["body"]
    assert any("13812345678" in m["body"] for m in listed)
    with store.transaction() as repo:
        audit = full_reads(repo)
    assert [(name, request.split("?")[0]) for name, _, request in audit] == [
        ("read-full", "GET /messages/jact_demo/1001"), ("read-full", "GET /messages")]


def test_one_message_with_replies_and_history_and_runs_with_health(store: Store, api: ApiServer) -> None:
    _seed(store)
    with api.client("read") as reader:
        message = reader.get("/messages/jact_demo/1002").json()
        assert reader.get("/messages/jact_demo/nope").status_code == 404
        runs = reader.get("/runs").json()
        health = {h["platform"]: h for h in reader.get("/platforms/health").json()}
    assert [e["kind"] for e in message["history"]] == ["created", "status_changed"]
    assert message["history"][1]["payload"]["to"] == "closed" and message["replies"][0]["text"] == REPLY.text
    assert message["posted_at"].endswith("+08:00")
    assert {r["platform"] for r in runs} == {"jact_demo", "people_demo"}
    assert health["jact_demo"]["messages"] == 2 and health["jact_demo"]["last_run"]["outcome"] == "running"


def test_a_token_over_its_rate_gets_429_and_other_tokens_do_not(store: Store) -> None:
    with api_server(store, ApiSettings(rate_per_s=0.5, burst=3)) as limited:
        with limited.client("read") as reader, limited.client("read-full") as other:
            answers = [reader.get("/runs").status_code for _ in range(4)]
            refused = reader.get("/runs")
            assert other.get("/runs").status_code == 200
    assert answers == [200, 200, 200, 429]
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 2
