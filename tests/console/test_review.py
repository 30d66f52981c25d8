"""审核 in Chromium: drafting, approving, sending back, cancelling, and the refusals (wrong role, own draft, text
changed since it was read)."""

from __future__ import annotations

import os
from typing import Any

import pytest

from harvester.app.api.settings import ApiSettings
from harvester.app.replies import claims
from harvester.app.replies.api import Outbox
from harvester.schema import Reply
from harvester.store.console_audit import audit_entries
from harvester.store.outbox.states import State
from harvester.timeutil import utcnow
from harvester.vocab import Status
from tests.console.seed import NAME, NOISE, PHONE, bj
from tests.console.server import Console, console_server, csrf_of, screenshot, sign_in
from tests.store.builders import letter

pytestmark = pytest.mark.browser
TEXT = "您好，经核查，该工地已停止夜间施工，城管部门将持续巡查。"


def drafted(console: Console, by: str = "drafter", text: str = TEXT) -> int:
    return Outbox(console.store).add("jact_demo", "1001", text, "市住建局", "zjj", actor=by).id


def test_a_drafter_writes_a_reply_and_another_person_approves_it(console: Console, page: Any, browser: Any) -> None:
    sign_in(page, console.url, "drafter", then="/review/new?platform=jact_demo&external_id=1001")
    body = page.inner_text("pre.text")
    assert PHONE not in body and "138****5678" in body and NAME not in body  # a drafter sees personal data masked
    page.fill("input[name=account]", "zjj")
    page.fill("textarea[name=text]", TEXT)
    page.click("#draft-form button")
    page.wait_for_url("**/review/*?done=drafted")
    reply_id = int(page.url.split("/review/")[1].split("?")[0])
    assert page.inner_text("#state") == "待审核" and page.locator("#approve-form").count() == 0

    leader = browser.new_context(locale="zh-CN").new_page()
    sign_in(leader, console.url, "approver", then="/review")
    assert "小区旁工地夜间施工噪音扰民" in leader.inner_text(f"tr[data-reply='{reply_id}']")
    screenshot(leader, "review-list")
    leader.click(f"tr[data-reply='{reply_id}'] a")
    assert PHONE in leader.inner_text("#message-body")  # an approver sees the letter as written, audited
    screenshot(leader, "review-reply")
    leader.click("#approve-form button")
    leader.wait_for_url(f"**/review/{reply_id}?done=approved")
    assert leader.inner_text("#state") == "已批准"
    assert leader.locator("#history tbody tr").all_inner_texts()[-1].split("\t")[1:4] == ["approver", "待审核", "已批准"]
    reply = Outbox(console.store).get(reply_id)
    assert (reply.state, reply.approved_by, reply.approval_valid) == ("approved", "approver", True)
    with console.store.transaction() as repo:
        unmasked = [e.target for e in audit_entries(repo, actor="approver", action="unmasked_view")]
        assert f"GET /review/{reply_id}" in unmasked
        assert not audit_entries(repo, actor="drafter", action="unmasked_view")
    leader.context.close()


def test_a_viewer_gets_no_approve_button_and_a_forged_approval_is_refused(console: Console, page: Any) -> None:
    reply_id = drafted(console)
    sign_in(page, console.url, "viewer", then=f"/review/{reply_id}")
    assert page.locator("#approve-form, #edit-form, #reject-form, #cancel-form").count() == 0
    with console.client("viewer") as client:
        refused = client.post(f"/review/{reply_id}/approve", data={
            "csrf": csrf_of(client), "content_hash": Outbox(console.store).get(reply_id).content_hash})
    assert refused.status_code == 403 and "您的角色无权审核答复" in refused.text
    assert Outbox(console.store).get(reply_id).state == "draft"


def test_nobody_approves_their_own_draft_unless_the_server_allows_it(console: Console, page: Any) -> None:
    reply_id = drafted(console, by="admin")
    sign_in(page, console.url, "admin", then=f"/review/{reply_id}")
    assert "这是您起草的答复" in page.inner_text("#approve-form")
    page.click("#approve-form button")
    assert page.inner_text("#refusal") == "不能批准自己起草的答复：请由另一位审核人批准"
    screenshot(page, "review-own-draft-refused")
    assert Outbox(console.store).get(reply_id).state == "draft"
    with console_server(console.store, ApiSettings(allow_self_approval=True)) as lenient:
        with lenient.client("admin") as client:
            answer = client.post(f"/review/{reply_id}/approve", data={
                "csrf": csrf_of(client), "content_hash": Outbox(console.store).get(reply_id).content_hash})
    assert answer.status_code == 303 and Outbox(console.store).get(reply_id).approved_by == "admin"


def test_an_approval_of_text_that_changed_since_it_was_read_is_refused(console: Console, page: Any) -> None:
    reply_id = drafted(console)
    sign_in(page, console.url, "approver", then=f"/review/{reply_id}")
    Outbox(console.store).edit(reply_id, TEXT + "（已补充处理时限）", actor="drafter2")  # while the approver reads
    page.click("#approve-form button")
    assert page.inner_text("#refusal").startswith("该答复在您打开后已被修改，批准未生效")
    assert Outbox(console.store).get(reply_id).state == "draft"
    page.goto(f"{console.url}/review/{reply_id}")
    assert "已补充处理时限" in page.inner_text("#reply-text")
    page.click("#approve-form button")
    page.wait_for_url(f"**/review/{reply_id}?done=approved")
    assert Outbox(console.store).get(reply_id).text.endswith("（已补充处理时限）")


def test_sending_back_then_editing_voids_nothing_silently(console: Console, page: Any) -> None:
    reply_id = drafted(console)
    box = Outbox(console.store)
    box.approve(reply_id, "approver2", box.get(reply_id).content_hash)
    sign_in(page, console.url, "approver", then=f"/review/{reply_id}")
    page.fill("#reject-form input[name=reason]", "请写明整改完成时间")
    page.click("#reject-form button")
    page.wait_for_url(f"**/review/{reply_id}?done=sent_back")
    assert page.inner_text("#sent-back") == "退回意见：请写明整改完成时间"
    reply = box.get(reply_id)
    assert (reply.state, reply.approved_by, reply.reason) == ("draft", None, "请写明整改完成时间")
    assert box.history(reply_id)[-1].detail == "approval voided: sent back: 请写明整改完成时间"

    sign_in(page, console.url, "drafter", then=f"/review/{reply_id}")
    page.fill("#edit-form textarea", TEXT + "整改已于10月20日完成。")
    page.click("#edit-form button")
    page.wait_for_url(f"**/review/{reply_id}?done=edited")
    assert page.locator("#sent-back").count() == 0 and box.get(reply_id).text.endswith("10月20日完成。")


def test_an_edit_of_an_approved_reply_voids_its_approval(console: Console, page: Any) -> None:
    reply_id = drafted(console)
    box = Outbox(console.store)
    box.approve(reply_id, "approver", box.get(reply_id).content_hash)
    sign_in(page, console.url, "drafter", then=f"/review/{reply_id}")
    assert "修改后原批准作废" in page.inner_text("#edit-form")
    page.fill("#edit-form textarea", TEXT + "特此答复。")
    page.click("#edit-form button")
    page.wait_for_url(f"**/review/{reply_id}?done=edited")
    assert page.inner_text("#state") == "待审核"
    assert box.get(reply_id).approved_by is None
    assert box.history(reply_id)[-1].detail == "approval voided: text edited"


def test_a_drafter_cancels_a_reply_after_confirming(console: Console, page: Any) -> None:
    reply_id = drafted(console)
    sign_in(page, console.url, "drafter2", then=f"/review/{reply_id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.fill("#cancel-form input[name=reason]", "与另一答复重复")
    page.click("#cancel-form button")
    page.wait_for_url(f"**/review/{reply_id}?done=cancelled")
    assert page.inner_text("#state") == "已撤销" and page.locator("#edit-form").count() == 0
    page.goto(f"{console.url}/review?state=cancelled")
    assert page.locator(f"tr[data-reply='{reply_id}']").count() == 1


def test_a_reply_shows_its_way_through_posted_to_verified(console: Console, page: Any) -> None:
    reply_id = drafted(console)
    box = Outbox(console.store)
    box.approve(reply_id, "approver", box.get(reply_id).content_hash)
    held = claims.claim(console.store, reply_id, "push-test")
    assert not isinstance(held, str)
    claims.begin_attempt(console.store, held)
    claims.finish(console.store, held, State.POSTED, "push", "posted: 回复成功", platform_reply_id="R-9001",
                  posted_at=utcnow(), platform_message="回复成功", not_before=None, reason=None)
    sign_in(page, console.url, "viewer", then="/review?state=posted")
    assert page.locator(f"tr[data-reply='{reply_id}']").count() == 1
    with console.store.transaction() as repo:  # the next harvest sees the reply on the platform
        run_id = repo.start_run("jact_demo", os.getpid())
        seen = letter("1001", body=NOISE, handling_unit="市住建局", posted_at=bj(9, 26), author=NAME, status=Status.REPLIED,
                      status_raw="已回复", replies=[Reply(text=TEXT, organisation="市住建局", replied_at=utcnow())])
        assert repo.confirm_posted_replies([seen], run_id, utcnow()) == 1
    page.goto(f"{console.url}/review/{reply_id}")
    assert page.inner_text("#state") == "已核实" and "R-9001" in page.inner_text("table.facts")
    assert [row.split("\t")[3] for row in page.locator("#history tbody tr").all_inner_texts()] == [
        "待审核", "已批准", "发送中", "已发布", "已核实"]
    screenshot(page, "review-verified")
