"""Messages and pages to store in tests: a realistic 市长信箱 letter with overridable fields."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from harvester.extract.snapshot import Snapshot
from harvester.schema import Message, QuarantinedPage, Reply
from harvester.store.db import Store
from harvester.store.repository import UpsertResult
from harvester.timeutil import SHANGHAI
from harvester.vocab import Kind, Status, Topic

POSTED = datetime(2025, 11, 18, 9, 30, 5, 123456, tzinfo=SHANGHAI)
SEEN = datetime(2025, 11, 20, 8, 0, tzinfo=SHANGHAI)
PLATFORM = "jact_demo"

REPLY = Reply(text="您好，经核查，该工地已停止夜间施工。", organisation="市住建局",
              replied_at=datetime(2025, 11, 19, 16, 0, tzinfo=SHANGHAI))


def letter(external_id: str = "25445483", **overrides: Any) -> Message:
    """A pending complaint as the jact mailbox shows it; override any field."""
    fields: dict[str, Any] = {
        "platform": PLATFORM, "external_id": external_id,
        "url": f"http://127.0.0.1:8601/jact/front/mailpubdetail.do?transactId={external_id}",
        "board_id": "mayor", "addressee": "市长信箱", "title": "小区旁工地夜间施工噪音扰民",
        "body": "XX路工地每晚十一点后仍在施工，噪音很大，影响休息。", "status": Status.PENDING,
        "status_raw": "待回复", "posted_at": POSTED, "fetched_at": SEEN, "kind": Kind.COMPLAIN,
        "kind_raw": "投诉", "topic": Topic.URBAN_CONSTRUCTION, "topic_raw": "城建", "author": "张**",
        "letter_no": f"XF20251118-{external_id[-4:]}", "views": 12, "likes": 1,
    }
    fields.update(overrides)
    return Message(**fields)


def broken_page(url: str = "http://127.0.0.1:8601/jact/front/mailpubdetail.do?transactId=9",
                body: bytes = "<div class='xj_content'>来信内容</div>".encode(),
                fetched_at: datetime = SEEN) -> QuarantinedPage:
    snapshot = Snapshot(url=url, status=200, body=body, fetched_at=fetched_at,
                        headers={"content-type": "text/html; charset=utf-8"})
    return QuarantinedPage(platform=PLATFORM, snapshot=snapshot, reason="来信时间 not found", external_id="9")


def store_batch(store: Store, messages: list[Message], run_id: int,
                seen_at: datetime = SEEN) -> list[UpsertResult]:
    """Upsert `messages` in one transaction, as the store pipeline does."""
    with store.transaction() as repo:
        return repo.upsert_messages(messages, run_id, seen_at)


def later(hours: float) -> datetime:
    return SEEN + timedelta(hours=hours)
