"""/review (审核): the reply outbox — draft, edit (voids approval), approve, send back with a reason, cancel.

Every rule of the outbox is the outbox's own (harvester.app.replies.api.Outbox); this page adds the four-eyes rule
(no approving one's own draft unless `allow_self_approval`) and the console's audit entries.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from harvester.app.console.masking import audit_view, shown, shown_text
from harvester.app.console.pages import render
from harvester.app.console.roles import REFUSED, Can
from harvester.app.console.security import AnyPost, ApprovePost, DraftPost, Posted, Reader, Refused, Who, store_of
from harvester.app.replies.api import Outbox
from harvester.store.console_audit import record_action
from harvester.store.outbox.records import ApprovalMismatch, KeyConflict, UnknownMessage, UnknownReply
from harvester.store.outbox.states import CANCELLABLE, EDITABLE, IllegalTransition, State
from harvester.store.outbox.views import ReplyView
from harvester.store.reads import find_by_keys

router = APIRouter(include_in_schema=False)
ReplyId = Annotated[int, Path(ge=1, le=2**53)]
TABS = (("draft", "待审核", ("draft",)), ("approved", "已批准待发送", ("approved", "sending")),
        ("posted", "已发布", ("posted", "posted_pending_moderation")), ("verified", "已核实", ("verified",)),
        ("failed", "拒收/失败", ("rejected", "dead")), ("cancelled", "已撤销", ("cancelled",)), ("all", "全部", ()))
DONE = {"drafted": "答复草稿已保存，等待审核", "edited": "答复已修改；原有批准（如有）已作废，需重新审核",
        "approved": "答复已批准，将由下一次推送发布", "sent_back": "答复已退回起草人修改", "cancelled": "答复已撤销"}


def _outbox(request: Request) -> Outbox:
    return Outbox(store_of(request))


def _refusal(error: Exception) -> Refused:
    if isinstance(error, UnknownReply | UnknownMessage):
        return Refused(404, f"找不到：{error}")
    if isinstance(error, ApprovalMismatch):
        return Refused(409, "该答复在您打开后已被修改，批准未生效：请重新审阅当前内容后再批准")
    if isinstance(error, KeyConflict | IllegalTransition):
        return Refused(409, f"当前状态下不能这样操作：{error}")
    return Refused(400, f"内容不符合要求：{error}")


@router.get("/review")
def review_list(request: Request, who: Reader, state: str = "draft") -> Response:
    tab = next((t for t in TABS if t[0] == state), TABS[0])
    replies = _outbox(request).list_replies(states=tab[2], limit=200)
    with store_of(request).transaction() as repo:
        letters = find_by_keys(repo, sorted({(r.platform, r.external_id) for r in replies}))
        audit_view(repo, who, request)
    titles = {(m["platform"], m["external_id"]): shown_text(m["title"], who) for m in letters}
    return render(request, "review_list.html", tabs=TABS, tab=tab[0], replies=replies, titles=titles)


@router.get("/review/new")
def draft_form(request: Request, who: Reader, platform: str, external_id: str) -> Response:
    if not who.can(Can.DRAFT):
        raise Refused(403, REFUSED[Can.DRAFT])
    with store_of(request).transaction() as repo:
        message = repo.get_message(platform, external_id)
        if message is None:
            raise Refused(404, f"找不到留言 {platform}/{external_id}")
        audit_view(repo, who, request)
    return render(request, "review_new.html", message=shown(message, who))


@router.post("/review/new")
def draft(request: Request, posted: DraftPost) -> Response:
    try:
        reply = _outbox(request).add(posted.text("platform", 64), posted.text("external_id", 128), posted.text("text"),
                                     posted.text("organisation", 200), posted.text("account", 64),
                                     actor=posted.who.name)
    except (LookupError, ValueError) as error:
        raise _refusal(error) from error
    return _done(request, posted, reply.id, "drafted")


@router.get("/review/{reply_id}")
def review_one(request: Request, who: Reader, reply_id: ReplyId, done: str = "") -> Response:
    box = _outbox(request)
    try:
        reply, history = box.get(reply_id), box.history(reply_id)
    except LookupError as error:
        raise _refusal(error) from error
    with store_of(request).transaction() as repo:
        message = repo.get_message(reply.platform, reply.external_id)
        audit_view(repo, who, request)
    return render(request, "review_one.html", reply=reply, history=history,
                  message=shown(message, who) if message else None, notice=DONE.get(done, ""),
                  **_allowed(reply, who, request))


def _allowed(reply: ReplyView, who: Who, request: Request) -> dict[str, Any]:
    """Which forms the page offers: only those the role and the reply's state allow (the POSTs check again)."""
    state = State(reply.state)
    own = reply.created_by == who.name and not request.app.state.settings.allow_self_approval
    return {"can_edit": who.can(Can.DRAFT) and state in EDITABLE,
            "can_approve": who.can(Can.APPROVE) and state == State.DRAFT, "own_draft": own,
            "can_send_back": who.can(Can.APPROVE) and state in (State.DRAFT, State.APPROVED),
            "can_cancel": (who.can(Can.DRAFT) or who.can(Can.APPROVE)) and state in CANCELLABLE}


@router.post("/review/{reply_id}/edit")
def edit(request: Request, reply_id: ReplyId, posted: DraftPost) -> Response:
    try:
        _outbox(request).edit(reply_id, posted.text("text"), actor=posted.who.name)
    except (LookupError, ValueError) as error:
        raise _refusal(error) from error
    return _done(request, posted, reply_id, "edited")


@router.post("/review/{reply_id}/approve")
def approve(request: Request, reply_id: ReplyId, posted: ApprovePost) -> Response:
    box = _outbox(request)
    try:
        if box.get(reply_id).created_by == posted.who.name and not request.app.state.settings.allow_self_approval:
            raise Refused(403, "不能批准自己起草的答复：请由另一位审核人批准")
        box.approve(reply_id, approver=posted.who.name, content_hash=posted.text("content_hash", 64) or "-")
    except (LookupError, ValueError) as error:
        raise _refusal(error) from error
    return _done(request, posted, reply_id, "approved")


@router.post("/review/{reply_id}/reject")
def reject(request: Request, reply_id: ReplyId, posted: ApprovePost) -> Response:
    reason = posted.text("reason", 2000).strip()
    if not reason:
        raise Refused(400, "退回需要填写理由")
    try:
        _outbox(request).send_back(reply_id, posted.who.name, reason)
    except (LookupError, ValueError) as error:
        raise _refusal(error) from error
    return _done(request, posted, reply_id, "sent_back")


@router.post("/review/{reply_id}/cancel")
def cancel(request: Request, reply_id: ReplyId, posted: AnyPost) -> Response:
    if not (posted.who.can(Can.DRAFT) or posted.who.can(Can.APPROVE)):
        raise Refused(403, "您的角色无权撤销答复")
    try:
        _outbox(request).cancel(reply_id, actor=posted.who.name, reason=posted.text("reason", 2000).strip())
    except (LookupError, ValueError) as error:
        raise _refusal(error) from error
    return _done(request, posted, reply_id, "cancelled")


def _done(request: Request, posted: Posted, reply_id: int, what: str) -> Response:
    with store_of(request).transaction() as repo:
        record_action(repo, posted.who.name, f"reply_{what}", f"reply {reply_id}")
    return RedirectResponse(f"/review/{reply_id}?done={what}", status_code=303)
