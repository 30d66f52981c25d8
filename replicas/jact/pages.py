"""HTML of the jact public pages: the letter list (rows, the pageIndex page, the data proxy's host page), the
letter page (layouts in replicas/jact/detail.py), the error page."""

from __future__ import annotations

import math
from html import escape

from replicas.jact.detail import changed_layout, detail_content
from replicas.jact.letters import Letter

TITLE_CHARS = 20
LIST_COLUMNS = ("办件编号", "标题", "处理情况", "提交时间", "办理单位", "点击次数")


def meta_tag(charset: str) -> str:
    """UTF-8 builds use the short form; old GBK builds only declare it in an http-equiv meta."""
    if charset.lower() in ("utf-8", "utf8"):
        return '<meta charset="utf-8">'
    return f'<meta http-equiv="Content-Type" content="text/html; charset={escape(charset)}">'


def _layout(charset: str, sysid: str, title: str, content: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html>\n<head>\n{meta_tag(charset)}\n<title>{escape(title)} - 市长信箱</title>\n'
        '<link rel="stylesheet" href="/jact/front/css/jact.css">\n</head>\n<body>\n'
        '<div class="jact_head"><h1>市长信箱</h1><ul class="jact_nav">'
        f'<li><a href="/jact/front/mailwrite.do?sysid={sysid}">我要写信</a></li>'
        f'<li><a href="/jact/front/mailpublist.do?sysid={sysid}">信件公开</a></li></ul></div>\n'
        f'{content}\n'
        '<div class="jact_foot">主办：市人民政府办公室　技术支持：大汉网络</div>\n</body>\n</html>\n'
    )


def _title_cell(letter: Letter, sysid: str, q: str) -> str:
    if not letter.public:
        return f"{escape(letter.title)}<span class={q}bgk{q}>[不公开]</span>"
    shown = letter.title if len(letter.title) <= TITLE_CHARS else letter.title[:TITLE_CHARS] + "…"
    return (f"<a href={q}mailpubdetail.do?transactId={letter.transact_id}&sysid={sysid}{q} target={q}_blank{q} "
            f"title={q}{escape(letter.title)}{q}>{escape(shown)}</a>")


def list_row(letter: Letter, sysid: str, cells: int = 6, q: str = '"', unit_link: bool = False) -> str:
    """One `tr.tr_css` row: 6 cells (办件编号, 标题, 处理情况, 提交时间, 办理单位, 点击次数) or 5 (no 办理单位).
    `q` quotes the attributes (the data proxy's row strings use '); `unit_link`: the unit is a link there."""
    unit = escape(letter.unit)
    if unit_link and unit:
        unit = f"<a href={q}javascript:void(0);{q}>{unit}</a>"
    values = [escape(letter.letter_no), _title_cell(letter, sysid, q), escape(letter.status),
              f"{letter.posted_at:%Y-%m-%d}", unit, str(letter.views)]
    if cells == 5:
        del values[4]
    return f"<tr class={q}tr_css{q}>" + "".join(f"<td>{value}</td>" for value in values) + "</tr>"


def _head(cells: int) -> str:
    return "".join(f"<td>{label}</td>" for label in LIST_COLUMNS if cells == 6 or label != "办理单位")


def _pager(sysid: str, total: int, page: int, per_page: int) -> str:
    pages = max(1, math.ceil(total / per_page))
    link = f"mailpublist.do?sysid={sysid}&pageIndex="
    parts = [f'共<span class="total">{total}</span>条 第<span class="cur">{page}</span>/'
             f'<span class="pages">{pages}</span>页']
    if page > 1:
        parts.append(f'<a class="first" href="{link}1">首页</a>')
        parts.append(f'<a class="prev" href="{link}{page - 1}">上一页</a>')
    if page < pages:
        parts.append(f'<a class="next" href="{link}{page + 1}">下一页</a>')
    parts.append(f'<a class="last" href="{link}{pages}">尾页</a>')
    return '<div class="jact_page">' + " ".join(parts) + "</div>"


def list_page(charset: str, sysid: str, letters: list[Letter], total: int, page: int, per_page: int,
              cells: int = 6) -> str:
    """mailpublist.do?pageIndex=N (the old variant): one page of `tr.tr_css` rows plus the `div.jact_page` pager."""
    rows = "\n".join(list_row(letter, sysid, cells) for letter in letters)
    content = (f'<div class="jact_main"><div class="jact_list">\n<table class="list_table" width="100%">\n'
               f'<tr class="tr_head">{_head(cells)}</tr>\n{rows}\n</table>\n{_pager(sysid, total, page, per_page)}\n'
               "</div></div>")
    return _layout(charset, sysid, "信件公开", content)


def list_host_page(charset: str, sysid: str, proxy: str, cells: int = 6) -> str:
    """mailpublist.do where the list loads through the data proxy: the table head and an empty pager; the page's
    script POSTs startrecord/endrecord to the proxy and writes the `dataStore` rows in (no rows in the HTML)."""
    script = (f"<script type=\"text/javascript\">var jactList = {{proxy: '{proxy}', sysid: '{sysid}', perpage: 19, "
              "groupSize: 3};</script>\n<script type=\"text/javascript\" src=\"/jact/front/js/mailpublist.js\"></script>")
    content = (f'<div class="jact_main"><div class="jact_list">\n<table class="list_table" width="100%" id="maillist">\n'
               f'<tr class="tr_head">{_head(cells)}</tr>\n</table>\n<div id="jact_page_div"></div>\n'
               f"</div></div>\n{script}")
    return _layout(charset, sysid, "信件公开", content)


def detail_page(charset: str, sysid: str, letter: Letter, detail: str = "fourcol", reply: str = "padded",
                lean: bool = False) -> str:
    """mailpubdetail.do in the chosen layout (replicas/jact/detail.py), or the changed layout once broken."""
    if letter.broken:
        return _layout(charset, sysid, letter.title, changed_layout(letter))
    return _layout(charset, sysid, letter.title, detail_content(letter, detail, reply, lean))


def error_page(charset: str, sysid: str, message: str) -> str:
    """The small page jact shows for an unknown letter or column."""
    content = f'<div class="jact_main"><div class="jact_error">{escape(message)}</div></div>'
    return _layout(charset, sysid, "提示信息", content)
