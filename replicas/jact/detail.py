"""HTML of a jact letter page in each layout seen on real sites (see README.md): two-column `tr.trbg02` label
rows or four-column rows with values in <span>; the reply in the letter's table, in a second `div.jact_box_font`
or in a padded <div> of its own; plus the changed layout a template upgrade brings."""

from __future__ import annotations

from html import escape

from replicas.jact.letters import Letter

DETAILS = ("fourcol", "labels")
REPLIES = ("padded", "box", "inline")
LEAN_LABELS = ("来信人", "信件类型", "问题类别")  # rows a template upgrade drops (mode "lean")


def paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(line)}</p>" for line in text.split("\n") if line)


def _lines(text: str) -> str:
    """Text inside a <span>, one <br> between lines (a span holds no paragraphs)."""
    return "<br>".join(escape(line) for line in text.split("\n") if line)


def _attachments(letter: Letter) -> str:
    return " ".join(f'<a href="{escape(path)}" target="_blank">附件{n}.{escape(path.rsplit(".", 1)[-1])}</a>'
                    for n, path in enumerate(letter.attachments, start=1))


def letter_rows(letter: Letter) -> list[tuple[str, str]]:
    """(label, value HTML) of the letter itself, in the order the two-column layout shows them."""
    rows = [("信件编号", escape(letter.letter_no)), ("信件标题", escape(letter.title)),
            ("来信人", escape(letter.author)), ("来信时间", f"{letter.posted_at:%Y-%m-%d %H:%M:%S}"),
            ("信件类型", escape(letter.kind)), ("问题类别", escape(letter.topic)),
            ("处理状态", escape(letter.status)), ("信件内容", "" if letter.blank_body else paragraphs(letter.body))]
    if letter.attachments:
        rows.append(("附件", _attachments(letter)))
    return rows


def reply_rows(letter: Letter) -> list[tuple[str, str]]:
    if letter.replied_at is None:
        return []
    return [("办理单位", escape(letter.unit)), ("回复时间", f"{letter.replied_at:%Y-%m-%d %H:%M:%S}"),
            ("回复内容", paragraphs(letter.reply_text))]


def _grade(letter: Letter) -> list[tuple[str, str]]:
    return [("满意度", escape(letter.satisfaction))] if letter.satisfaction else []


def _two_column(pairs: list[tuple[str, str]]) -> str:
    return "\n".join(f'<tr class="trbg02"><td class="list_pd1">{label}：</td><td class="list_pd2">{value}</td></tr>'
                     for label, value in pairs)


def _cells(pairs: list[tuple[str, str]]) -> str:
    """One four-column row: one pair spans the row, two pairs sit side by side; every value in a <span>."""
    if len(pairs) == 1:
        label, value = pairs[0]
        return f'<tr><td class="td_label" width="15%">{label}：</td><td colspan="3">{value}</td></tr>'
    return "<tr>" + "".join(f'<td class="td_label" width="15%">{label}：</td><td width="35%">{value}</td>'
                            for label, value in pairs) + "</tr>"


def _four_column_letter(letter: Letter, lean: bool) -> str:
    """Title, sender and number, the text (its span classed `contentspan`), kind and topic, attachments, then
    status and 来信时间 side by side (the sixth row's fourth cell, as on the real page)."""
    span = "<span>{}</span>".format
    body = "" if letter.blank_body else _lines(letter.body)
    people = [("来信人", span(escape(letter.author)))] if not lean else []
    rows = [[("信件标题", span(escape(letter.title)))],
            [*people, ("信件编号", span(escape(letter.letter_no)))],
            [("信件内容", f'<span class="contentspan">{body}</span>')],
            [] if lean else [("信件类型", span(escape(letter.kind))), ("问题类别", span(escape(letter.topic)))],
            [("附件", span(_attachments(letter)))],
            [("处理状态", span(escape(letter.status))), ("来信时间", span(f"{letter.posted_at:%Y-%m-%d %H:%M:%S}"))],
            [("满意度", span(escape(letter.satisfaction)))] if letter.satisfaction else []]
    return "\n".join(_cells(pairs) for pairs in rows if pairs)


def _four_column_reply(letter: Letter) -> str:
    """The reply table: a title row, a spacer, 回复内容, then 办理单位 (a link) beside 回复时间."""
    assert letter.replied_at is not None
    return ('<tr><td colspan="4" class="td_title">回复信息</td></tr>\n<tr><td colspan="4" height="8"></td></tr>\n'
            + _cells([("回复内容", f"<span>{_lines(letter.reply_text)}</span>")]) + "\n"
            + _cells([("办理单位", f'<span><a href="javascript:void(0);">{escape(letter.unit)}</a></span>'),
                      ("回复时间", f"<span>{letter.replied_at:%Y-%m-%d %H:%M:%S}</span>")]))


def _table(rows: str) -> str:
    return f'<table width="100%" cellspacing="1" cellpadding="0" class="jact_table">\n{rows}\n</table>'


def detail_content(letter: Letter, detail: str = "fourcol", reply: str = "padded", lean: bool = False) -> str:
    """The page body of one letter in the chosen layout; `lean`: without 来信人, 信件类型, 问题类别 and the counter."""
    answered = letter.replied_at is not None
    if detail == "labels":
        pairs = [p for p in letter_rows(letter) if not (lean and p[0] in LEAN_LABELS)]
        pairs += (reply_rows(letter) if reply == "inline" else []) + _grade(letter)
        letter_table = _table(_two_column(pairs))
        reply_table = _table(_two_column(reply_rows(letter))) if answered and reply != "inline" else ""
    else:
        letter_table = _four_column_letter(letter, lean)
        if answered and reply == "inline":
            letter_table += "\n" + _four_column_reply(letter)
        letter_table = _table(letter_table)
        reply_table = _table(_four_column_reply(letter)) if answered and reply != "inline" else ""
    if reply_table and reply == "box":
        reply_table = f'<div class="jact_box_font">{reply_table}</div>\n'
    elif reply_table:
        reply_table = f'<div style="padding-bottom:15px;">{reply_table}</div>\n'
    counter = "" if lean else f'<div class="jact_count">浏览次数：<span id="viewcount">{letter.views}</span></div>\n'
    return ('<div class="jact_main"><div class="jact_box"><div class="jact_box_title">信件详情</div>\n'
            f'<div class="jact_box_font">{letter_table}</div>\n{reply_table}{counter}</div></div>')


def changed_layout(letter: Letter) -> str:
    """What a template upgrade looks like: same data, no label table (the harvester must quarantine it)."""
    facts = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in letter_rows(letter) + reply_rows(letter)
                    if label not in ("信件标题", "信件内容", "回复内容"))
    answer = f'<div class="xj_reply">{paragraphs(letter.reply_text)}</div>' if letter.reply_text else ""
    return (f'<div class="jact_main"><div class="xj_content"><h2 class="xj_title">{escape(letter.title)}</h2>'
            f'<dl class="xj_info">{facts}</dl><div class="xj_body">{paragraphs(letter.body)}</div>{answer}'
            f'<div class="xj_count">浏览次数：{letter.views}</div></div></div>')
