"""The console's store reads on SQLite and PostgreSQL: filter choices, open letters (延期 as complex), a month's
letters with their first official reply, outbox replies of a letter, quarantined pages."""

from __future__ import annotations

import os
from datetime import datetime

from harvester.app.replies.api import Outbox
from harvester.store.console_reads import (
    choices,
    month_letters,
    open_letters,
    outbox_replies,
    quarantine_list,
    quarantined_page,
)
from harvester.store.db import Store
from harvester.timeutil import SHANGHAI
from tests.console.seed import bj, seed_letters
from tests.store.builders import broken_page
from tests.store.conftest import db_url, store  # noqa: F401 - the store fixtures, both backends


def test_choices_and_open_letters(store: Store) -> None:  # noqa: F811
    seed_letters(store, os.getpid())
    with store.transaction() as repo:
        offered = choices(repo)
        found = open_letters(repo, ("pending", "in_progress"), ("办理中",))
    assert offered.platforms == ["discuz_demo", "jact_demo", "people_demo"]
    assert offered.units == ["市交通局", "市住建局", "市城管局", "市教育局"]
    assert [(o.external_id, o.unit, o.kind) for o in found] == [
        ("1002", "市交通局", "consult"), ("1001", "市住建局", "complain"), ("2002", "市住建局", "complain"),
        ("2001", "市教育局", "complex"), ("3001", "网络问政", "report")]


def test_a_months_letters_carry_their_first_official_reply(store: Store) -> None:  # noqa: F811
    seed_letters(store, os.getpid())
    with store.transaction() as repo:
        found = month_letters(repo, datetime(2025, 9, 1, tzinfo=SHANGHAI), datetime(2025, 10, 1, tzinfo=SHANGHAI))
    replied = {(m.platform, m.unit): m.first_reply_at for m in found if m.first_reply_at}
    assert len(found) == 5 and replied == {("jact_demo", "市住建局"): bj(9, 15, 16), ("jact_demo", "市城管局"): bj(9, 17, 10)}


def test_outbox_replies_and_quarantined_pages(store: Store) -> None:  # noqa: F811
    seed_letters(store, os.getpid())
    reply = Outbox(store).add("jact_demo", "1001", "您好。", "市住建局", "zjj", actor="a")
    with store.transaction() as repo:
        run_id = repo.start_run("jact_demo", os.getpid())
        repo.quarantine_page(broken_page(body=b"<p>\xc0\xb4\xd0\xc5</p>"), run_id)
    with store.transaction() as repo:
        assert [r.id for r in outbox_replies(repo, "jact_demo", "1001")] == [reply.id]
        assert outbox_replies(repo, "jact_demo", "1002") == []
        listed = quarantine_list(repo)
        page = quarantined_page(repo, listed[0]["id"])
        assert page is not None and page["body"] == b"<p>\xc0\xb4\xd0\xc5</p>" and quarantined_page(repo, 999) is None
