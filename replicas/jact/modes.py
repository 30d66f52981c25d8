"""Failure modes of the jact replica, switched by `POST /__replica__/jact/mode {"mode": ...}`.

normal     the site as usual
challenge  every page is a 加速乐-style JavaScript cookie challenge (HTTP 200, a script and nothing else) that
           nobody passes: its cookie is random and never accepted
jsl        知道创宇 加速乐 as it really behaves, solvable by a browser (replicas/jact/jsl.py): a request without a
           valid `__jsl_clearance_s` gets HTTP 521 and a script page (stage 1 sets an obfuscated cookie and
           reloads, stage 2 solves a SHA-1 puzzle for the clearance and reloads); the response sets `__jsluid_s`
           when the visitor has none. The clearance is an HMAC over (__jsluid_s, issue time, User-Agent) under a
           secret derived from the seed, valid for `jsl_ttl_s` seconds (option, default 3600) and only with the
           User-Agent that solved it; expired or foreign clearances get stage 1 again. Stats: `jsl`
           (challenges_served, challenges_solved = distinct clearances accepted, expired, rejected, passed)
captcha    every page asks for a captcha inside the site's chrome (HTTP 200)
login      every page says the session has expired and asks to log in (HTTP 200)
busy       every page is the CMS's "系统繁忙" error page (HTTP 200)
empty      the list shows no letters at all (an emptied board); detail pages still answer
lean       a template upgrade: detail pages lose the 来信人, 信件类型 and 问题类别 rows and the view counter
flaky      every third request answers 503, never twice for the same page (a retry succeeds)
"""

from __future__ import annotations

from html import escape

from replicas.jact.pages import meta_tag

MODES = ("normal", "challenge", "jsl", "captcha", "login", "busy", "empty", "lean", "flaky")
FLAKY_EVERY = 3

# The challenge spells its cookie name one character at a time, as the real one does.
_COOKIE = "".join(f"('{c}')+" for c in "__jsl_clearance_s=") + "('1732500000.123|0|' + Math.random())"
CHALLENGE = ("<html><head></head><body><script>document.cookie=" + _COOKIE
             + ";location.href=location.pathname+location.search</script></body></html>")

_MESSAGES = {
    "captcha": ('<div class="jact_verify"><p>请输入验证码后继续访问。</p>'
                '<img src="/jact/front/verifycode.jpg" alt="验证码"><input name="verifyCode"></div>'),
    "login": ('<div class="jact_login"><p>您还未登录或登录已超时，请先登录。</p>'
              '<form action="/jact/front/login.do"><input name="loginname"><input name="password" type="password">'
              "</form></div>"),
    "busy": '<div class="jact_error">系统繁忙，请稍后再试。</div>',
}


def block_page(mode: str, charset: str) -> tuple[str, dict[str, str]] | None:
    """(HTML, extra headers) a blocking mode answers every page with, or None for the other modes."""
    if mode == "challenge":
        return CHALLENGE, {"Set-Cookie": "__jsluid_h=8f3c2a9d0b1e4f5a; max-age=31536000; path=/; HttpOnly"}
    if mode not in _MESSAGES:
        return None
    page = (f"<!DOCTYPE html>\n<html>\n<head>\n{meta_tag(charset)}\n<title>提示信息</title>\n</head>\n<body>\n"
            f'<div class="jact_head"><h1>{escape("市长信箱")}</h1></div>\n<div class="jact_main">'
            f"{_MESSAGES[mode]}</div>\n</body>\n</html>\n")
    return page, {}
