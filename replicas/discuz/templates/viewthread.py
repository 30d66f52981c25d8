"""The thread page (viewthread): header counters, one div#post_<pid> per floor, pagers, fast-reply form."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from replicas.discuz.model import Board, Post, Thread
from replicas.discuz.templates import postnode, urls
from replicas.discuz.templates.layout import Chrome, breadcrumb, page
from replicas.discuz.templates.pager import multi


@dataclass(frozen=True)
class ThreadPage:
    """One page of a thread: the floors shown, the page number and the paging totals."""

    board: Board
    thread: Thread
    posts: list[Post]
    page: int
    total: int
    ppp: int
    authorid: int | None = None


def render(chrome: Chrome, view: ThreadPage) -> str:
    board, thread = view.board, view.thread
    pager = multi(view.total, view.ppp, view.page, lambda n: _page_href(view, n))
    back = f'<span class="y pgb"><a href="{urls.board(board.fid)}">返回列表</a></span>'
    place = postnode.Place(board, thread, view.page)
    floors = "\n".join(postnode.render(chrome, place, post) for post in view.posts)
    body = f"""{breadcrumb((f"forum.php?gid={board.gid}", board.category), (urls.board(board.fid), board.name),
                       (urls.thread(thread.tid), thread.subject))}
<div id="ct" class="wp cl">
<div id="pgt" class="pgs mbm cl "><div class="pgt">{pager}</div>{back}</div>
<div id="postlist" class="pl bm">
<table cellspacing="0" cellpadding="0"><tr>
<td class="pls ptn pbn">{_head_left(view)}</td>
<td class="plc ptm pbn vwthd"><h1 class="ts">{_type(board, thread)}<span id="thread_subject">{escape(thread.subject)}</span></h1>
<span class="xg1">{_closed_mark(chrome, thread)}<a href="forum.php?mod=viewthread&amp;tid={thread.tid}" onclick="return copyThreadUrl(this)">[复制链接]</a></span></td>
</tr></table>
{floors}
<div id="postlistreply" class="pl"><div id="post_new" class="viewthread_table" style="display: none"></div></div>
</div>
<div class="pgs mtm mbm cl">{pager}{back}</div>
{_fast_post(chrome, board, thread)}
</div>"""
    return page(chrome, thread.subject, body, srhfid=board.fid, css_id="viewthread")


def _head_left(view: ThreadPage) -> str:
    """Page 1: 查看 and 回复 counters; later pages (div#tath): the thread author instead, no counters."""
    thread = view.thread
    if view.page == 1:
        return (f'<div class="hm ptn"><span class="xg1">查看:</span> <span class="xi1">{thread.views}</span>'
                f'<span class="pipe">|</span><span class="xg1">回复:</span> <span class="xi1">{thread.replies}</span></div>')
    space, name = urls.space(thread.author.uid), escape(thread.author.username)
    return (f'<div id="tath" class="cl">\n<a href="{space}" title="{name}"><img src="uc_server/avatar.php?uid='
            f'{thread.author.uid}&amp;size=small" /></a>\n楼主: <a href="{space}" title="{name}">{name}</a>\n</div>')


def _closed_mark(chrome: Chrome, thread: Thread) -> str:
    if not thread.closed:
        return ""
    if chrome.display.version == "x3.4":
        return '&nbsp;<img src="static/image/common/locked.gif" alt="关闭" title="关闭" class="vm" />\n'
    return '&nbsp;<i class="fico-lock fc-s" title="关闭"></i>\n'


def _page_href(view: ThreadPage, number: int) -> str:
    if view.authorid is not None:
        return f"forum.php?mod=viewthread&amp;tid={view.thread.tid}&amp;page={number}&amp;authorid={view.authorid}"
    return urls.thread(view.thread.tid, number)


def _type(board: Board, thread: Thread) -> str:
    if thread.typeid is None or thread.typeid not in board.types:
        return ""
    return f'<a href="{urls.type_filter(board.fid, thread.typeid)}">[{board.types[thread.typeid]}]</a>\n'


def _fast_post(chrome: Chrome, board: Board, thread: Thread) -> str:
    if thread.closed:
        return ""
    if chrome.viewer is None:
        return ('<div id="f_pst" class="pl bm bmw"><div class="plc"><div class="pt hm">您需要登录后才可以回帖 '
                '<a href="member.php?mod=logging&amp;action=login" class="xi2">登录</a> | '
                '<a href="member.php?mod=register" class="xi2">立即注册</a></div></div></div>')
    action = (f"forum.php?mod=post&amp;action=reply&amp;fid={board.fid}&amp;tid={thread.tid}&amp;extra=page%3D1"
              "&amp;replysubmit=yes&amp;infloat=yes&amp;handlekey=fastpost")
    posttime = int(chrome.now.timestamp())
    return f"""<div id="f_pst" class="pl bm bmw"><form method="post" autocomplete="off" id="fastpostform" action="{action}" onSubmit="return fastpostvalidate(this)">
<div class="plc"><span id="fastpostreturn"></span>
<textarea rows="6" cols="80" name="message" id="fastpostmessage" tabindex="4" class="pt"></textarea>
<input type="hidden" name="formhash" value="{chrome.formhash}" />
<input type="hidden" name="usesig" value="1" />
<input type="hidden" name="subject" value="  " />
<input type="hidden" name="posttime" id="posttime" value="{posttime}" />
<p class="ptm pnpost"><button type="submit" name="replysubmit" id="fastpostsubmit" class="pn pnc vm" value="replysubmit" tabindex="5"><strong>发表回复</strong></button></p>
</div></form></div>"""
