"""Reading one rule against a page: selectors, attributes, regexes, labels, JSON paths, absent and strict values."""

from __future__ import annotations

import pytest
from parsel import Selector

from harvester.definition.model import Labels
from harvester.definition.rules import RuleError, parse_rule
from spiders.generic.labeltable import label_table
from spiders.generic.values import Missing, Scope, json_path, matched, read, read_all

PAGE = """<html><body>
<h2 class="t"> 关于 路灯 </h2>
<div class="body"><p>第一段</p><p>第二段<br>换行</p></div>
<a class="file" href="/f/1.pdf">附件一</a><a class="file" href="/f/2.pdf">附件二</a>
<span class="views">浏览量：1,024</span>
<table><tr><th>来信时间</th><td>2026-11-18 10:02</td><th>满意度</th><td>未评价</td></tr></table>
<p class="meta"><span>来信人：张**</span><span>编号：AH26111500001</span></p>
</body></html>"""


def scope(labels: Labels | None = None) -> Scope:
    page = Selector(text=PAGE)
    table = label_table(labels, page, "http://x.test/d") if labels else None
    return Scope(url="http://x.test/d", text=PAGE, node=page, labels=table)


def rule(value: object):  # noqa: ANN201 - a Rule
    return parse_rule(value, "options.detail.fields.x")


def test_css_text_is_one_trimmed_line_and_a_block_keeps_paragraphs() -> None:
    assert read(rule("css:h2.t"), scope()) == "关于 路灯"
    assert read(rule("css:div.body"), scope(), block=True) == "第一段\n第二段\n换行"


def test_attr_and_regex_and_every_match() -> None:
    assert read(rule({"css": "a.file", "attr": "href"}), scope()) == "/f/1.pdf"
    assert read(rule({"css": "span.views", "regex": "浏览量：([\\d,]+)"}), scope()) == "1,024"
    assert read_all(rule({"css": "a.file", "attr": "href", "all": True}), scope()) == ["/f/1.pdf", "/f/2.pdf"]
    assert read(rule("xpath://a[@class='file'][2]/text()"), scope()) == "附件二"
    assert read(rule("regex:编号：(AH\\d+)"), scope()) == "AH26111500001"


def test_a_strict_rule_that_finds_nothing_raises_and_an_optional_one_is_none() -> None:
    with pytest.raises(Missing, match="css:h3.t matched nothing"):
        read(rule("css:h3.t"), scope())
    with pytest.raises(Missing, match="did not match"):
        read(rule({"css": "h2.t", "regex": "^回复"}), scope())
    assert read(rule({"css": "h3.t", "optional": True}), scope()) is None


def test_labels_from_sibling_cells_and_from_separators() -> None:
    cells = Labels(cells=rule("css:th"), value=rule("xpath:following-sibling::td[1]"))
    assert read(rule("label:来信时间"), scope(cells)) == "2026-11-18 10:02"
    assert read(rule({"label": "满意度", "absent": ["未评价"]}), scope(cells)) is None
    with pytest.raises(Missing, match="label '回复时间' not found \\(labels seen: 来信时间, 满意度\\)"):
        read(rule("label:回复时间"), scope(cells))
    spans = Labels(cells=rule("css:p.meta span"), separator="：")
    assert read(rule("label:来信人"), scope(spans)) == "张**"


def test_exists_and_const() -> None:
    waiting = rule({"exists": "css:div.body", "yes": "办理中", "no": "已回复"})
    answered = rule({"exists": "xpath://div[@class='wait']", "yes": "办理中", "no": "已回复"})
    assert (read(waiting, scope()), read(answered, scope())) == ("办理中", "已回复")
    assert read(rule({"const": "咨询"}), scope()) == "咨询"
    assert matched(rule("css:a.file"), scope()) and not matched(rule("css:a.none"), scope())


def test_json_paths() -> None:
    data = {"PageCond": {"count": 54}, "list": [{"id": "a"}, {"id": "b"}]}
    assert json_path(data, "PageCond.count") == 54
    assert json_path(data, "$.list[1].id") == "b"
    assert json_path(data, "list[5].id") is None and json_path(data, "nope.x") is None
    assert read(rule("json:list[0].id"), Scope(url="", data=data)) == "a"


@pytest.mark.parametrize(("value", "words"), [
    ("h2.t", "must start with one of"),
    ({"css": "h2", "xpath": "//h2"}, "exactly one of"),
    ({"css": "h2", "optinal": True}, "unknown key"),
    ({"css": "h2", "optional": "yes"}, "true or false"),
    ({"json": "a..b"}, "invalid JSON path"),
    ({"exists": "css:div[", "yes": "x"}, "invalid css"),
    ("id:#CaseDetail_lbl_title", "without # or spaces"),
    ({"id": "CaseDetail lbl"}, "without # or spaces"),
    (5, "must be a string"),
])
def test_malformed_rules_say_what_is_wrong(value: object, words: str) -> None:
    with pytest.raises(RuleError, match=words):
        rule(value)


XUZHOU_ROW = """<table><tr class="HeadStyleOfDataGridItemStyle">
<td><font>1</font></td><td><font>2019010300123</font></td>
<td><font><a onclick="window.open('../ywxx/CaseDetail.aspx?caseid=88123')" style="cursor:hand">关于路灯</a></font></td>
</tr></table>
<span id="CaseDetail_lbl_title">关于路灯不亮</span><span id="Pager$input">3</span>"""


def test_an_element_by_id_even_one_css_cannot_spell_and_a_link_taken_from_onclick() -> None:
    """徐州 12345 (jamesfyp/WaiBaoSpider xuzhou.py): detail fields are span#CaseDetail_lbl_*, and a row's
    link is only `window.open('…')` in an onclick, resolved against the list page like a browser does."""
    page = Selector(text=XUZHOU_ROW)
    url = "http://12345.xz.gov.cn/xzbmweb/ywxxtemplate/ggfw_slgs.aspx"
    where = Scope(url=url, text=XUZHOU_ROW, node=page)
    assert read(rule("id:CaseDetail_lbl_title"), where) == "关于路灯不亮"
    assert read(rule({"id": "Pager$input"}), where) == "3"
    assert read(rule({"id": "CaseDetail_lbl_gone", "optional": True}), where) is None
    assert read(rule({"exists": "id:CaseDetail_lbl_title", "yes": "有", "no": "无"}), where) == "有"
    assert matched(rule("id:Pager$input"), where) and not matched(rule("id:Pager"), where)
    with pytest.raises(Missing, match="id:CaseDetail_lbl_gone matched nothing"):
        read(rule("id:CaseDetail_lbl_gone"), where)
    row = Scope(url=url, node=page.css("tr")[0])
    onclick = rule({"xpath": "./td[3]/font/a/@onclick", "regex": "window\\.open\\(['\"]([^'\"]+)"})
    assert read(onclick, row) == "../ywxx/CaseDetail.aspx?caseid=88123"
