"""The JSON APIs: signed family B (/v1, /v2) and the unsigned form-POST queryThreadsList (family A)."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from replicas.people import signing
from replicas.people.antibot import blocked
from replicas.people.boards import BW, DF
from replicas.people.messages import HANDLED, IN_PROGRESS, PENDING, Message, shorten
from replicas.people.state import SiteState
from replicas.people.variants import MAX_ROWS, Variant

LIST_DF, LIST_BW, CONTENT = "/v1/threads/list/df", "/v1/threads/list/bw", "/v1/threads/content"
SEARCH, TOP, TOP_BW = "/v2/threads/search", "/v1/forum/getTopForums", "/v1/forum/getTopBwForums"
FORM_PATHS = ("/threads/queryThreadsList", "/pro-dfbbs-front/threads/queryThreadsList")
FORM_ROWS = 10  # the form API answers ~10 items whatever pageSize asks for
FORM_STATES = {2: PENDING, 3: IN_PROGRESS, 4: HANDLED}
ALL_TYPES = 5  # list calls send typeId 5; treated as "every type" (inferred)
NOT_FOUND = {"code": "TH0001", "msg": "留言不存在或已被删除", "resultData": None}  # exact code inferred
Builder = Callable[[SiteState, dict[str, Any]], dict[str, Any]]


def json_response(payload: Any, status: int = 200) -> web.Response:
    """UTF-8 JSON with Chinese left unescaped, as the site sends it."""
    return web.json_response(payload, status=status, dumps=functools.partial(json.dumps, ensure_ascii=False))


def ok(result: dict[str, Any]) -> dict[str, Any]:
    return {"code": 0, "msg": "ok", "resultData": result}


def signed(state: SiteState, path: str, build: Builder) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A handler that verifies the four-piece body, then answers with `build(state, params)`."""

    async def handle(request: web.Request) -> web.Response:
        params = signing.verify(path, await request.read(), state.release)
        if params is None:
            state.signature_failures += 1
            return json_response(signing.SN0006)
        try:
            if path == CONTENT and int(params["tid"]) in state.refused:
                return refused(state)
            return json_response(build(state, params))
        except (KeyError, TypeError, ValueError):
            return json_response(signing.SN0006)  # signed but malformed params: same answer

    return handle


def refused(state: SiteState) -> web.Response:
    """A content call the control API put under an outage: the WAF's 403 block page (it counts as throttled)."""
    state.waf.throttled += 1
    return blocked(403)


def _rows(params: dict[str, Any], cap: int = MAX_ROWS) -> int:
    return max(1, min(cap, int(params.get("rows") or 10)))


def list_result(items: list[Message], more: bool, variant: Variant) -> dict[str, Any]:
    """`resultData` of a list answer: the items, and `lastItem` (the next cursor, "" at the end) when the variant
    carries that field (no public crawler reads it: they page by the last item's tid until a short page)."""
    result: dict[str, Any] = {"data": [m.item() for m in items]}
    if variant.last_item_field:
        result["lastItem"] = str(items[-1].tid) if more else ""
    return result


def _board_list(kind: str) -> Builder:
    def build(state: SiteState, params: dict[str, Any]) -> dict[str, Any]:
        fid, last = int(params["fid"]), str(params.get("lastItem") or "")
        type_id, answered_only = int(params.get("typeId") or ALL_TYPES), int(params.get("showUnAnswer", 1)) == 0

        def keep(message: Message) -> bool:
            return (type_id == ALL_TYPES or message.type_id == type_id) and (
                not answered_only or message.state == HANDLED)

        board = state.world.boards.get(fid)
        if board is None or board.kind != kind:
            return ok(list_result([], False, state.variant))
        rows = _rows(params, state.variant.list_rows_max)
        items, more = state.world.page(fid, int(last) if last else None, rows, keep)
        return ok(list_result(items, more, state.variant))

    return build


def content_list(message: Message, variant: Variant | None = None) -> list[dict[str, Any]]:
    """The detail's entries: dataType 1 (the message, full text) and 4 (each official reply). The variant sets the
    key of the message's posting time and whether entries carry dataType at all."""
    variant = variant or Variant()
    item = message.item(truncate=False)
    times = {"dateline": item["dateline"]} if variant.content_time == "dateline" else \
        {"createDateline": item["dateline"]} if variant.content_time == "createDateline" else \
        {"dateline": item["dateline"], "createDateline": item["dateline"]}
    main = {"dataType": 1, **{key: item[key] for key in (
        "tid", "fid", "forumName", "subject", "content")}, **times, **{key: item[key] for key in (
        "nickName", "userId", "stateInfo", "typeName", "domainName", "ip", "from", "favNum", "gradeManner",
        "gradeSpeed")}, "tags": [item["typeName"], item["domainName"]]}
    replies = [{"dataType": 4, "answerId": r.answer_id, "content": r.content, "dateline": r.dateline,
                "organization": r.organization} for r in message.replies]
    entries = [*replies[::-1], main] if message.replies_first else [main, *replies]
    if not variant.data_type:
        entries = [{key: value for key, value in entry.items() if key != "dataType"} for entry in entries]
    return entries


def _content(state: SiteState, params: dict[str, Any]) -> dict[str, Any]:
    message = state.world.by_tid.get(int(params["tid"]))
    if message is None or not message.published:  # awaiting approval: not public yet
        return NOT_FOUND
    return ok({"contentList": content_list(message, state.variant), "tid": message.tid, "fid": message.board.fid,
               "forumName": message.board.name, "subject": message.subject, "stateInfo": message.state})


def _search(state: SiteState, params: dict[str, Any]) -> dict[str, Any]:
    """Full-text search, newest first, paged by page/rows; threadsStatus 2 = 已办理 only."""
    words = str(params.get("keywords") or "").split()
    wanted = {key: params.get(key) for key in ("fid", "domainId", "typeId")}
    status = params.get("threadsStatus")

    def keep(m: Message) -> bool:
        values = {"fid": m.board.fid, "domainId": m.domain_id, "typeId": m.type_id}
        return (m.published and all(w in m.subject or w in m.content for w in words)
                and all(v in (None, "") or int(v) == values[k] for k, v in wanted.items())
                and (status is None or (m.state == HANDLED) == (int(status) == 2)))

    found = [m for m in reversed(state.world.messages) if keep(m)]
    page, rows = max(1, int(params.get("page") or 1)), _rows(params)
    data = [{"tid": m.tid, "fid": m.board.fid, "subject": m.subject, "content": shorten(m.content),
             "forumName": m.board.name, "typeName": m.item()["typeName"], "domainName": m.item()["domainName"],
             "stateInfo": m.state, "createDateline": m.dateline, "nickName": m.nick}
            for m in found[(page - 1) * rows:page * rows]]
    return {"code": 0, "msg": "ok", "data": {"data": data, "total": len(found)}}


def _forums(kind: str) -> Builder:
    def build(state: SiteState, _: dict[str, Any]) -> dict[str, Any]:
        forums = [{"fid": b.fid, "name": b.name, "threadsNum": sum(m.published for m in state.world.by_fid[b.fid])}
                  for b in state.world.boards.values() if b.kind == kind]
        return ok({"forums": forums})

    return build


SIGNED: dict[str, Builder] = {LIST_DF: _board_list(DF), LIST_BW: _board_list(BW), CONTENT: _content,
                              SEARCH: _search, TOP: _forums(DF), TOP_BW: _forums(BW)}


def _form_int(value: Any, default: int | None = None) -> int | None:
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else default


def form_list(state: SiteState) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Family A: form fields fid, lastItem (0 first), state 1-4, pageSize (ignored), typeId."""

    async def handle(request: web.Request) -> web.Response:
        form = await request.post()
        fid, last = _form_int(form.get("fid")), _form_int(form.get("lastItem"), 0)
        wanted_state = FORM_STATES.get(_form_int(form.get("state"), 1) or 1)
        type_id = _form_int(form.get("typeId"))
        if fid is None:
            return json_response({"result": "fail", "success": False, "resultDesc": "参数错误"})

        def keep(m: Message) -> bool:
            return (wanted_state is None or m.state == wanted_state) and type_id in (None, m.type_id)

        items, _ = state.world.page(fid, last or None, FORM_ROWS, keep)
        return json_response({"result": "success", "success": True, "responseData": [m.item() for m in items]})

    return handle


def add_routes(app: web.Application, state: SiteState) -> None:
    for path, build in SIGNED.items():
        app.router.add_post(path, signed(state, path, build))
    for path in FORM_PATHS:
        app.router.add_post(path, form_list(state))
