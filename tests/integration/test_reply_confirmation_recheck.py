"""After `harvester push`, the next harvest re-reads the replied letter even when nothing else would bring it up
(last seen minutes ago, below the list's first page), and marks the reply verified; a letter just like it
without a posted reply is left alone by the same harvest."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from harvester.app.replies import Outbox
from harvester.secrets import env_name
from harvester.store.db import Store
from tests.harvesting import cli, harvest, write_config
from tests.replicahost import control, replica_process

pytestmark = pytest.mark.browser  # the jact back office is driven through Chromium

JACT = "jact_demo"
PER_PAGE = 15  # the replica's list page size: letters beyond the newest 15 are not on the first page


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[str]:
    with replica_process(tmp_path, ["jact"], options={"jact": {"letters": 90, "per_page": PER_PAGE}}) as urls:
        yield urls["jact"]


def last_seen(store: Store, *external_ids: str) -> list[datetime]:
    with store.transaction() as repo:
        found = [repo.get_message(JACT, external_id) for external_id in external_ids]
    return [record["last_seen_at"] for record in found if record]


def quiet_open_letters(base: str, store: Store) -> list[dict[str, Any]]:
    """Open public letters the store holds that a harvest has no reason to read again: below the first list
    page (the board's cursor stops the list scan there) and seen moments ago (re-checks wait three hours)."""
    letters = control(base, "jact/letters")
    first_page = {x["id"] for x in sorted(letters, key=lambda x: x["id"], reverse=True)[:PER_PAGE]}
    with store.transaction() as repo:
        stored = {m["external_id"] for m in repo.iter_messages(JACT) if m["status"] == "in_progress"}
    return [x for x in letters if str(x["id"]) in stored and x["id"] not in first_page and x["public"]
            and x["unit"] and not x["replies"]]


def test_the_next_harvest_rereads_a_letter_with_a_posted_reply_and_verifies_it(mailbox: str, tmp_path: Path,
                                                                               sqlite_url: str) -> None:
    config = write_config(tmp_path, sqlite_url, {JACT: mailbox})
    first = harvest(config, JACT)
    assert first.returncode == 0, first.stdout + first.stderr
    store = Store.open(sqlite_url)
    try:
        answered, untouched = quiet_open_letters(mailbox, store)[:2]
        account = next(a for a in control(mailbox, "jact/accounts") if a["unit"] == answered["unit"])
        box = Outbox(store)
        text = f"您好，来信反映的问题已由{answered['unit']}现场核查，\n将于五个工作日内整改到位。"
        reply = box.add(JACT, str(answered["id"]), text, answered["unit"], account["username"], "oa-system")
        box.approve(reply.id, "张科长", content_hash=reply.content_hash)
        secrets = {env_name(JACT, account["username"], name): account[name]
                   for name in ("username", "password", "totp_secret")}
        pushed = cli(config, "push", timeout=120, **secrets)
        assert pushed.returncode == 0, pushed.stdout + pushed.stderr
        assert box.get(reply.id).state == "posted"
        ids = str(answered["id"]), str(untouched["id"])
        before = last_seen(store, *ids)

        again = harvest(config, JACT)  # the default re-check interval (3 h): neither letter is otherwise due
        assert again.returncode == 0, again.stdout + again.stderr
        view = box.get(reply.id)
        assert view.state == "verified" and view.verified_at is not None
        after = last_seen(store, *ids)
        assert after[0] > before[0], "the letter with the posted reply was not read again"
        assert after[1] == before[1], "a letter without a posted reply was read again"
        with store.transaction() as repo:
            stored = repo.get_message(JACT, ids[0])
        assert stored is not None and stored["status"] == "replied"
    finally:
        store.close()
