"""A definition with a mistake fails with a message naming the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from harvester.definition import DefinitionError, definition_of
from harvester.definition.errors import key_line
from harvester.registry import BUILTIN_DIR, load_definition, load_platforms
from harvester.spiderloader import spider_class_for

GOOD = (BUILTIN_DIR / "hanweb_szxx.toml").read_text(encoding="utf-8")
SLUGS = ["dalian_szxx", "changsha_szxx", "tianjin_zmljl", "hanweb_szxx", "beijing_12345", "xuzhou_12345", "trs_xjgk"]
POSTBACK = (BUILTIN_DIR / "xuzhou_12345.toml").read_text(encoding="utf-8")
VIEWSTATE = '"__VIEWSTATE" = { css = "input#__VIEWSTATE", attr = "value" }'


def broken(tmp_path: Path, old: str, new: str) -> Path:
    assert old in GOOD, old
    path = tmp_path / "hanweb_szxx.toml"
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    return path


def error_for(path: Path) -> DefinitionError:
    with pytest.raises(DefinitionError) as caught:
        definition_of(load_definition(path))
    return caught.value


def error_path(tmp_path: Path) -> Path:
    return tmp_path / "hanweb_szxx.toml"


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.startswith(text))


@pytest.mark.parametrize("slug", SLUGS)
def test_the_replica_definitions_are_valid(slug: str) -> None:
    definition = definition_of(load_platforms()[slug])
    assert definition.slug == slug and "id" in definition.list.fields


@pytest.mark.parametrize(("old", "new", "field", "marker", "words"), [
    ('rows = "css:li"', 'rowz = "css:li"', "options.list.rowz", "rowz =", "unknown field"),
    ('title = "label:信件标题"', 'title = "css:h2[title"', "options.detail.fields.title", 'title = "css:h2[',
     "invalid css"),
    ('link = "xpath:./a/@href"', 'link = "xpath:./a/@@href"', "options.list.fields.link", "link =", "invalid xpath"),
    ('regex = "art_\\\\d+_(\\\\d+)\\\\.html"', 'regex = "art_(\\\\d+"', "options.list.fields.id", "id = {",
     "invalid regex"),
    ('body = "label:来信内容"\n', "", "options.detail.fields.body", None, "missing required field"),
    ('status = "label:办理状态"', 'statu = "label:办理状态"', "options.detail.fields.statu", "statu =",
     "unknown field"),
    ('kind = "records"', 'kind = "pages"', "options.list.paging.kind", 'kind = "pages"', "must be one of"),
    ('size = 45 ', "", "options.list.paging.size", None, "needs the page size"),
    ('perpage=15"', 'perpage={perpage}"', "options.list.url", "url =", "unknown placeholder"),
    ('columnid = "{board}"', 'columnid = 1229.5', "options.list.form.columnid", "columnid =", "must be a string"),
    ('cells = "css:table.xxgk_table td.td_label"\n', "", "options.detail.labels.cells", None,
     "missing required field"),
    ('title = "xpath:./a/@title"', 'title = "json:title"', "options.list.fields.title", 'title = "json:',
     "cannot read a hanweb_xml list"),
    ('text = { label = "回复内容", optional = true }', 'text = { label = "回复内容", optinal = true }',
     "options.detail.reply.text", "text = {", "unknown key"),
    ('url = "/module/web', 'url = "module/web', "options.list.url", "url =", "must start with /"),
])
def test_a_mistake_names_file_line_and_field(tmp_path: Path, old: str, new: str, field: str, marker: str | None,
                                             words: str) -> None:
    path = broken(tmp_path, old, new)
    error = error_for(path)
    message = str(error)
    assert str(path) in message and f"field '{field}'" in message and words in message, message
    if marker is not None:
        assert error.line == line_of(path, marker) and f"{path}:{error.line}:" in message


def test_status_read_on_the_list_only_needs_list_rechecks(tmp_path: Path) -> None:
    path = broken(tmp_path, 'status = "label:办理状态"', "")
    path.write_text(path.read_text(encoding="utf-8").replace('title = "xpath:./a/@title"',
                                                            'title = "xpath:./a/@title"\nstatus = "xpath:./span"'),
                    encoding="utf-8")
    error = error_for(path)
    assert error.field == "options.list.recheck" and 'recheck = "list"' in error.problem


def test_a_vocabulary_entry_must_name_a_canonical_value(tmp_path: Path) -> None:
    path = broken(tmp_path, "[options.detail.labels]", '[options.vocabulary.status]\n"已反馈" = "answered"\n\n'
                                                       "[options.detail.labels]")
    error = error_for(path)
    assert error.field == "options.vocabulary.status.已反馈" and "'replied'" in error.problem
    assert error.line == line_of(path, '"已反馈" = "answered"')


def test_a_label_rule_needs_a_label_table(tmp_path: Path) -> None:
    text = GOOD.split("[options.detail.labels]")[0] + "[options.detail.fields]\n" + \
        GOOD.split("[options.detail.fields]")[1]
    path = tmp_path / "hanweb_szxx.toml"
    path.write_text(text, encoding="utf-8")
    error = error_for(path)
    assert error.field.startswith("options.detail.fields.") and "[options.detail.labels]" in error.problem


def test_the_cursor_must_be_a_required_list_field(tmp_path: Path) -> None:
    error = error_for(broken(tmp_path, 'rows = "css:li"', 'rows = "css:li"\ncursor = "letter_no"'))
    assert error.field == "options.list.cursor"


@pytest.mark.parametrize(("cursor", "words"), [
    ('"title"', "end it with the id, e.g. ['title', 'id']"),  # titles (and letter numbers) repeat
    ('["id", "title"]', "end it with the id"),
    ('["title", "title", "id"]', "names a field twice"),
    ("[]", "must be a row field name or a list of them"),
    ('["title", 3]', "must be a row field name or a list of them"),
    ('["link", "id"]', "cannot be part of the cursor"),
])
def test_a_cursor_that_could_name_two_letters_alike_is_refused(tmp_path: Path, cursor: str, words: str) -> None:
    error = error_for(broken(tmp_path, 'rows = "css:li"', f'rows = "css:li"\ncursor = {cursor}'))
    assert error.field == "options.list.cursor" and words in error.problem, error.problem
    assert error.line == line_of(error_path(tmp_path), "cursor =")


def test_a_cursor_of_a_list_field_and_the_id_is_read_in_order(tmp_path: Path) -> None:
    path = broken(tmp_path, 'rows = "css:li"', 'rows = "css:li"\ncursor = ["title", "id"]')
    assert definition_of(load_definition(path)).list.cursor == ("title", "id")


@pytest.mark.parametrize("rule", ['{ xpath = "./a/@onclick" }', '"xpath:./a/@onClick"',
                                  '{ css = "a", attr = "onclick" }'])
def test_an_onclick_link_without_a_regex_is_refused_with_the_regex_to_add(tmp_path: Path, rule: str) -> None:
    """徐州's title links carry no href, only onclick="window.open('…')": the script is not a URL."""
    error = error_for(broken(tmp_path, 'link = "xpath:./a/@href"', f"link = {rule}"))
    assert error.field == "options.list.fields.link" and "attribute is script" in error.problem
    assert "regex = " in error.problem and error.line == line_of(error_path(tmp_path), "link =")
    fixed = broken(tmp_path, 'link = "xpath:./a/@href"',
                   'link = { xpath = "./a/@onclick", regex = "window\\\\.open\\\\([\'\\"]([^\'\\"]+)" }')
    assert definition_of(load_definition(fixed)).list.fields["link"].regex is not None


def test_reading_back_by_date_needs_the_rows_posting_date(tmp_path: Path) -> None:
    error = error_for(broken(tmp_path, 'size = 45 ', 'size = 45\nlookback_days = 45\n'))
    assert error.field == "options.list.paging.lookback_days" and "posted_at" in error.problem
    assert error.line == line_of(error_path(tmp_path), "lookback_days =")
    error = error_for(broken(tmp_path, 'size = 45 ', 'size = 45\nlookback_days = -1\n'))
    assert error.field == "options.list.paging.lookback_days" and "must be 0" in error.problem


def test_a_field_by_element_id_fits_html_pages_only(tmp_path: Path) -> None:
    good = broken(tmp_path, 'title = "label:信件标题"', 'title = "id:lblTitle"')
    assert definition_of(load_definition(good)).detail.fields["title"].source == "id"
    error = error_for(broken(tmp_path, 'title = "label:信件标题"', 'title = "id:#lblTitle"'))
    assert error.field == "options.detail.fields.title" and "without #" in error.problem


def test_binding_a_broken_definition_to_the_spider_fails_before_any_crawl(tmp_path: Path) -> None:
    """`harvester harvest` binds every platform to its spider first: the mistake surfaces there."""
    spec = load_definition(broken(tmp_path, 'rows = "css:li"', 'rows = "css:li["'))
    with pytest.raises(DefinitionError, match=r"hanweb_szxx.toml:\d+: field 'options.list.rows'"):
        spider_class_for(spec)


def test_key_line_finds_tables_keys_and_inline_tables() -> None:
    text = '# c\nslug = "x"\n[options.list]\nurl = "/a"\n[options.list.fields]\nid = { xpath = "./a" }\n' \
           '"标题" = "css:h1"\n[options.detail]\nurl = "/b"\n'
    assert key_line(text, ["options", "list", "url"]) == 4
    assert key_line(text, ["options", "detail", "url"]) == 9
    assert key_line(text, ["options", "list", "fields", "id", "xpath"]) == 6
    assert key_line(text, ["options", "list", "fields", "标题"]) == 7
    assert key_line(text, ["options", "list", "paging", "kind"]) == 3  # absent: its nearest parent


# -- form values read from the previous list page (ASP.NET postback paging) ------------------------------

def broken_postback(tmp_path: Path, old: str, new: str) -> Path:
    assert old in POSTBACK, old
    path = tmp_path / "xuzhou_12345.toml"
    path.write_text(POSTBACK.replace(old, new, 1), encoding="utf-8")
    return path


def test_form_values_read_from_the_previous_page_are_rules_next_to_static_values() -> None:
    definition = definition_of(load_platforms()["xuzhou_12345"])
    assert definition.list.postback and definition.list.method == "POST"
    assert dict(definition.list.form) == {"__EVENTTARGET": "CaseGgfwAll1$Pager", "__EVENTARGUMENT": "{page}"}
    viewstate = definition.list.carried["__VIEWSTATE"]
    assert (viewstate.path, viewstate.source, viewstate.query, viewstate.attr, viewstate.optional) == \
        ("options.list.form.__VIEWSTATE", "css", "input#__VIEWSTATE", "value", False)
    assert definition.list.carried["__EVENTVALIDATION"].optional


@pytest.mark.parametrize(("old", "new", "field", "marker", "words"), [
    (VIEWSTATE, '"__VIEWSTATE" = { css = "input#__VIEWSTATE[", attr = "value" }', "options.list.form.__VIEWSTATE",
     '"__VIEWSTATE" =', "invalid css"),
    (VIEWSTATE, '"__VIEWSTATE" = { css = "input#__VIEWSTATE", atr = "value" }', "options.list.form.__VIEWSTATE",
     '"__VIEWSTATE" =', "unknown key"),
    (VIEWSTATE, '"__VIEWSTATE" = ["input#__VIEWSTATE"]', "options.list.form.__VIEWSTATE", '"__VIEWSTATE" =',
     "or a rule table read from the previous list page"),
    (VIEWSTATE, '"__VIEWSTATE" = { label = "__VIEWSTATE" }', "options.list.form.__VIEWSTATE", '"__VIEWSTATE" =',
     "a label rule cannot read a html list"),
    (VIEWSTATE, '"__VIEWSTATE" = { css = "input#__VIEWSTATE", attr = "value", all = true }',
     "options.list.form.__VIEWSTATE", '"__VIEWSTATE" =', "only for attachments"),
    ('method = "POST"', 'method = "GET"', "options.list.method", 'method = "GET"', 'set method = "POST"'),
    ('kind = "page"', 'kind = "index"\nfirst_url = "/Case/index.aspx"', "options.list.paging.kind",
     'kind = "index"', "cannot page by URL"),
    ('"__EVENTARGUMENT" = "{page}"', '"__EVENTARGUMENT" = "{pageno}"', "options.list.form.__EVENTARGUMENT",
     '"__EVENTARGUMENT" =', "unknown placeholder"),
])
def test_a_mistake_in_a_postback_form_names_file_line_and_field(tmp_path: Path, old: str, new: str, field: str,
                                                                marker: str, words: str) -> None:
    path = broken_postback(tmp_path, old, new)
    error = error_for(path)
    message = str(error)
    assert str(path) in message and f"field '{field}'" in message and words in message, message
    assert error.line == line_of(path, marker) and f"{path}:{error.line}:" in message


def test_a_mistyped_placeholder_in_the_first_page_url_names_that_field(tmp_path: Path) -> None:
    good = (BUILTIN_DIR / "trs_xjgk.toml").read_text(encoding="utf-8")
    path = tmp_path / "trs_xjgk.toml"
    path.write_text(good.replace('first_url = "/col/col{board}/', 'first_url = "/col/col{bord}/'), encoding="utf-8")
    error = error_for(path)
    assert error.field == "options.list.paging.first_url" and "unknown placeholder" in error.problem
    assert error.line == line_of(path, "first_url =") and str(path) in str(error)


def test_a_postback_without_method_points_at_the_list_table(tmp_path: Path) -> None:
    path = broken_postback(tmp_path, 'method = "POST"\n', "")
    error = error_for(path)
    assert error.field == "options.list.method" and error.line == line_of(path, "[options.list]")


def test_a_postback_needs_no_page_placeholder_the_state_says_where_the_list_is(tmp_path: Path) -> None:
    """GridView pagers in NextPrevious mode post `Page$Next`: no page number anywhere."""
    path = broken_postback(tmp_path, '"__EVENTARGUMENT" = "{page}"', '"__EVENTARGUMENT" = "Page$Next"')
    assert definition_of(load_definition(path)).list.form["__EVENTARGUMENT"] == "Page$Next"
    static = broken_postback(tmp_path, VIEWSTATE + "\n", "").read_text(encoding="utf-8")
    for name in ("__VIEWSTATEGENERATOR", "__EVENTVALIDATION", "CaseGgfwAll1$Pager_input"):
        static = "\n".join(line for line in static.splitlines() if not line.startswith(f'"{name}"'))
    path.write_text(static.replace('"{page}"', '"Page$Next"'), encoding="utf-8")
    error = error_for(path)  # without values read from the page it is ordinary form paging again
    assert error.field == "options.list.url" and "{page}" in error.problem
