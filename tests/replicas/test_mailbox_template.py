"""The mailbox replicas' template control: one renamed label or class changes the served pages, reset restores
them byte for byte, and the JSON list API and letter data stay as they were."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.replicahost import control, replica_process

BEIJING_LIST = "/default/com.web.complain.complain.moreNewComplain.biz.ext"
HANWEB_PROXY = "/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=45&perpage=15"


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with replica_process(tmp_path_factory.mktemp("sites"), ["tianjin", "hanweb_proxy", "beijing12345"]) as urls:
        yield urls


@pytest.fixture
def reset(sites: dict[str, str]) -> Iterator[None]:
    yield
    for name, url in sites.items():
        control(url, f"{name}/template", {"reset": True})


def body(url: str, form: dict[str, str] | None = None) -> bytes:
    data = None if form is None else urllib.parse.urlencode(form).encode()
    with urllib.request.urlopen(url, data=data, timeout=10) as response:  # noqa: S310 - loopback only
        return bytes(response.read())


def first_public(base: str, name: str) -> dict[str, Any]:
    return next(x for x in control(base, f"{name}/letters") if x["public"] and x["reply"])


def test_a_renamed_label_changes_the_gbk_page_and_reset_restores_it(sites: dict[str, str], reset: None) -> None:
    base = sites["tianjin"]
    letter = first_public(base, "tianjin")
    before = body(base + letter["detail_path"])
    state = control(base, "tianjin/template", {"rename": {"发表人": "留言人"}})
    assert state == {"rename": {"发表人": "留言人"}, "class": {}}
    after = body(base + letter["detail_path"])
    assert "留言人".encode("gbk") in after and "发表人".encode("gbk") not in after
    assert after.replace("留言人".encode("gbk"), "发表人".encode("gbk")) == before  # nothing else moved
    assert letter["title"].encode("gbk") in after
    assert control(base, "tianjin/template") == state  # GET shows what is in force
    control(base, "tianjin/template", {"reset": True})
    assert body(base + letter["detail_path"]) == before


def test_a_renamed_class_reaches_the_xml_list_and_the_article(sites: dict[str, str], reset: None) -> None:
    base = sites["hanweb_proxy"]
    form = {"columnid": "1229", "unitid": "5735"}
    letter = first_public(base, "hanweb_proxy")
    control(base, "hanweb_proxy/template", {"class": {"bt-data-time": "bt-date", "td_label": "label"}})
    listing = body(base + HANWEB_PROXY, form).decode()
    assert 'class="bt-date"' in listing and "bt-data-time" not in listing
    article = body(base + letter["detail_path"]).decode()
    assert '<td class="label">来信时间</td>' in article and "td_label" not in article
    assert '<td class="td_value">' in article
    control(base, "hanweb_proxy/template", {"reset": True, "class": {"bt-data": "bt-x"}})  # a prefix of a class
    listing = body(base + HANWEB_PROXY, form).decode()
    assert 'class="bt-data-time"' in listing and "bt-x" not in listing  # only whole class names are renamed


def test_the_json_list_api_is_not_a_template(sites: dict[str, str], reset: None) -> None:
    base = sites["beijing12345"]
    form = {"PageCond/begin": "0", "PageCond/length": "6", "PageCond/isCount": "true"}
    before = body(base + BEIJING_LIST, form)
    letter = json.loads(before)["newComplainnList"][0]
    control(base, "beijing12345/template", {"rename": {letter["letterTitle"]: "改过的标题"}})
    assert body(base + BEIJING_LIST, form) == before


@pytest.mark.parametrize("payload", [{"renames": {"a": "b"}}, {"rename": {"来信时间": ""}}, {"class": {"a b": "c"}},
                                     ["reset"]])
def test_a_malformed_edit_is_refused_and_changes_nothing(sites: dict[str, str], reset: None,
                                                          payload: Any) -> None:
    base = sites["tianjin"]
    control(base, "tianjin/template", {"rename": {"发表人": "留言人"}})
    with pytest.raises(urllib.error.HTTPError) as refused:
        control(base, "tianjin/template", payload)
    assert refused.value.code == 400 and "error" in json.loads(refused.value.read())
    assert control(base, "tianjin/template") == {"rename": {"发表人": "留言人"}, "class": {}}
