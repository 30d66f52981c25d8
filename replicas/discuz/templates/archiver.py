"""The Archiver (archiver/?fid-F.html, ?tid-T.html): plain pages, no login, the easiest scraping target."""

from __future__ import annotations

from html import escape

from replicas.discuz.dates import DAY_SECOND, relative
from replicas.discuz.model import Board, Post, Thread
from replicas.discuz.templates.layout import SITE_NAME, Chrome
from replicas.discuz.templates.postnode import LOCKED


def _frame(chrome: Chrome, title: str, nav: str, content: str, pages: str, full: str) -> str:
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={chrome.charset}" />
<title>{title} -  Powered by Discuz! Archiver</title>
<link rel="stylesheet" type="text/css" href="../static/image/common/archiver.css" />
</head>
<body>
<div id="nav">{nav}</div>
<div id="content">
{content}
</div>
{pages}
<div id="end">查看完整版本: {full}</div>
<br /><center><p style="font-size:12px">Powered by <a href="http://www.discuz.net" target="_blank">Discuz! Archiver</a></p></center>
</body>
</html>
"""  # noqa: E501


def index(chrome: Chrome, boards: list[Board]) -> str:
    groups: dict[str, list[Board]] = {}
    for board in boards:
        groups.setdefault(board.category, []).append(board)
    content = "\n".join(
        f"<h3>{escape(category)}</h3><ul>"
        + "".join(f'<li><a href="?fid-{b.fid}.html">{escape(b.name)}</a></li>' for b in members) + "</ul>"
        for category, members in groups.items())
    full = f'<a href="../forum.php" target="_blank"><strong>{SITE_NAME}</strong></a>'
    return _frame(chrome, SITE_NAME, f'<a href="./">{SITE_NAME}</a>', content, "", full)


def board(chrome: Chrome, forum: Board, threads: list[Thread], page: int, pages: int) -> str:
    items = "".join(f'<li><a href="?tid-{t.tid}.html">{escape(t.subject)}</a></li>\n' for t in threads)
    nav = f'<a href="./">{SITE_NAME}</a> &rsaquo; {escape(forum.name)}'
    full = (f'<a href="../forum.php?mod=forumdisplay&amp;fid={forum.fid}&amp;page={page}" target="_blank">'
            f"<strong>{escape(forum.name)}</strong></a>")
    return _frame(chrome, forum.name, nav, f"<ul>\n{items}</ul>", _pages(f"fid-{forum.fid}", page, pages), full)


def thread(chrome: Chrome, forum: Board, topic: Thread, posts: list[Post], page: int, pages: int,
           refusal: str | None = None) -> str:
    """A thread's floors; `refusal` replaces them when the thread needs more read access than a guest has."""
    nav = (f'<a href="./">{SITE_NAME}</a> &rsaquo; <a href="?fid-{forum.fid}.html">{escape(forum.name)}</a>'
           f" &rsaquo; {escape(topic.subject)}")
    content = f"<p>{escape(refusal)}</p>" if refusal else "\n".join(_floor(chrome, topic, post) for post in posts)
    full = (f'<a href="../forum.php?mod=viewthread&amp;tid={topic.tid}" target="_blank">'
            f"<strong>{escape(topic.subject)}</strong></a>")
    return _frame(chrome, topic.subject, nav, content, _pages(f"tid-{topic.tid}", page, pages), full)


def _floor(chrome: Chrome, topic: Thread, post: Post) -> str:
    when = relative(post.dateline, chrome.now, DAY_SECOND)
    if not when.startswith("<span"):
        when = f'<span title="{when}">{when}</span>'
    head = f'<p class="author"><strong>{escape(post.author.username)}</strong> 发表于 {when}</p>'
    subject = f"\n<h3>{escape(topic.subject)}</h3>" if post.first else ""
    text = LOCKED[post.locked] if post.locked else escape(post.message).replace("\n", "<br />\r\n")
    if post.first and not topic.paid_for(chrome.viewer):  # viewthread_pay in the Archiver: text and a link
        text = (f"本主题需向作者支付 <strong>{topic.price} 金钱</strong> 才能浏览 <a href=\"../forum.php?mod=misc&amp;"
                f'action=pay&amp;tid={topic.tid}&amp;pid={post.pid}" title="购买主题">购买主题</a>')
    return f"{head}{subject}\n{text}<br />"


def _pages(target: str, page: int, pages: int) -> str:
    if pages < 2:
        return ""
    numbers = sorted({1, pages, *range(max(1, page - 5), min(pages, page + 5) + 1)})
    links = [f"<strong>{n}</strong>" if n == page else f'<a href="?{target}.html&amp;page={n}">{n}</a>'
             for n in numbers]
    return f'<div class="page">{" ".join(links)}</div>'

