"""The push task end to end: approved replies in the PostgreSQL store, push tasks delivered more than once to two
workers on two "hosts" (a double `harvester enqueue` and a hand-sent duplicate), the Discuz! replica's reply form
as the platform. Each approved text lands exactly once, and the next harvest task confirms it."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from harvester.app.distributed.celeryapp import create_app
from harvester.app.distributed.names import BROWSER_QUEUE, HARVEST, PUSH
from harvester.app.distributed.settings import load_distributed_settings
from harvester.app.replies import Outbox
from harvester.config import load_config
from harvester.schema import Message
from harvester.secrets import env_name
from harvester.store.db import Store
from harvester.timeutil import utcnow
from harvester.vocab import Status
from spiders.discuz.options import thread_url
from tests.distributed.cluster import RedisServer, Workers, cli, cluster_env, wait_for
from tests.harvesting import write_config
from tests.replicahost import control, replica_process

pytestmark = pytest.mark.postgres

DISCUZ = "discuz_demo"
SITE = {"threads_per_board": 12, "boards": "27", "flood_seconds": 3}
# account key (names the credentials) -> the forum user who answers for that unit
ACCOUNTS = {"mayor": "市长信箱办公室", "zjj": "区住建局"}


def thread_message(base: str, thread: dict[str, Any]) -> Message:
    tid = str(thread["tid"])
    return Message(platform=DISCUZ, external_id=tid, url=thread_url(base, tid, 1, "rewrite"), board_id="27",
                   addressee="网络问政", title=thread["subject"], body=thread["posts"][0]["message"],
                   status=Status.PENDING, status_raw="待回复", posted_at=datetime.fromisoformat(thread["posted_at"]),
                   fetched_at=utcnow())


def approve_replies(db_url: str, base: str) -> dict[int, tuple[dict[str, Any], str]]:
    """Two open threads stored as messages, each with a reply approved for another unit's account."""
    threads = [t for t in control(base, "discuz/threads?fid=27")
               if not t["pinned"] and not t["readperm"] and not t["closed"] and len(t["posts"]) < 5][:2]
    messages = [thread_message(base, t) for t in threads]
    with Store.open(db_url) as store:
        with store.transaction() as repo:
            run = repo.start_run(DISCUZ, os.getpid())
            repo.upsert_messages(messages, run, utcnow())
            repo.finish_run(run, "succeeded", {})
        box, approved = Outbox(store), {}
        for thread, message, account in zip(threads, messages, ACCOUNTS, strict=True):
            text = f"网友您好：\n您反映的问题已由{ACCOUNTS[account]}核查，\n处理结果将在三个工作日内答复（{thread['tid']}）。"
            draft = box.add(DISCUZ, message.external_id, text, ACCOUNTS[account], account, "oa-system")
            approved[box.approve(draft.id, "张科长", content_hash=draft.content_hash).id] = (thread, text)
    return approved


def replies(db_url: str) -> dict[int, Any]:
    with Store.open(db_url) as store:
        box = Outbox(store)
        return {reply.id: reply for reply in box.list_replies(platform=DISCUZ)}


def posts_with(base: str, text: str) -> int:
    return sum(p["message"] == text for t in control(base, "discuz/threads?fid=27") for p in t["posts"])


def finished_pushes(workers: Workers) -> int:
    return sum(1 for name in ("host-a", "host-b") for line in workers.log(name).splitlines()
               if f"{PUSH}[" in line and " succeeded in " in line)


def test_push_tasks_delivered_twice_to_two_hosts_post_each_approved_text_once_and_the_harvest_confirms_it(
        tmp_path: Path, broker: RedisServer, pg_url: str) -> None:
    (tmp_path / "forum").mkdir()
    with replica_process(tmp_path / "forum", ["discuz"], options={"discuz": SITE}) as urls:
        base = urls["discuz"]
        approved = approve_replies(pg_url, base)
        users = {a["username"]: a for a in control(base, "discuz/accounts")}
        secrets = {env_name(DISCUZ, key, field): (name if field == "username" else users[name]["password"])
                   for key, name in ACCOUNTS.items() for field in ("username", "password")}
        config = write_config(tmp_path, pg_url, {DISCUZ: base},
                              extra=f'state_dir = "{tmp_path / "state"}"\n\n[replies]\nunverified_after_runs = 0')

        # Twice `harvester enqueue` (cron and a hand run, say): each sends a push task for the platform.
        for _ in range(2):
            enqueued = cli(config, broker.url, "enqueue")
            assert enqueued.returncode == 0, enqueued.stdout + enqueued.stderr
        loaded = load_config(env=cluster_env(config, broker.url), cwd=tmp_path)
        app = create_app(loaded, load_distributed_settings(loaded))
        app.send_task(PUSH, args=[DISCUZ], queue=BROWSER_QUEUE)  # and a duplicate delivery on top

        workers = Workers(config, broker.url, tmp_path / "workers", **secrets)
        workers.start("host-a", queues="http,browser")
        workers.start("host-b", queues="http,browser")
        try:
            # The harvest the enqueues sent may confirm the first reply before the second is posted.
            wait_for(lambda: all(r.state in ("posted", "verified") for r in replies(pg_url).values()), 120,
                     "both approved replies to be posted")
            wait_for(lambda: finished_pushes(workers) == 3, 120, "all three push tasks to finish")
            for reply_id, (_thread, text) in approved.items():
                assert posts_with(base, text) == 1, f"reply {reply_id} posted {posts_with(base, text)} times"

            # The next harvest reads the threads and confirms what was posted.
            app.send_task(HARVEST, args=[[DISCUZ], utcnow().isoformat()], queue="http")
            wait_for(lambda: all(r.state == "verified" for r in replies(pg_url).values()), 180,
                     "the harvest task to confirm both replies")
        finally:
            workers.stop()
            app.close()
        for _thread, text in approved.values():
            assert posts_with(base, text) == 1
        logs = workers.log("host-a") + workers.log("host-b")
        for name in ACCOUNTS.values():
            assert users[name]["password"] not in logs
