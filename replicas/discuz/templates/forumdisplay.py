"""The board list (forumdisplay): table#threadlisttableid with one tbody per thread, type tabs, pagers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from html import escape

from replicas.discuz.dates import DAY
from replicas.discuz.model import Board, Thread
from replicas.discuz.templates import urls
from replicas.discuz.templates.layout import Chrome, breadcrumb, page
from replicas.discuz.templates.pager import multi, pages_for


@dataclass(frozen=True)
class BoardPage:
    """One page of a board list: its rows, where they sit, and the filter that selected them."""

    board: Board
    rows: list[Thread]
    page: int
    total: int
    tpp: int
    ppp: int
    query: str = ""  # "filter=author&orderby=dateline" or "filter=typeid&typeid=N"; "" for the plain list
    typeid: int | None = None
    today: int = 0  # threads with a post since midnight, for the board header


def render(chrome: Chrome, view: BoardPage, type_counts: Counter[int]) -> str:
    board = view.board
    pager = multi(view.total, view.tpp, view.page, lambda n: _page_href(view, n))
    body = f"""{breadcrumb((f"forum.php?gid={board.gid}", board.category), (urls.board(board.fid), board.name))}
<div class="boardnav"><div id="ct" class="wp cl">
<div class="bm bml pbn"><div class="bm_h cl"><h1 class="xs2"><a href="{urls.board(board.fid)}">{escape(board.name)}</a>
<span class="xs1 xw0 i">今日: <strong class="xi1">{view.today}</strong><span class="pipe">|</span>主题: <strong class="xi1">{view.total}</strong></span></h1></div></div>
<div id="pgt" class="bm bw0 pgs cl"><span id="fd_page_top">{pager}</span>
<span class="pgb y"><a href="forum.php">返回</a></span>
<a href="javascript:;" id="newspecial" title="发新帖"><img src="static/image/common/pn_post.png" alt="发新帖" /></a></div>
{_type_tabs(board, view.typeid, type_counts)}
<div id="threadlist" class="tl bm bmw">
<div class="th"><table cellspacing="0" cellpadding="0"><tr><th colspan="2"><div class="tf">
<a href="forum.php?mod=forumdisplay&amp;fid={board.fid}&amp;filter=author&amp;orderby=dateline" class="xi2">最新</a></div></th>
<td class="by">作者</td><td class="num">回复/查看</td><td class="by">最后发表</td></tr></table></div>
<div class="bm_c"><form method="post" autocomplete="off" name="moderate" id="moderate" action="forum.php?mod=topicadmin&amp;action=moderate&amp;fid={board.fid}&amp;infloat=yes&amp;nopost=yes">
<input type="hidden" name="formhash" value="{chrome.formhash}" />
<input type="hidden" name="listextra" value="page%3D{view.page}" />
<table summary="forum_{board.fid}" cellspacing="0" cellpadding="0" id="threadlisttableid">
{_rows(chrome, view)}
</table></form></div></div>
<div class="bm bw0 pgs cl"><span id="fd_page_bottom">{pager}</span></div>
</div></div>"""
    return page(chrome, board.name, body, srhfid=board.fid, css_id="forumdisplay")


def _page_href(view: BoardPage, number: int) -> str:
    if view.query:
        return urls.board_filtered(view.board.fid, number, view.query.replace("&", "&amp;"))
    return urls.board(view.board.fid, number)


def _type_tabs(board: Board, current: int | None, counts: Counter[int]) -> str:
    everything = ' class="xw1 a"' if current is None else ""
    tabs = [f'<li id="ttp_all"{everything}><a href="forum.php?mod=forumdisplay&amp;fid={board.fid}">全部</a></li>']
    for typeid, name in board.types.items():
        selected = ' class="xw1 a"' if typeid == current else ""
        tabs.append(f'<li{selected}><a href="{urls.type_filter(board.fid, typeid)}">{name}'
                    f'<span class="xg1 num">{counts[typeid]}</span></a></li>')
    return f'<ul id="thread_types" class="ttp bm cl">{"".join(tabs)}</ul>'


def _rows(chrome: Chrome, view: BoardPage) -> str:
    """Pinned tbodies, the separator, then normal ones; the separator leads when a page has no pinned."""
    pinned = [thread for thread in view.rows if thread.pinned and not view.query]
    normal = [thread for thread in view.rows if thread not in pinned]
    parts = [_row(chrome, view, thread, "stickthread") for thread in pinned]
    if pinned:
        parts.append('<tbody id="separatorline"><tr class="ts"><td>&nbsp;</td><th>'
                     f'<a href="javascript:;" onclick="checkForumnew_btn(\'{view.board.fid}\')" title="查看更新" '
                     'class="forumrefresh">版块主题</a></th><td>&nbsp;</td><td>&nbsp;</td><td>&nbsp;</td></tr></tbody>')
    else:
        parts.append('<tbody id="separatorline" class="emptb"><tr class="ts"><td></td><th></th><td></td>'
                     "<td></td><td></td></tr></tbody>")
    parts += [_row(chrome, view, thread, "normalthread") for thread in normal]
    return "\n".join(parts)


def _row(chrome: Chrome, view: BoardPage, thread: Thread, kind: str) -> str:
    if thread.moved_to:
        return _stub_row(chrome, thread, kind)
    last = thread.last_post
    css = "lock" if thread.closed else "new" if chrome.now - last.dateline < timedelta(hours=1) else "common"
    return f"""<tbody id="{kind}_{thread.tid}">
<tr>
<td class="icn"><a href="{urls.thread(thread.tid)}" title="新窗口打开" target="_blank">{_icon(chrome, thread, css)}</a></td>
<th class="{css}">
<a href="javascript:;" id="content_{thread.tid}" class="showcontent y" title="更多操作"></a>
{_type_label(view.board, thread)}<a href="{urls.thread(thread.tid)}" onclick="atarget(this)" class="s xst">{escape(thread.subject)}</a>{_readperm(thread)}{_price(thread)}
{_page_links(thread, view.ppp)}
</th>
<td class="by">
<cite><a href="{urls.space(thread.author.uid)}" c="1">{escape(thread.author.username)}</a></cite>
<em><span{' class="xi1"' if thread.dateline >= chrome.now - timedelta(days=1) else ""}>{chrome.when(thread.dateline, DAY)}</span></em>
</td>
<td class="num"><a href="{urls.thread(thread.tid)}" class="xi2">{thread.replies}</a><em>{thread.views}</em></td>
<td class="by">
<cite><a href="{urls.space_by_name(last.author.username, chrome.charset)}" c="1">{escape(last.author.username)}</a></cite>
<em><a href="{urls.last_post(thread.tid)}">{chrome.when(last.dateline)}</a></em>
</td>
</tr>
</tbody>"""


def _stub_row(chrome: Chrome, stub: Thread, kind: str) -> str:
    """A moved thread's redirect stub (forumdisplay: $thread['moved']): th.lock, 移动: before the title, every
    link to the real thread, '-' for both counters; the last post as it was when the thread moved."""
    last, target = stub.last_post, stub.moved_to
    return f"""<tbody id="{kind}_{stub.tid}">
<tr>
<td class="icn"><a href="{urls.thread(target)}" title="关闭的主题 - 新窗口打开" target="_blank">{_icon(chrome, stub, "lock")}</a></td>
<th class="lock">
<a href="javascript:;" id="content_{stub.tid}" class="showcontent y" title="更多操作"></a>
移动:<a href="{urls.thread(target)}" onclick="atarget(this)" class="s xst">{escape(stub.subject)}</a>
</th>
<td class="by">
<cite><a href="{urls.space(stub.author.uid)}" c="1">{escape(stub.author.username)}</a></cite>
<em><span>{chrome.when(stub.dateline, DAY)}</span></em>
</td>
<td class="num"><a href="{urls.thread(target)}" class="xi2">-</a><em>-</em></td>
<td class="by">
<cite><a href="{urls.space_by_name(last.author.username, chrome.charset)}" c="1">{escape(last.author.username)}</a></cite>
<em><a href="{urls.last_post(target)}">{chrome.when(last.dateline)}</a></em>
</td>
</tr>
</tbody>"""


def _type_label(board: Board, thread: Thread) -> str:
    if thread.typeid is None or thread.typeid not in board.types:
        return ""
    return f'<em>[<a href="{urls.type_filter(board.fid, thread.typeid)}">{board.types[thread.typeid]}</a>]</em> '


def _icon(chrome: Chrome, thread: Thread, css: str) -> str:
    """td.icn: X3.4 shows images (pin_1.gif, folder_lock.gif …); X3.5 and later draw font icons and an svg pin."""
    if chrome.display.version == "x3.4":
        icon = ('pin_1.gif" alt="本版置顶' if thread.pinned else
                f'folder_{css}.gif" alt="{"关闭的主题" if thread.closed else "有新回复" if css == "new" else ""}')
        return f'<img src="static/image/common/{icon}" />'
    if thread.pinned:
        return '<i class="tpin tpin1"><svg width="18" height="18"><path d="M9 0l9 9H14v9H4V9H0z"></path></svg></i>'
    if thread.closed:
        return '<i class="fico-lock fic6 fc-s"></i>'
    return f'<i class="fico-thread fic6 {"fc-l" if css == "new" else "fc-n"}"></i>'


def _readperm(thread: Thread) -> str:
    return f' - [阅读权限 <span class="xw1">{thread.readperm}</span>]' if thread.readperm else ""


def _price(thread: Thread) -> str:
    """A thread sold for credits: the same span.xw1 as the read permission, after another label (售价)."""
    return f' - [售价 <span class="xw1">{thread.price}</span> 金钱]' if thread.price else ""


def _page_links(thread: Thread, ppp: int) -> str:
    """span.tps: links to pages 2..6 of a long thread, then '..' and its last page."""
    pages = pages_for(thread.replies + 1, ppp)
    if pages < 2:
        return ""
    links = "".join(f'<a href="{urls.thread(thread.tid, n)}">{n}</a>' for n in range(2, min(pages, 6) + 1))
    if pages > 6:
        links += f'..<a href="{urls.thread(thread.tid, pages)}">{pages}</a>'
    return f'<span class="tps">&nbsp;...{links}</span>'
