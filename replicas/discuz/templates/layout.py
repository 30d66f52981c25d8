"""The page frame every Discuz page shares: head with charset, top bar (login form or member menu), footer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

from replicas.discuz.dates import DAY_MINUTE, absolute, relative
from replicas.discuz.model import User
from replicas.discuz.settings import Display

SITE_NAME = "绵州论坛"


@dataclass(frozen=True)
class Chrome:
    """What the frame needs to know about the request: charset, who is looking, their formhash, now."""

    charset: str
    viewer: User | None
    formhash: str
    now: datetime
    display: Display = Display()

    def when(self, moment: datetime, fmt: str = DAY_MINUTE) -> str:
        """dgmdate($t, 'u', …, fmt): relative for the last week when dateconvert is on; with it off Discuz
        falls back to the 'dt' format (date and minute) whatever format the template asked for."""
        if self.display.dateconvert:
            return relative(moment, self.now, fmt)
        return absolute(moment, DAY_MINUTE)

    @property
    def release(self) -> str:
        """The version the generator tag and the footer name."""
        return {"x3.4": "X3.4", "x3.5": "X3.5", "x5": "X5.0"}[self.display.version]


def page(chrome: Chrome, title: str, body: str, srhfid: int | None = None, css_id: str = "forum") -> str:
    """A full page around `body` (already HTML)."""
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={chrome.charset}" />
<title>{title} -  {SITE_NAME} -  Powered by Discuz!</title>
<meta name="generator" content="Discuz! {chrome.release}" />
<link rel="stylesheet" type="text/css" href="data/cache/style_1_common.css?K9x" />
<script type="text/javascript">var STYLEID = '1', IMGDIR = 'static/image/common', charset = '{chrome.charset}', discuz_uid = '{chrome.viewer.uid if chrome.viewer else 0}', cookiepre = '', cookiedomain = '', cookiepath = '/';</script>
<script src="data/cache/common.js?K9x" type="text/javascript"></script>
</head>
<body id="nv_forum" class="pg_{css_id}" onkeydown="if(event.keyCode==27) return false;">
<div id="toptb" class="cl"><div class="wp"><div class="z"><a href="./">设为首页</a></div><div class="y"></div></div></div>
<div id="hd"><div class="wp"><div class="hdc cl"><h2><a href="./" title="{SITE_NAME}"><img src="static/image/common/logo.png" alt="{SITE_NAME}" border="0" /></a></h2>
{_member_bar(chrome)}
</div>
{_search_bar(chrome, srhfid)}
</div></div>
<div id="wp" class="wp">
{body}
</div>
<div id="ft" class="wp cl">
<div id="flk" class="y"><p><a href="archiver/">Archiver</a><span class="pipe">|</span><a href="forum.php?mobile=yes">手机版</a></p></div>
<div id="frt"><p>Powered by <strong><a href="http://www.discuz.net" target="_blank">Discuz!</a></strong> <em>{chrome.release}</em></p>
<p class="xs0">GMT+8, {absolute(chrome.now)}</p></div>
</div>
</body>
</html>
"""


def _member_bar(chrome: Chrome) -> str:
    user = chrome.viewer
    if user is None:
        return """<form method="post" autocomplete="off" id="lsform" action="member.php?mod=logging&amp;action=login&amp;loginsubmit=yes&amp;infloat=yes&amp;lssubmit=yes" onsubmit="return lsSubmit();">
<div class="fastlg cl"><span id="return_ls" style="display:none"></span><div class="y pns"><table cellspacing="0" cellpadding="0"><tr>
<td><label for="ls_username">帐号</label></td><td><input type="text" name="username" id="ls_username" class="px vm xg1" tabindex="901" /></td>
<td><label for="ls_password" class="z psw_w">密码</label></td><td><input type="password" name="password" id="ls_password" class="px vm" autocomplete="off" tabindex="902" /></td>
<td class="fastlg_l"><button type="submit" class="pn vm" tabindex="904" style="width: 75px;"><em>登录</em></button></td>
<td>&nbsp;<a href="member.php?mod=register" class="xi2 xw1">立即注册</a></td>
</tr></table><input type="hidden" name="quickforward" value="yes" /><input type="hidden" name="handlekey" value="ls" /></div></div>
</form>"""
    name = escape(user.username)
    return f"""<div id="um"><div class="avt y"><a href="home.php?mod=space&amp;uid={user.uid}"><img src="uc_server/avatar.php?uid={user.uid}&amp;size=small" /></a></div>
<p><strong class="vwmy"><a href="home.php?mod=space&amp;uid={user.uid}" target="_blank" title="访问我的空间">{name}</a></strong>
<span class="pipe">|</span><a href="member.php?mod=logging&amp;action=logout&amp;formhash={chrome.formhash}">退出</a></p>
<p>用户组: <a href="home.php?mod=spacecp&amp;ac=usergroup" id="g_upmine">{user.group}</a></p></div>"""


def _search_bar(chrome: Chrome, srhfid: int | None) -> str:
    board = f'\n<input type="hidden" name="srhfid" value="{srhfid}" />' if srhfid is not None else ""
    return f"""<div id="scbar" class="cl"><form id="scbar_form" method="post" autocomplete="off" action="search.php?searchsubmit=yes" target="_blank">
<input type="hidden" name="mod" id="scbar_mod" value="search" />
<input type="hidden" name="formhash" value="{chrome.formhash}" />
<input type="hidden" name="srchtype" value="title" />{board}
<input type="text" name="srchtxt" id="scbar_txt" value="请输入搜索内容" autocomplete="off" x-webkit-speech speech />
<button type="submit" name="searchsubmit" id="scbar_btn" sc="1" class="pn pnc" value="true"><strong class="xi2">搜索</strong></button>
</form></div>"""


def breadcrumb(*links: tuple[str, str]) -> str:
    """div#pt: 绵州论坛 › 论坛 › category › board › thread, each an (href, text) pair."""
    trail = "".join(f' <em>&rsaquo;</em> <a href="{href}">{escape(text)}</a>' for href, text in links)
    return (f'<div id="pt" class="bm cl"><div class="z"><a href="./" class="nvhm" title="首页">{SITE_NAME}</a>'
            f'<em>&raquo;</em><a href="forum.php">论坛</a>{trail}</div></div>')


def showmessage(chrome: Chrome, text: str, ok: bool = False) -> str:
    """The full-page notice Discuz shows for refusals and confirmations (HTTP 200 either way)."""
    body = f"""<div id="ct" class="wp cl w"><div class="nfl"><div class="f_c altw">
<div id="messagetext" class="{'alert_right' if ok else 'alert_error'}"><p>{escape(text)}</p>
<p class="alert_btnleft"><a href="javascript:history.back()">[ 点击这里返回上一页 ]</a></p></div>
</div></div></div>"""
    return page(chrome, "提示信息", body, css_id="misc")
