"""运行 in Chromium: platform health from the runs, soft blocks, the monitors as `harvester check` sees them, and a
quarantined page shown as inert text (its script never runs), masked for a viewer."""

from __future__ import annotations

import os
from typing import Any

import pytest

from harvester.runfigures import SOFT_BLOCKED
from harvester.store.console_audit import audit_entries
from tests.console.seed import PHONE
from tests.console.server import Console, screenshot, sign_in
from tests.store.builders import broken_page

pytestmark = pytest.mark.browser
HOSTILE = (f"<html><body><script>window.pwned = 1</script><img src=x onerror=\"window.pwned = 2\">"
           f"<div class='xj_content'>来信人电话 {PHONE}</div></body></html>").encode()


@pytest.fixture
def troubled(console: Console, monkeypatch: pytest.MonkeyPatch) -> int:
    """A failed, soft-blocked people_demo run that quarantined a hostile page; replica platforms configured."""
    monkeypatch.setenv("HARVESTER_REPLICA_PLATFORMS", "1")
    with console.store.transaction() as repo:
        run_id = repo.start_run("people_demo", os.getpid())
        repo.quarantine_page(broken_page(body=HOSTILE), run_id)
        repo.finish_run(run_id, "failed", {"requests": 3, "quarantined": 1}, error="HTTP 403 on the list page",
                        failure_class="blocked", figures={SOFT_BLOCKED: 2})
        return int(repo.quarantined()[0]["id"])


def test_health_shows_failed_runs_soft_blocks_and_the_monitors(console: Console, page: Any, troubled: int) -> None:
    sign_in(page, console.url, "viewer", then="/health")
    screenshot(page, "health")
    people = page.locator("#platforms tr[data-platform='people_demo']")
    assert people.locator(".outcome").inner_text() == "失败" and people.locator(".failure").inner_text() == "blocked"
    assert people.locator(".soft").inner_text() == "2"
    jact = page.locator("#platforms tr[data-platform='jact_demo']")
    assert jact.locator(".outcome").inner_text() == "成功"
    checks = page.locator("#monitors tbody tr[data-check]")
    names = [str(c) for c in checks.evaluate_all("rows => rows.map(r => r.dataset.check)")]
    assert "people_demo/last_run" in names and "jact_demo/overdue" in names
    statuses = checks.locator(".status").all_inner_texts()
    assert statuses[0] == "异常" and statuses == sorted(statuses, key=["异常", "无法判断", "正常"].index)
    last_run = page.locator("#monitors tr[data-check='people_demo/last_run'] .status").inner_text()
    assert last_run == "异常"


def test_a_quarantined_page_is_inert_text_masked_for_a_viewer(console: Console, page: Any, troubled: int) -> None:
    sign_in(page, console.url, "viewer", then="/health")
    page.click("#quarantine a")
    page.wait_for_url(f"**/health/quarantine/{troubled}")
    raw = page.inner_text("#raw")
    assert "<script>window.pwned = 1</script>" in raw and "138****5678" in raw and PHONE not in raw
    assert page.evaluate("window.pwned") is None and page.locator("#raw img, #raw script").count() == 0
    screenshot(page, "quarantined")
    sign_in(page, console.url, "admin", then=f"/health/quarantine/{troubled}")
    assert PHONE in page.inner_text("#raw")
    with console.store.transaction() as repo:
        assert [e.target for e in audit_entries(repo, action="unmasked_view")] == [f"GET /health/quarantine/{troubled}"]
