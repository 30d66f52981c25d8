"""Recognise HTTP 200 pages that are not data: anti-bot challenges, captchas, login walls and error pages."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree, html

from harvester.extract.snapshot import Snapshot

# Citizens write "没收到验证码", "请登录12345平台" and "热线总是系统繁忙" too, and a letter's title is often the page's
# <title>. So wording only decides for a page that did not parse as data (or parsed as an empty list), and only
# when the page is short: a challenge or login page in site chrome has a few lines, a page of data has more.
SHORT_TEXT = 800
# A page that only sets a cookie and reloads itself is a JavaScript challenge whatever its wording.
BARE_TEXT = 200

# Scripts a WAF serves instead of the page: never part of a page of data or of a citizen's text. (Cookies are
# no sign: 加速乐 sets __jsluid_h on ordinary pages too.)
CHALLENGES: tuple[re.Pattern[str], ...] = (
    re.compile(r"__jsl_clearance"),  # 知道创宇 加速乐
    re.compile(r"yunsuo_session_verify|security_session_verify"),  # 云锁
    re.compile(r"WZWS_CONFIRM_PREFIX_LABEL|wzwschallenge", re.IGNORECASE),  # 360 网站卫士
    re.compile(r"cf-chl-|cf_chl_opt|/cdn-cgi/challenge-platform"),  # Cloudflare "Just a moment"
    re.compile(r"waf\.safedog\.cn|_waf_verify", re.IGNORECASE),  # 安全狗 and look-alikes
)
# Lower-case pieces, one of which is in every text a CHALLENGES pattern matches: a page holding none of them
# (nearly every page of data) skips the five scans. Keep in step with CHALLENGES (a test checks each marker).
CHALLENGE_HINTS = ("jsl_clearance", "session_verify", "wzws", "cf-chl-", "cf_chl_opt", "challenge-platform",
                   "safedog", "_waf_verify")
# Captcha widgets: a site may load them on every page for its write-a-letter form, so they only decide for a
# page that did not parse as data.
WIDGETS = re.compile(r"geetest|TencentCaptcha|nc_1_wrapper|slideVerify|captcha\.js|captcha\.(?:jpg|png|do|action)",
                     re.IGNORECASE)

# What the page is about, as its title or its few lines of text say it (first match wins, in this order).
PHRASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("challenge", ("访问被拦截", "访问已被拦截", "请求被拦截", "访问过于频繁", "访问频率过快", "浏览器安全检查",
                   "安全验证", "请开启JavaScript", "请启用JavaScript", "Just a moment", "Access Denied")),
    ("captcha", ("请输入验证码", "验证码", "滑动验证", "拖动滑块", "人机验证", "请完成验证")),
    ("login", ("请先登录", "请登录", "登录超时", "登录已过期", "会话已过期", "您还未登录", "未登录或登录已失效")),
    ("error", ("系统繁忙", "服务器繁忙", "请稍后再试", "请稍后重试", "系统维护", "系统升级", "服务暂不可用",
               "Service Unavailable", "数据库连接失败", "系统异常", "系统错误")),
)
_COOKIE_SET = re.compile(r"document\.cookie\s*=")
_RELOAD = re.compile(r"location\.(?:reload|href|replace|assign)|window\.location\s*=")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class SoftBlock:
    """Why a page is not data: its `kind` (challenge, captcha, login, error) and the marker that said so."""

    kind: str
    marker: str

    def describe(self) -> str:
        return f"soft block: {self.kind} page ({self.marker})"


def visible_text(markup: str) -> str:
    """The text a reader sees (scripts, styles and comments dropped), whitespace collapsed."""
    try:
        root = html.document_fromstring(markup)
    except (etree.ParserError, ValueError):
        return ""
    etree.strip_elements(root, "script", "style", "noscript", etree.Comment, with_tail=False)
    return " ".join("".join(root.itertext()).split())


def _phrase(text: str) -> SoftBlock | None:
    for kind, phrases in PHRASES:
        for phrase in phrases:
            if phrase in text:
                return SoftBlock(kind, phrase)
    return None


def detect_soft_block(snapshot: Snapshot, unparsed: bool = False) -> SoftBlock | None:
    """The soft block this page is, or None when it may be data. Pure: looks only at the snapshot.

    WAF challenge scripts (and a short page that only sets a cookie and reloads) always count. Captcha widgets
    and wording (验证码, 请登录, 系统繁忙 …) count only when `unparsed` is true — the page did not parse as data
    or parsed as an empty list — and the page is short.
    """
    markup = snapshot.text
    lowered = markup.lower()
    if any(hint in lowered for hint in CHALLENGE_HINTS):
        for pattern in CHALLENGES:
            found = pattern.search(markup)
            if found:
                return SoftBlock("challenge", found.group(0))
    if ("cookie" in lowered and _COOKIE_SET.search(markup) and _RELOAD.search(markup)
            and len(visible_text(markup)) < BARE_TEXT):
        return SoftBlock("challenge", "cookie-setting reload script")
    if not unparsed:
        return None  # the common case costs two regex scans, no extra parse
    text = visible_text(markup)
    if len(text) >= SHORT_TEXT:
        return None
    widget = WIDGETS.search(markup)
    if widget:
        return SoftBlock("captcha", widget.group(0))
    title = _TITLE.search(markup)
    return _phrase(" ".join(title.group(1).split()) if title else "") or _phrase(text)
