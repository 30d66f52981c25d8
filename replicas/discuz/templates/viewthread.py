"""The thread page (viewthread): header counters, one div#post_<pid> per floor, pagers, fast-reply form."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from replicas.discuz.dates import DAY_MINUTE, DAY_SECOND, absolute, relative
from replicas.discuz.model import LOCK_AUTHOR, LOCK_SINGLE, Board, Post, Thread
from replicas.discuz.templates import urls
from replicas.discuz.templates.layout import Chrome, breadcrumb, page
from replicas.discuz.templates.pager import multi

FLOOR_LABELS = {1: "楼主", 2: "沙发", 3: "板凳", 4: "地板"}  # Discuz's default postno setting
LOCKED = {LOCK_SINGLE: "提示: <em>该帖被管理员或版主屏蔽</em>", LOCK_AUTHOR: "提示: <em>作者被禁止或删除 内容自动屏蔽</em>"}


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
    floors = "\n".join(_post(chrome, view, post) for post in view.posts)
    body = f"""{breadcrumb((f"forum.php?gid={board.gid}", board.category), (urls.board(board.fid), board.name),
                       (urls.thread(thread.tid), thread.subject))}
<div id="ct" class="wp cl">
<div id="pgt" class="pgs mbm cl "><div class="pgt">{pager}</div>{back}</div>
<div id="postlist" class="pl bm">
<table cellspacing="0" cellpadding="0"><tr>
<td class="pls ptn pbn"><div class="hm ptn"><span class="xg1">查看:</span> <span class="xi1">{thread.views}</span><span class="pipe">|</span><span class="xg1">回复:</span> <span class="xi1">{thread.replies}</span></div></td>
<td class="plc ptm pbn vwthd"><h1 class="ts">{_type(board, thread)}<span id="thread_subject">{escape(thread.subject)}</span></h1>
<span class="xg1"><a href="forum.php?mod=viewthread&amp;tid={thread.tid}" onclick="return copyThreadUrl(this)">[复制链接]</a></span></td>
</tr></table>
{floors}
<div id="postlistreply" class="pl"><div id="post_new" class="viewthread_table" style="display: none"></div></div>
</div>
<div class="pgs mtm mbm cl">{pager}{back}</div>
{_fast_post(chrome, board, thread)}
</div>"""
    return page(chrome, thread.subject, body, srhfid=board.fid, css_id="viewthread")


def _page_href(view: ThreadPage, number: int) -> str:
    if view.authorid is not None:
        return f"forum.php?mod=viewthread&amp;tid={view.thread.tid}&amp;page={number}&amp;authorid={view.authorid}"
    return urls.thread(view.thread.tid, number)


def _type(board: Board, thread: Thread) -> str:
    if thread.typeid is None or thread.typeid not in board.types:
        return ""
    return f'<a href="{urls.type_filter(board.fid, thread.typeid)}">[{board.types[thread.typeid]}]</a>\n'


def _post(chrome: Chrome, view: ThreadPage, post: Post) -> str:
    author, pid = post.author, post.pid
    name = escape(author.username)
    floor = FLOOR_LABELS.get(post.position, f"<em>{post.position}</em>#")
    return f"""<div id="post_{pid}">
<table id="pid{pid}" class="plhin" summary="pid{pid}" cellspacing="0" cellpadding="0">
<tr>
<td class="pls" rowspan="2"><div id="favatar{pid}" class="pls favatar">
<div class="pi"><div class="authi"><a href="{urls.space(author.uid)}" target="_blank" class="xw1">{name}</a></div></div>
<div class="avatar"><a href="{urls.space(author.uid)}" class="avtm" target="_blank"><img src="uc_server/avatar.php?uid={author.uid}&amp;size=middle" /></a></div>
<p><em><a href="home.php?mod=spacecp&amp;ac=usergroup">{author.group}</a></em></p>
</div></td>
<td class="plc">
<div class="pi">
<strong><a href="{urls.find_post(post.tid, pid)}" id="postnum{pid}" onclick="setCopy(this.href, '帖子地址复制成功');return false;">{floor}</a></strong>
<div class="pti"><div class="pdbt"></div>
<div class="authi"><img class="authicn vm" id="authicon{pid}" src="static/image/common/online_member.gif" />
<a href="{urls.space(author.uid)}" target="_blank" class="xi2">{name}</a>
<em id="authorposton{pid}">发表于 {relative(post.dateline, chrome.now, DAY_SECOND)}</em>
<span class="pipe">|</span><a href="forum.php?mod=viewthread&amp;tid={post.tid}&amp;page={view.page}&amp;authorid={author.uid}" rel="nofollow">只看该作者</a>
</div></div>
</div>
<div class="pct">{_modact(view.thread) if post.first else ""}<div class="pcb">
{_body(post)}
</div></div>
</td></tr>
<tr><td class="plc plm"></td></tr>
<tr id="_postposition{pid}"></tr>
<tr><td class="pls"></td><td class="plc" style="overflow:visible;"><div class="po hin"><div class="pob cl">
<em>{_footer_links(chrome, view, post)}</em>
<p></p></div></div></td></tr>
</table>
</div>"""


def _footer_links(chrome: Chrome, view: ThreadPage, post: Post) -> str:
    """div.po > div.pob > em: 回复 under published posts, 编辑 under the viewer's own, 举报 under others', and
    `(待审核)` under a reply still waiting for approval (only its author and moderators get to see one)."""
    thread, fid, pid, viewer = view.thread, view.board.fid, post.pid, chrome.viewer
    own = viewer is not None and viewer.uid == post.author.uid
    links = []
    if not post.moderated and not thread.closed:
        quote = "reppost" if post.first else "repquote"
        links.append(f'<a class="fastre" href="forum.php?mod=post&amp;action=reply&amp;fid={fid}&amp;tid={thread.tid}'
                     f'&amp;{quote}={pid}&amp;extra=page%3D1&amp;page={view.page}" '
                     "onclick=\"showWindow('reply', this.href)\">回复</a>")
    if own and not thread.closed:
        links.append(f'<a class="editp" href="forum.php?mod=post&amp;action=edit&amp;fid={fid}&amp;tid={thread.tid}'
                     f'&amp;pid={pid}&amp;page={view.page}">编辑</a>')
    if post.moderated and not post.first:
        links.append('<span class="xg1">(待审核)</span>')
    if not own:
        links.append(f'<a class="report" href="javascript:;" onclick="showWindow(\'miscreport{pid}\', '
                     f"'misc.php?mod=report&amp;rtype=post&amp;rid={pid}&amp;tid={thread.tid}&amp;fid={fid}', "
                     "'get', -1);return false;\">举报</a>")
    return "\n".join(links)


def _modact(thread: Thread) -> str:
    """The latest moderation of the thread, above the opening post (Discuz X's thread_mod_by; inferred)."""
    mod = thread.last_mod
    if mod is None:
        return ""
    return (f'<div class="modact"><a href="forum.php?mod=misc&amp;action=viewthreadmod&amp;tid={thread.tid}" '
            f"title=\"帖子模式\" onclick=\"showWindow('viewthreadmod', this.href)\">本主题由 {escape(mod.moderator)} 于 "
            f"{absolute(mod.at, DAY_MINUTE)} {mod.action}</a></div>")


def _body(post: Post) -> str:
    """The message, or the notice Discuz prints instead of a hidden post (no td.t_f at all then)."""
    if post.locked:
        return f'<div class="locked">{LOCKED[post.locked]}</div>'
    edited = ""
    if post.edited_at is not None:
        edited = (f'<i class="pstatus"> 本帖最后由 {escape(post.author.username)} 于 '
                  f"{absolute(post.edited_at, DAY_MINUTE)} 编辑 </i><br />\r\n<br />\r\n")
    text = escape(post.message).replace("\n", "<br />\r\n")
    return f"""<div class="t_fsz">
<table cellspacing="0" cellpadding="0"><tr><td class="t_f" id="postmessage_{post.pid}">
{edited}{text}</td></tr></table>
</div>
<div id="comment_{post.pid}" class="cm"></div>"""


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
