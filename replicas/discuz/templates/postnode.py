"""One floor of a thread page (viewthread_node): left column, post header, body, footer; as the settings draw it."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from replicas.discuz.dates import DAY_MINUTE, DAY_SECOND, absolute
from replicas.discuz.model import LOCK_AUTHOR, LOCK_SINGLE, Board, Post, Thread
from replicas.discuz.settings import Display
from replicas.discuz.templates import urls
from replicas.discuz.templates.layout import Chrome

LOCKED = {LOCK_SINGLE: "提示: <em>该帖被管理员或版主屏蔽</em>", LOCK_AUTHOR: "提示: <em>作者被禁止或删除 内容自动屏蔽</em>"}


@dataclass(frozen=True)
class Place:
    """Where a floor is drawn: its board and thread, the page number and the `authorid` filter if any."""

    board: Board
    thread: Thread
    page: int


def floor_label(display: Display, position: int) -> str:
    """cache_custominfo: postnocustom names the first floors, postno follows the number of the others; an
    ASCII label goes in <sup> (the default '#': <em>5</em><sup>#</sup>), any other as it is (<em>5</em>楼)."""
    def wrapped(label: str) -> str:
        return f"<sup>{escape(label)}</sup>" if label.isascii() else escape(label)
    if 0 < position <= len(display.postnocustom):
        return wrapped(display.postnocustom[position - 1])
    return f"<em>{position}</em>{wrapped(display.postno or '#')}"


def render(chrome: Chrome, place: Place, post: Post) -> str:
    pid = post.pid
    return f"""<div id="post_{pid}">
<table id="pid{pid}" class="plhin" summary="pid{pid}" cellspacing="0" cellpadding="0">
<tr>
{_left(chrome, post)}
<td class="plc">
<div class="pi">
<strong><a href="{urls.find_post(post.tid, pid)}" id="postnum{pid}" onclick="setCopy(this.href, '帖子地址复制成功');return false;">{floor_label(chrome.display, post.position)}</a></strong>
<div class="pti"><div class="pdbt"></div>
{_author_line(chrome, place, post)}
</div>
</div>
<div class="pct"><div class="pcb">
{_body(chrome, place, post)}
</div></div>
</td></tr>
<tr><td class="plc plm"></td></tr>
<tr id="_postposition{pid}"></tr>
<tr><td class="pls"></td><td class="plc" style="overflow:visible;"><div class="po hin"><div class="pob cl">
<em>{_footer_links(chrome, place, post)}</em>
<p></p></div></div></td></tr>
</table>
</div>"""


def _left(chrome: Chrome, post: Post) -> str:
    """td.pls: the author's name is a link here only with authoronleft (a.xw1); the hidden profile card
    (div#userinfo<pid>, shown on hovering the avatar) names them in a.xi2 either way."""
    author, pid, display = post.author, post.pid, chrome.display
    name, space = escape(author.username), urls.space(author.uid)
    onleft = (f'<div class="pi"><div class="authi"><a href="{space}" target="_blank" class="xw1">{name}</a></div></div>\n'
              if display.authoronleft else "")
    margin = "margin-top: -11px;" if display.authoronleft else ""
    box = "pls cl favatar" if display.version == "x3.4" else "pls favatar"
    return f"""<td class="pls" rowspan="2"><div id="favatar{pid}" class="{box}">
{onleft}<div class="p_pop blk bui card_gender_0" id="userinfo{pid}" style="display: none; {margin}"><div class="m z"><div id="userinfo{pid}_ma"></div></div>
<div class="i y"><div><strong><a href="{space}" target="_blank" class="xi2">{name}</a></strong><em>当前离线</em></div></div></div>
<div><div class="avatar" onmouseover="showauthor(this, 'userinfo{pid}')"><a href="{space}" class="avtm" target="_blank"><img src="uc_server/avatar.php?uid={author.uid}&amp;size=middle" /></a></div></div>
<p><em><a href="home.php?mod=spacecp&amp;ac=usergroup">{author.group}</a></em></p>
</div></td>"""


def _author_line(chrome: Chrome, place: Place, post: Post) -> str:
    """td.plc div.authi: the thread author's later floors say 楼主 before the name; the name is a link (a.xi2)
    only when authoronleft is off."""
    author, pid, display = post.author, post.pid, chrome.display
    own = post.author.uid == place.thread.author.uid and post.position != 1
    if own and display.version != "x3.4":
        icon = f'<em class="authicn fico-person fic4 fnmr vm" id="authicon{pid}" title="楼主"></em>'
    else:
        image = "ico_lz.png" if own else "online_member.gif"
        icon = f'<img class="authicn vm" id="authicon{pid}" src="static/image/common/{image}" />'
    mark = '&nbsp;楼主<span class="pipe">|</span>\n' if own else ""
    link = ("" if display.authoronleft else
            f'<a href="{urls.space(author.uid)}" target="_blank" class="xi2">{escape(author.username)}</a>\n')
    tools = ""
    if post.first:
        tools = (f'\n<span class="pipe show">|</span><a href="forum.php?mod=viewthread&amp;tid={post.tid}&amp;extra=&amp;'
                 'ordertype=1" class="show">倒序浏览</a>\n<span class="pipe show">|</span><a href="javascript:;" '
                 f"onclick=\"readmode($('thread_subject').innerHTML, {pid});\" class=\"show\">阅读模式</a>")
    return f"""<div class="authi">{icon}
{mark}{link}<em id="authorposton{pid}">发表于 {chrome.when(post.dateline, DAY_SECOND)}</em>
<span class="pipe">|</span><a href="forum.php?mod=viewthread&amp;tid={post.tid}&amp;page={place.page}&amp;authorid={author.uid}" rel="nofollow">只看该作者</a>{tools}
</div>"""


def _footer_links(chrome: Chrome, place: Place, post: Post) -> str:
    """div.po > div.pob > em: 回复 under published posts, 编辑 under the viewer's own, 举报 under others', and
    `(待审核)` under a reply still waiting for approval (only its author and moderators get to see one)."""
    thread, fid, pid, viewer = place.thread, place.board.fid, post.pid, chrome.viewer
    own = viewer is not None and viewer.uid == post.author.uid
    links = []
    if not post.moderated and not thread.closed:
        quote = "reppost" if post.first else "repquote"
        links.append(f'<a class="fastre" href="forum.php?mod=post&amp;action=reply&amp;fid={fid}&amp;tid={thread.tid}'
                     f'&amp;{quote}={pid}&amp;extra=page%3D1&amp;page={place.page}" '
                     "onclick=\"showWindow('reply', this.href)\">回复</a>")
    if own and not thread.closed:
        links.append(f'<a class="editp" href="forum.php?mod=post&amp;action=edit&amp;fid={fid}&amp;tid={thread.tid}'
                     f'&amp;pid={pid}&amp;page={place.page}">编辑</a>')
    if post.moderated and not post.first:
        links.append('<span class="xg1">(待审核)</span>')
    if not own:
        links.append(f'<a class="report" href="javascript:;" onclick="showWindow(\'miscreport{pid}\', '
                     f"'misc.php?mod=report&amp;rtype=post&amp;rid={pid}&amp;tid={thread.tid}&amp;fid={fid}', "
                     "'get', -1);return false;\">举报</a>")
    return "\n".join(links)


def _modact(chrome: Chrome, thread: Thread) -> str:
    """The latest moderation, under the opening post's text: thread_mod_by with the date through dgmdate 'u'
    (relative for a week, like post dates)."""
    mod = thread.last_mod
    if mod is None:
        return ""
    return (f'<div class="modact"><a href="forum.php?mod=misc&amp;action=viewthreadmod&amp;tid={thread.tid}" '
            f"title=\"帖子模式\" onclick=\"showWindow('viewthreadmod', this.href)\">本主题由 {escape(mod.moderator)} 于 "
            f"{chrome.when(mod.at)} {mod.action}</a></div>")


def _body(chrome: Chrome, place: Place, post: Post) -> str:
    """The message, or the notice Discuz prints instead: a post hidden by a moderator (div.locked, no t_f),
    or the purchase notice of a thread sold for a price (viewthread_pay) to a visitor who has not bought it."""
    thread = place.thread
    if post.locked:
        return f'<div class="locked">{LOCKED[post.locked]}</div>'
    if post.first and not thread.paid_for(chrome.viewer):
        return _pay_notice(chrome, place, post)
    price = ""
    if post.first and thread.price:
        price = (f'<div class="locked"><em class="y"><a href="forum.php?mod=misc&amp;action=viewpayments&amp;'
                 f"tid={thread.tid}\" onclick=\"showWindow('pay', this.href)\">记录</a></em>付费主题, 价格: "
                 f"<strong>{thread.price} 金钱 </strong></div>\n")
    edited = ""
    if post.edited_at is not None:
        edited = (f'<i class="pstatus"> 本帖最后由 {escape(post.author.username)} 于 '
                  f"{absolute(post.edited_at, DAY_MINUTE)} 编辑 </i><br />\r\n<br />\r\n")
    text = f"{edited}{escape(post.message).replace(chr(10), '<br />' + chr(13) + chr(10))}"
    if chrome.display.version == "x5":  # X5-era pages: the message in a div, no table around it
        message = f'<div class="t_f" id="postmessage_{post.pid}">\n{text}</div>'
    else:
        message = (f'<table cellspacing="0" cellpadding="0"><tr><td class="t_f" id="postmessage_{post.pid}">\n'
                   f"{text}</td></tr></table>")
    modact = _modact(chrome, thread) if post.first else ""
    return f"""{price}<div class="t_fsz">
{message}
{modact}</div>
<div id="comment_{post.pid}" class="cm"></div>"""


def _pay_notice(chrome: Chrome, place: Place, post: Post) -> str:
    """viewthread_pay.htm: a.viewpay 购买主题, the buyers (none here), 本主题需向作者支付 … 才能浏览."""
    target = f"forum.php?mod=misc&amp;action=pay&amp;tid={place.thread.tid}&amp;pid={post.pid}"
    if chrome.display.version == "x3.4":
        button = f'<a href="{target}" class="y viewpay" title="购买主题" onclick="showWindow(\'pay\', this.href)">购买主题</a>'
    else:
        button = f'<a href="javascript:;" class="y viewpay" title="购买主题" onclick="showWindow(\'pay\', \'{target}\')">购买主题</a>'
    return f"""<div class="locked">
{button}
<em class="right">
</em>
本主题需向作者支付 <strong>{place.thread.price} 金钱</strong> 才能浏览</div>"""
