"""A huge quarantined page keeps a bounded prefix of its body, its whole size and its whole SHA-256."""

from __future__ import annotations

import hashlib

from harvester.extract.quarantine import BODY_LIMIT, quarantine_record
from harvester.extract.snapshot import Snapshot
from harvester.store.db import Store
from tests.store.builders import PLATFORM, SEEN

HUGE = ("<html><body>" + "<p>来信内容</p>" * 600_000 + "</body></html>").encode("utf-8")


def huge_page() -> Snapshot:
    return Snapshot(url="http://127.0.0.1:8601/letter?id=9", status=200, body=HUGE, fetched_at=SEEN,
                    headers={"content-type": "text/html; charset=utf-8"})


def test_a_huge_page_is_quarantined_as_a_bounded_prefix_with_its_size_and_hash(store: Store, run_id: int) -> None:
    assert len(HUGE) > 5 * BODY_LIMIT
    page = quarantine_record(PLATFORM, huge_page(), "来信时间 not found", external_id="9")
    with store.transaction() as repo:
        assert repo.quarantine_page(page, run_id) == "inserted"
        [row] = repo.quarantined(platform=PLATFORM)
    whole = hashlib.sha256(HUGE).hexdigest()
    assert row["body"] == HUGE[:BODY_LIMIT]
    assert row["body_sha256"] == whole
    assert row["reason"] == (f"来信时间 not found [body kept: the first {BODY_LIMIT:,} of {len(HUGE):,} bytes, "
                             f"sha256 {whole}]")
    assert row["encoding"] == "utf-8"


def test_the_same_huge_page_again_is_a_repeat_not_a_new_row(store: Store, run_id: int) -> None:
    with store.transaction() as repo:
        assert repo.quarantine_page(quarantine_record(PLATFORM, huge_page(), "x"), run_id) == "inserted"
        assert repo.quarantine_page(quarantine_record(PLATFORM, huge_page(), "x"), run_id) == "repeated"


def test_a_small_page_is_kept_whole_with_the_reason_unchanged(store: Store, run_id: int) -> None:
    small = Snapshot(url="http://127.0.0.1:8601/letter?id=9", status=200, body=b"<html>x</html>", fetched_at=SEEN,
                     headers={"content-type": "text/html; charset=utf-8"})
    with store.transaction() as repo:
        repo.quarantine_page(quarantine_record(PLATFORM, small, "x"), run_id)
        [row] = repo.quarantined()
    assert (row["body"], row["reason"], row["body_sha256"]) == (small.body, "x", hashlib.sha256(small.body).hexdigest())
