"""What Chromium fetches on a harvest: the site's own documents, scripts and calls; never images, fonts, media or
another host's requests."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.playwright_settings import CHROMIUM_ARGS, AbortRequest, playwright_settings


@dataclass
class Sent:
    url: str
    resource_type: str


def test_the_site_s_pages_scripts_and_calls_go_through() -> None:
    abort = AbortRequest("http://127.0.0.1:8603")
    for sent in (Sent("http://127.0.0.1:8603/threads/list?fid=1", "document"),
                 Sent("http://127.0.0.1:8603/pcjs/app.0a1b2c3d.js", "script"),
                 Sent("http://127.0.0.1:8603/v1/threads/content", "fetch")):
        assert not abort(sent), sent


def test_heavy_resources_and_other_hosts_are_aborted() -> None:
    abort = AbortRequest("http://127.0.0.1:8603")
    for sent in (Sent("http://127.0.0.1:8603/logo.png", "image"), Sent("http://127.0.0.1:8603/a.woff2", "font"),
                 Sent("http://127.0.0.1:8604/v1/threads/content", "fetch"),  # another port is another site
                 Sent("https://hm.baidu.com/hm.js?abc", "script")):
        assert abort(sent), sent


def test_a_harvest_s_settings_abort_for_its_site_and_bound_the_renderers() -> None:
    settings = playwright_settings(site="https://liuyan.people.com.cn")
    assert settings["PLAYWRIGHT_ABORT_REQUEST"](Sent("https://cdn.example.com/x.js", "script"))
    assert not settings["PLAYWRIGHT_ABORT_REQUEST"](Sent("https://liuyan.people.com.cn/x.js", "script"))
    assert any(arg.startswith("--renderer-process-limit=") for arg in settings["PLAYWRIGHT_LAUNCH_OPTIONS"]["args"])
    assert "--renderer-process-limit=2" in CHROMIUM_ARGS
