"""HTML of the jact public pages: letter list, letter detail (normal and changed layout), error page."""

from __future__ import annotations

import math
from html import escape

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


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(line)}</p>" for line in text.split("\n") if line)


def _title_cell(letter: Letter, sysid: str) -> str:
    if not letter.public:
        return f'{escape(letter.title)}<span class="bgk">[不公开]</span>'
    shown = letter.title if len(letter.title) <= TITLE_CHARS else letter.title[:TITLE_CHARS] + "…"
    return (f'<a href="mailpubdetail.do?transactId={letter.transact_id}&sysid={sysid}" target="_blank" '
            f'title="{escape(letter.title)}">{escape(shown)}</a>')


def _list_row(letter: Letter, sysid: str) -> str:
    cells = (escape(letter.letter_no), _title_cell(letter, sysid), escape(letter.status),
             f"{letter.posted_at:%Y-%m-%d}", escape(letter.unit), str(letter.views))
    return '<tr class="tr_css">' + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


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


def list_page(charset: str, sysid: str, letters: list[Letter], total: int, page: int, per_page: int) -> str:
    """mailpublist.do: one page of `tr.tr_css` rows plus the `div.jact_page` pager."""
    head = "".join(f"<td>{label}</td>" for label in LIST_COLUMNS)
    rows = "\n".join(_list_row(letter, sysid) for letter in letters)
    content = (f'<div class="jact_main"><div class="jact_list">\n<table class="list_table" width="100%">\n'
               f'<tr class="tr_head">{head}</tr>\n{rows}\n</table>\n{_pager(sysid, total, page, per_page)}\n'
               "</div></div>")
    return _layout(charset, sysid, "信件公开", content)


def _detail_rows(letter: Letter) -> list[tuple[str, str]]:
    rows = [("信件编号", escape(letter.letter_no)), ("信件标题", escape(letter.title)),
            ("来信人", escape(letter.author)), ("来信时间", f"{letter.posted_at:%Y-%m-%d %H:%M:%S}"),
            ("信件类型", escape(letter.kind)), ("问题类别", escape(letter.topic)),
            ("处理状态", escape(letter.status)), ("信件内容", "" if letter.blank_body else _paragraphs(letter.body))]
    if letter.attachments:
        links = (f'<a href="{escape(path)}" target="_blank">附件{n}.{escape(path.rsplit(".", 1)[-1])}</a>'
                 for n, path in enumerate(letter.attachments, start=1))
        rows.append(("附件", " ".join(links)))
    if letter.replied_at is not None:
        rows += [("办理单位", escape(letter.unit)), ("回复时间", f"{letter.replied_at:%Y-%m-%d %H:%M:%S}"),
                 ("回复内容", _paragraphs(letter.reply_text))]
    if letter.satisfaction:
        rows.append(("满意度", escape(letter.satisfaction)))
    return rows


def detail_page(charset: str, sysid: str, letter: Letter) -> str:
    """mailpubdetail.do: the `tr.trbg02` label table, or the changed layout once the letter is broken."""
    if letter.broken:
        return _layout(charset, sysid, letter.title, _changed_layout(letter))
    rows = "\n".join(f'<tr class="trbg02"><td class="list_pd1">{label}：</td>'
                     f'<td class="list_pd2">{value}</td></tr>' for label, value in _detail_rows(letter))
    content = ('<div class="jact_main"><div class="jact_box"><div class="jact_box_title">信件详情</div>\n'
               f'<div class="jact_box_font"><table width="100%" cellspacing="1" cellpadding="0">\n{rows}\n'
               '</table></div>\n'
               f'<div class="jact_count">浏览次数：<span id="viewcount">{letter.views}</span></div>\n'
               "</div></div>")
    return _layout(charset, sysid, letter.title, content)


def _changed_layout(letter: Letter) -> str:
    """What a template upgrade looks like: same data, no label table (the harvester must quarantine it)."""
    facts = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in _detail_rows(letter)
                    if label not in ("信件标题", "信件内容", "回复内容"))
    reply = f'<div class="xj_reply">{_paragraphs(letter.reply_text)}</div>' if letter.reply_text else ""
    return (f'<div class="jact_main"><div class="xj_content"><h2 class="xj_title">{escape(letter.title)}</h2>'
            f'<dl class="xj_info">{facts}</dl><div class="xj_body">{_paragraphs(letter.body)}</div>{reply}'
            f'<div class="xj_count">浏览次数：{letter.views}</div></div></div>')


def error_page(charset: str, sysid: str, message: str) -> str:
    """The small page jact shows for an unknown letter or column."""
    content = f'<div class="jact_main"><div class="jact_error">{escape(message)}</div></div>'
    return _layout(charset, sysid, "提示信息", content)
