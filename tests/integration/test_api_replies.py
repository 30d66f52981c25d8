# ruff: noqa: F811 - pytest fixtures imported by name
"""Reply intake over a real server (SQLite and PostgreSQL): idempotent drafts, also under concurrent retries;
approval bound to the text's hash and to an approver who is not the drafter; cancel; status with the trail."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from harvester.app.api.settings import ApiSettings
from harvester.app.replies.api import Outbox
from harvester.store.db import Store
from tests.apiserver import ApiServer, api_server
from tests.integration.api_fixtures import api, db_url, store  # noqa: F401
from tests.store.builders import letter, store_batch

REPLY = {"platform": "jact_demo", "external_id": "1001", "organisation": "市住房和城乡建设局", "account": "zjj",
         "text": "您好，经核查，该工地已停止夜间施工。"}


def _seed(store: Store) -> None:
    with store.transaction() as repo:
        run = repo.start_run("jact_demo", os.getpid())
    store_batch(store, [letter("1001"), letter("1002")], run)


def _draft(api: ApiServer, key: str, scope: str = "replies:draft", **changes: Any) -> Any:
    with api.client(scope) as client:
        return client.post("/replies", json=REPLY | changes, headers={"Idempotency-Key": key})


def test_a_retried_draft_is_the_same_reply(store: Store, api: ApiServer) -> None:
    _seed(store)
    first, again = _draft(api, "oa-4711"), _draft(api, "oa-4711")
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert first.json()["state"] == "draft" and first.json()["created_by"] == "replies:draft"
    assert _draft(api, "oa-4711", text="另一段答复。").status_code == 409
    assert _draft(api, "oa-4711", "drafter2").json()["id"] != first.json()["id"]  # keys are per token
    assert _draft(api, "oa-4712", external_id="404").status_code == 404
    with api.client("replies:draft") as client:
        assert client.post("/replies", json=REPLY).status_code == 422  # no Idempotency-Key
    assert len(Outbox(store).list_replies()) == 2


def test_concurrent_retries_create_one_reply(store: Store, api: ApiServer) -> None:
    _seed(store)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: _draft(api, "oa-race"), range(16)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(Outbox(store).list_replies()) == 1


def test_approval_is_bound_to_the_hash_and_to_another_approver(store: Store, api: ApiServer) -> None:
    _seed(store)
    draft = _draft(api, "k1").json()
    own = _draft(api, "k2", "both", external_id="1002").json()
    with api.client("replies:approve") as approver, api.client("both") as both, \
            api.client("replies:draft") as drafter:
        assert drafter.post(f"/replies/{draft['id']}/approve", json={"content_hash": draft["content_hash"]}
                            ).status_code == 403  # scope
        assert both.post(f"/replies/{own['id']}/approve", json={"content_hash": own["content_hash"]}
                         ).status_code == 403  # its own draft
        Outbox(store).edit(draft["id"], "您好，已责成施工方整改。", actor="张科员")
        stale = approver.post(f"/replies/{draft['id']}/approve", json={"content_hash": draft["content_hash"]})
        assert stale.status_code == 409
        current = approver.get(f"/replies/{draft['id']}").json()["content_hash"]
        approved = approver.post(f"/replies/{draft['id']}/approve", json={"content_hash": current}).json()
    assert approved["state"] == "approved" and approved["approved_by"] == "replies:approve"
    assert approved["approval_valid"] and approved["approved_hash"] == current
    assert [(h["actor"], h["to_state"]) for h in approved["history"]] == [
        ("replies:draft", "draft"), ("张科员", "draft"), ("replies:approve", "approved")]


def test_self_approval_when_the_server_allows_it(store: Store) -> None:
    _seed(store)
    with api_server(store, ApiSettings(allow_self_approval=True)) as server:
        own = _draft(server, "k1", "both").json()
        with server.client("both") as both:
            answer = both.post(f"/replies/{own['id']}/approve", json={"content_hash": own["content_hash"]})
    assert answer.status_code == 200 and answer.json()["approved_by"] == "both"


def test_cancel_and_the_outbox_rules_after_it(store: Store, api: ApiServer) -> None:
    _seed(store)
    draft = _draft(api, "k1").json()
    with api.client("replies:draft") as drafter, api.client("replies:approve") as approver:
        cancelled = drafter.post(f"/replies/{draft['id']}/cancel", json={"reason": "重复答复"}).json()
        assert drafter.post(f"/replies/{draft['id']}/cancel", json={}).status_code == 409
        assert approver.post(f"/replies/{draft['id']}/approve",
                             json={"content_hash": draft["content_hash"]}).status_code == 409
        assert approver.get("/replies/999").status_code == 404
        status = approver.get(f"/replies/{draft['id']}").json()
    assert cancelled["state"] == "cancelled" and cancelled["reason"] == "重复答复"
    assert status["state"] == "cancelled" and status["history"][-1]["detail"] == "重复答复"
