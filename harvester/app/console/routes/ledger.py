"""/ledger (台账): letters across platforms by filter, one letter with its replies, history and copies, and the
filtered view exported as CSV or XLSX (masked unless the role sees personal data; every export audited)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from harvester.app.console.export import row_of, to_csv, to_xlsx
from harvester.app.console.masking import audit_view, shown, shown_text
from harvester.app.console.pages import STATUS_NAMES, render
from harvester.app.console.security import Reader, Refused, Who, settings_of, store_of
from harvester.store.console_audit import record_action
from harvester.store.console_reads import choices, outbox_replies
from harvester.store.reads import MessageFilter, find_messages, message_history
from harvester.timeutil import SHANGHAI
from harvester.vocab import Kind, Status, Topic

router = APIRouter(include_in_schema=False)
PAGE = 50
FIELDS = ("platform", "unit", "status", "kind", "topic", "from", "to", "overdue", "group")
MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _one(value: str | None, allowed: type[Kind] | type[Status] | type[Topic] | None = None) -> tuple[str, ...]:
    if not value:
        return ()
    if allowed is not None and value not in {m.value for m in allowed}:
        raise Refused(400, f"未知的筛选值：{value}")
    return (value,)


def _day(value: str | None, shift: int = 0) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value) + timedelta(days=shift), time(), SHANGHAI)
    except ValueError as error:
        raise Refused(400, f"日期格式应为 YYYY-MM-DD：{value}") from error


def wanted(query: dict[str, str]) -> MessageFilter:
    """The filter the page's query asks for (dates are Beijing days, both ends included)."""
    overdue = {"yes": True, "no": False}.get(query.get("overdue", ""))
    group = query.get("group", "")
    if group and not group.isdigit():
        raise Refused(400, f"一稿多投组应为数字：{group}")
    return MessageFilter(platform=_one(query.get("platform")), unit=query.get("unit") or None,
                         status=_one(query.get("status"), Status), kind=_one(query.get("kind"), Kind),
                         topic=_one(query.get("topic"), Topic), posted_after=_day(query.get("from")),
                         posted_before=_day(query.get("to"), 1), overdue=overdue,
                         link_group=int(group) if group else None)


def _query(request: Request) -> dict[str, str]:
    return {k: v.strip() for k, v in request.query_params.items() if k in FIELDS and v.strip() and "\x00" not in v}


@router.get("/ledger")
def ledger(request: Request, who: Reader, cursor: Annotated[int | None, Query(ge=1)] = None) -> Response:
    query = _query(request)
    with store_of(request).transaction() as repo:
        page = find_messages(repo, wanted(query), limit=PAGE, cursor=cursor)
        offered = choices(repo)
        audit_view(repo, who, request)
    more = f"/ledger?{urlencode(query | {'cursor': page.next_cursor})}" if page.next_cursor else ""
    return render(request, "ledger.html", letters=[shown(r, who) for r in page.items], query=query, choices=offered,
                  more=more, export=urlencode(query), kinds=list(Kind), statuses=list(Status), topics=list(Topic))


@router.get("/ledger/export.{fmt}")
def export(request: Request, who: Reader, fmt: str) -> Response:
    if fmt not in MEDIA:
        raise Refused(404, "只能导出 csv 或 xlsx")
    query, limit = _query(request), settings_of(request).export_limit
    rows: list[list[str]] = []
    with store_of(request).transaction() as repo:
        cursor: int | None = None
        while len(rows) < limit:
            page = find_messages(repo, wanted(query), limit=min(500, limit - len(rows)), cursor=cursor)
            rows += [row_of(shown(r, who)) for r in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        record_action(repo, who.name, "export", f"{fmt} {urlencode(query)}",
                      f"{len(rows)} rows, {'unmasked' if who.full else 'masked'}")
    body = to_csv(rows) if fmt == "csv" else to_xlsx(rows)
    stamp = datetime.now(SHANGHAI).strftime("%Y%m%d-%H%M")
    return Response(body, media_type=MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="ledger-{stamp}.{fmt}"', "Cache-Control": "no-store"})


@router.get("/ledger/{platform}/{external_id}")
def letter(request: Request, who: Reader, platform: str, external_id: str) -> Response:
    with store_of(request).transaction() as repo:
        record = repo.get_message(platform, external_id)
        if record is None:
            raise Refused(404, f"找不到留言 {platform}/{external_id}")
        history = message_history(repo, platform, external_id)
        copies = []
        if record["link_group"] is not None:
            found = find_messages(repo, MessageFilter(link_group=record["link_group"]), limit=100)
            copies = [shown(r, who) for r in found.items
                      if (r["platform"], r["external_id"]) != (platform, external_id)]
        replies = outbox_replies(repo, platform, external_id)
        audit_view(repo, who, request)
    return render(request, "letter.html", letter=shown(record, who), history=[_event(e, who) for e in history],
                  copies=copies, outbox=replies)


def _event(event: dict[str, Any], who: Who) -> dict[str, Any]:
    """A feed event for display: what changed (statuses by name, fields, the replying unit), never text in full."""
    payload = event.get("payload") or {}
    parts = []
    if "from" in payload and "to" in payload:
        before, after = (STATUS_NAMES.get(payload[k], payload[k]) for k in ("from", "to"))
        parts.append(f"{before} → {after}")
    if payload.get("fields"):
        parts.append("字段：" + "、".join(map(str, payload["fields"])))
    if payload.get("organisation"):
        parts.append(f"回复单位：{payload['organisation']}")
    return {"kind": event["kind"], "at": datetime.fromisoformat(event["occurred_at"]),
            "detail": shown_text("；".join(parts), who)}
