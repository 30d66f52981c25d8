"""The pages anyone can read: forum index, board lists, threads, post redirects and the Archiver."""

from __future__ import annotations

import re
from html import escape

from aiohttp import web

from replicas.discuz.model import GUEST_ACCESS, Thread
from replicas.discuz.post import NO_THREAD, READPERM
from replicas.discuz.respond import html_page, int_arg, visitor
from replicas.discuz.state import Forum
from replicas.discuz.templates import archiver, forumdisplay, viewthread
from replicas.discuz.templates.layout import Chrome, breadcrumb, page, showmessage
from replicas.discuz.templates.pager import pages_for

NO_BOARD = "抱歉，指定的版块不存在"


def _clamp(page: int, total: int, per_page: int) -> int:
    """Out-of-range pages show the last page, as Discuz does (a client must not loop until empty)."""
    return min(max(page, 1), pages_for(total, per_page))


def index(forum: Forum, request: web.Request) -> web.Response:
    def render(chrome: Chrome) -> str:
        rows = "".join(
            f'<tr><td class="fl_g"><h2><a href="forum-{b.fid}-1.html">{escape(b.name)}</a></h2>'
            f'<p class="xg2">{escape(b.category)}</p></td>'
            f'<td class="fl_i"><span class="xi2">{len(forum.world.board_threads(b.fid))}</span></td></tr>'
            for b in forum.world.boards.values())
        return page(chrome, "论坛", f'{breadcrumb()}<div id="ct" class="wp cl"><div class="fl bm">'
                    f'<table cellspacing="0" cellpadding="0" class="fl_tb">{rows}</table></div></div>', css_id="index")
    return html_page(forum, request, render)


def forumdisplay_page(forum: Forum, request: web.Request, fid: int, page_no: int) -> web.Response:
    board = forum.world.boards.get(fid)
    if board is None:
        return html_page(forum, request, lambda chrome: showmessage(chrome, NO_BOARD))
    query, order, typeid = "", "lastpost", None
    if request.query.get("filter") == "author" and request.query.get("orderby") == "dateline":
        query, order = "filter=author&orderby=dateline", "dateline"
    elif request.query.get("filter") == "typeid" and int_arg(request, "typeid") in board.types:
        typeid = int_arg(request, "typeid")
        query = f"filter=typeid&typeid={typeid}"
    threads = forum.world.listing(fid, order, typeid)
    tpp = forum.settings.tpp
    page_no = _clamp(page_no, len(threads), tpp)
    rows = threads[(page_no - 1) * tpp: page_no * tpp]
    today = forum.world.active_since(fid, forum.now().replace(hour=0, minute=0, second=0))
    view = forumdisplay.BoardPage(board, rows, page_no, len(threads), tpp, forum.settings.ppp, query, typeid, today)
    counts = forum.world.type_counts(fid)
    return html_page(forum, request, lambda chrome: forumdisplay.render(chrome, view, counts))


def _readable(forum: Forum, request: web.Request, thread: Thread | None) -> str | None:
    """Why this visitor may not read the thread, or None."""
    if thread is None:
        return NO_THREAD
    session, _, _ = visitor(forum, request)
    access = session.user.readaccess if session else GUEST_ACCESS
    return READPERM.format(readperm=thread.readperm) if thread.readperm > access else None


def viewthread_page(forum: Forum, request: web.Request, tid: int, page_no: int) -> web.Response:
    thread = forum.world.threads.get(tid)
    if thread is not None and thread.moved_to:  # a move's redirect stub: Location to the real thread
        raise web.HTTPFound(f"forum.php?mod=viewthread&tid={thread.moved_to}")
    refusal = _readable(forum, request, thread)
    if refusal or thread is None:
        return html_page(forum, request, lambda chrome: showmessage(chrome, refusal or NO_THREAD))
    authorid = int_arg(request, "authorid") or None
    session, _, _ = visitor(forum, request)
    posts = [post for post in thread.visible_to(session.user if session else None)
             if authorid is None or post.author.uid == authorid]
    ppp = forum.settings.ppp
    page_no = _clamp(page_no, len(posts), ppp)
    view = viewthread.ThreadPage(forum.world.boards[thread.fid], thread,
                                 posts[(page_no - 1) * ppp: page_no * ppp], page_no, len(posts), ppp, authorid)
    return html_page(forum, request, lambda chrome: viewthread.render(chrome, view))


def redirect(forum: Forum, request: web.Request) -> web.StreamResponse:
    """goto=lastpost (tid) or goto=findpost (ptid, pid): 302 to the thread page holding that post (as this
    visitor pages the thread: an author sees their own queued replies)."""
    tid = int_arg(request, "tid") or int_arg(request, "ptid")
    thread = forum.world.threads.get(tid)
    if thread is not None and thread.moved_to:
        tid, thread = thread.moved_to, forum.world.threads.get(thread.moved_to)
    if thread is None or _readable(forum, request, thread):
        return html_page(forum, request, lambda chrome: showmessage(chrome, NO_THREAD))
    session, _, _ = visitor(forum, request)
    shown = thread.visible_to(session.user if session else None)
    wanted = int_arg(request, "pid")
    target = next((post for post in shown if post.pid == wanted), thread.last_post)
    page_no = shown.index(target) // forum.settings.ppp + 1
    raise web.HTTPFound(f"forum.php?mod=viewthread&tid={tid}&page={page_no}#pid{target.pid}")


def archiver_page(forum: Forum, request: web.Request, target: str) -> web.Response:
    """`target` is what follows '?' (or the path): 'tid-123.html', 'fid-27.html' or '' for the index."""
    match = re.match(r"(tid|fid)-(\d+)\.html", target)
    if match is None:
        boards = list(forum.world.boards.values())
        return html_page(forum, request, lambda chrome: archiver.index(chrome, boards))
    page_no = int_arg(request, "page", 1)
    if match.group(1) == "fid":
        return _archiver_board(forum, request, int(match.group(2)), page_no)
    return _archiver_thread(forum, request, int(match.group(2)), page_no)


def _archiver_board(forum: Forum, request: web.Request, fid: int, page_no: int) -> web.Response:
    """Threads by last post, pinned ones not singled out."""
    found = forum.world.boards.get(fid)
    if found is None:
        return html_page(forum, request, lambda chrome: showmessage(chrome, NO_BOARD))
    board = found
    threads = sorted((t for t in forum.world.board_threads(fid) if not t.moved_to), key=Thread.bump_key, reverse=True)
    tpp = forum.settings.tpp
    page_no = _clamp(page_no, len(threads), tpp)
    rows, pages = threads[(page_no - 1) * tpp: page_no * tpp], pages_for(len(threads), tpp)
    return html_page(forum, request, lambda chrome: archiver.board(chrome, board, rows, page_no, pages))


def _archiver_thread(forum: Forum, request: web.Request, tid: int, page_no: int) -> web.Response:
    found = forum.world.threads.get(tid)
    if found is None:
        return html_page(forum, request, lambda chrome: showmessage(chrome, NO_THREAD))
    thread, refusal = found, _readable(forum, request, found)
    ppp, shown = forum.settings.ppp, found.shown
    page_no = _clamp(page_no, len(shown), ppp)
    posts, pages = shown[(page_no - 1) * ppp: page_no * ppp], pages_for(len(shown), ppp)
    board = forum.world.boards[thread.fid]
    return html_page(forum, request,
                     lambda chrome: archiver.thread(chrome, board, thread, posts, page_no, pages, refusal))
