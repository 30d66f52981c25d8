"""What `harvester platforms new` writes: a commented definition to fill in, and a test skeleton."""

from __future__ import annotations

DEFINITION = '''# __NAME__ — say what the site is (CMS, how the list pages, quirks you noticed).
# Written by `harvester platforms new __SLUG__`. Fill in the TODOs, then run
#   harvester platforms probe __SLUG__     fetches a few pages and shows what every field reads
#   harvester fixtures record __SLUG__     saves those pages and the output under tests/fixtures/__SLUG__/
# and set enabled = true. docs/adding-a-platform.md walks through it.
slug = "__SLUG__"
name = "__NAME__"
family = "generic"
base_url = "__BASE_URL__"
enabled = false                 # true once `platforms probe` is clean
download_delay = 1.0            # seconds between requests (politeness)
concurrency = 2                 # parallel requests to this site
# charset = "gbk"               # only when the pages lie about their encoding and detection guesses wrong
# download_maxsize = 16777216   # bytes; a larger page is cancelled (failure class too_large); warnsize: logged
recheck_statuses = ["pending", "in_progress"]   # canonical statuses re-checked until they settle

[[boards]]
id = "1"                        # fills {board} in URLs
addressee = "市长信箱"

[options.list]
# Relative to base_url. Placeholders: {page} {offset} {start} {end} {size} {board}.
url = "/TODO/list.jsp?page={page}"
# method = "POST"               # then put the form fields under [options.list.form] (placeholders work there)
#                               # a form field given as a rule table ({ css = "input#__VIEWSTATE", attr = "value" })
#                               # is read from the previous list page: ASP.NET postback paging (see the docs)
# format = "html"               # html | json (a JSON list API) | hanweb_xml (Hanweb jpage dataproxy)
rows = "css:TODO table.list tr" # one match per letter: css:…, xpath:… (json:… for a JSON list)
# not_public = "xpath:./td[2][not(a)]"   # matches inside a row when the letter is not public
# cursor = "id"                 # the row field(s) ordering the list (numbers as numbers, else as text); letter
#                               # numbers repeat on real sites, so a field other than id comes with it:
#                               # cursor = ["letter_no", "id"]
# recheck = "detail"            # "list" when the status is shown on the list only

[options.list.paging]
kind = "page"                   # page | offset | records | index
# size = 15                     # rows per page (offset, records)
# first = 1                     # the first page's number (page)
# first_url = "/col/index.html" # index: page 1; page n is url with {page} = n-1
next = "xpath://a[.='下一页']"  # the list goes on while this matches (or: total = …, pages = …)
# lookback_days = 45            # read on below the cursor while pages show letters this recent (lists that show a
#                               # letter late at its old place, e.g. once answered); needs a posted_at list field

[options.list.fields]
# A rule is "css:…", "xpath:…", "id:…" (an element's id), "json:…", "regex:…", or a table such as
# { xpath = "./td[2]/a/@href", regex = "id=(\\\\d+)" }, { css = "…", optional = true }, { const = "咨询" }.
# A link only in script: { xpath = "./td[3]/a/@onclick", regex = "window\\\\.open\\\\(['\\"]([^'\\"]+)" }
id = { xpath = "./td[2]/a/@href", regex = "id=(\\\\d+)" }   # the platform's own id, never the title
link = "xpath:./td[2]/a/@href"
title = "xpath:./td[2]/a"
status = "xpath:./td[5]"

[options.detail]
# url = "/TODO/detail.jsp?id={id}"  # instead of the row's link; placeholders {id} {board}
# not_public = "css:div.notice"     # the page says the letter is not public
# not_public_statuses = [302, 404]  # statuses meaning "not public" (a redirect back to the list)

[options.detail.labels]
# A label/value table: `cells` are the labels, the value is read from each label's element …
cells = "css:td.label"
value = "xpath:following-sibling::td[1]"
# … or is the rest of the label's own text: separator = "："

[options.detail.fields]
title = "label:标题"
body = "label:来信内容"
status = "label:办理状态"
posted_at = "label:来信时间"      # { label = "来信时间", format = "%Y年%m月%d日 %H:%M" }
# kind = "label:信件类型"
# author = { label = "来信人", optional = true }
# letter_no, region, topic, views, likes, satisfaction; attachments = { css = "a.file", attr = "href", all = true }
# overdue = { label = "是否超时", optional = true }   # the site's own verdict: 是 / 否 (see vocabulary.overdue)
# Values in elements with ids need no label table: title = "id:CaseDetail_lbl_title" (ASP.NET label controls)

[options.detail.reply]
text = { label = "回复内容", optional = true }
organisation = { label = "回复单位", optional = true }
replied_at = { label = "回复时间", optional = true }
# title = { label = "回复标题", optional = true }

# [options.vocabulary.status]   # labels the built-in vocabulary does not know: raw = canonical
# "已反馈" = "replied"          # pending | in_progress | replied | closed
# [options.vocabulary.kind]     # consult | suggest | complain | help | report | praise | other
# [options.vocabulary.satisfaction]
# "非常满意" = 5
# [options.vocabulary.overdue]  # beyond 是/否, 超时/未超时, 逾期/未逾期: raw = true | false
# "按期办结" = false
'''

TEST_SKELETON = '''"""__NAME__ (__SLUG__): the definition loads, its pages are recorded and show what the site shows.

Per-field conformance of every recorded page runs in tests/unit/test_conformance.py automatically.
"""

from __future__ import annotations

from pathlib import Path

from harvester.definition import definition_of, find_spec
from harvester.fixtures import all_cases

SLUG = "__SLUG__"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# Fill in after `harvester fixtures record __SLUG__`: the letters the site's first list page shows.
ROWS_ON_FIRST_PAGE: int | None = None


def test_definition_is_valid() -> None:
    definition = definition_of(find_spec(SLUG))
    assert definition.list.fields["id"] is not None


def test_pages_are_recorded() -> None:
    pages = {case.page for case in all_cases(FIXTURES) if case.slug == SLUG}
    assert pages == {"list", "detail"}, f"run `harvester fixtures record {SLUG}` (found {sorted(pages)})"


def test_first_list_page_shows_every_letter() -> None:
    assert ROWS_ON_FIRST_PAGE is not None, "count the letters on the site's first list page and fill it in"
    case = next(c for c in all_cases(FIXTURES) if c.slug == SLUG and c.name == "list_first_page")
    assert case.expected["rows"] == ROWS_ON_FIRST_PAGE
'''


def _fill(text: str, slug: str, name: str, base_url: str) -> str:
    return text.replace("__SLUG__", slug).replace("__NAME__", name).replace("__BASE_URL__", base_url)


def definition_text(slug: str, name: str, base_url: str) -> str:
    """A commented generic definition with TODOs; it loads (disabled) as soon as it is written."""
    return _fill(DEFINITION, slug, name, base_url)


def skeleton_text(slug: str, name: str) -> str:
    """A pytest module that fails until the pages are recorded and the first page's row count filled in."""
    return _fill(TEST_SKELETON, slug, name, "")
