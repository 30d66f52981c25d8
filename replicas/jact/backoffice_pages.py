"""HTML of the jact back office: login form, letter-list shell (filled by script), reply form and results."""

from __future__ import annotations

from html import escape

from replicas.jact.letters import Letter, UnitReply

# The list arrives from the JSON API after load, as in the real back office; an expired session sends the
# script back to the login page.
LIST_SCRIPT = """<script>
fetch('/jact/admin/api/letters', {credentials: 'same-origin'}).then(function (r) {
  if (r.status === 401) { location.href = 'login.do'; return null; }
  return r.json();
}).then(function (data) {
  if (!data) { return; }
  var body = document.querySelector('#letters tbody');
  data.rows.forEach(function (row) {
    var tr = document.createElement('tr');
    tr.className = 'letter-row';
    tr.setAttribute('data-transact-id', row.transactId);
    var cells = [row.letter_no, null, row.status, row.answered ? '已回复' : '未回复'];
    cells.forEach(function (text, i) {
      var td = document.createElement('td');
      if (i === 1) {
        var a = document.createElement('a');
        a.href = 'reply.do?transactId=' + row.transactId;
        a.textContent = row.title;
        td.appendChild(a);
      } else { td.textContent = text; }
      tr.appendChild(td);
    });
    body.appendChild(tr);
  });
  document.getElementById('total').textContent = data.total;
});
</script>"""

COUNTER_SCRIPT = """<script>
var box = document.querySelector('textarea[name=content]');
function count() { document.getElementById('wordCount').textContent = box.value.length; }
box.addEventListener('input', count); count();
</script>"""


def _layout(title: str, content: str, unit: str | None = None) -> str:
    who = (f'<div class="admin_user">当前单位：<span id="currentUnit">{escape(unit)}</span> '
           '<a href="/jact/admin/logout.do">退出</a></div>') if unit else ""
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        f'<title>{escape(title)} - 市长信箱办理系统</title>\n'
        '<link rel="stylesheet" href="/jact/admin/css/admin.css">\n</head>\n<body>\n'
        f'<div class="admin_head"><h1>市长信箱办理系统</h1>{who}</div>\n'
        f'<div class="admin_main">\n{content}\n</div>\n'
        '<div class="admin_foot">技术支持：大汉网络</div>\n</body>\n</html>\n'
    )


def _tip(message: str, kind: str) -> str:
    return f'<div class="jact_tip {kind}" id="tip">{escape(message)}</div>' if message else ""


def login_page(error: str = "", username: str = "") -> str:
    """login.do: user name, password and the 6-digit 动态口令 of the unit's token."""
    form = (
        '<form id="loginForm" method="post" action="/jact/admin/login.do">\n'
        f'<p><label>用户名：<input type="text" name="username" value="{escape(username)}"></label></p>\n'
        '<p><label>密码：<input type="password" name="password"></label></p>\n'
        '<p><label>动态口令：<input type="text" name="dynamicCode" maxlength="6" autocomplete="off">'
        '</label></p>\n<p><button type="submit" id="loginBtn">登录</button></p>\n</form>'
    )
    return _layout("用户登录", f'<div class="login_box"><h2>用户登录</h2>{_tip(error, "error")}{form}</div>')


def index_page(unit: str) -> str:
    """index.do: an empty table the script fills from api/letters."""
    content = (
        '<h2>待办信件</h2><p>共<span id="total">0</span>件</p>\n'
        '<table id="letters" class="admin_table"><thead><tr><th>信件编号</th><th>标题</th><th>状态</th>'
        f'<th>回复情况</th></tr></thead><tbody></tbody></table>\n{LIST_SCRIPT}'
    )
    return _layout("待办信件", content, unit)


def _reply_item(reply: UnitReply) -> str:
    # pre-wrap keeps the unit's line breaks, so the text reads back exactly as it was stored
    return (f'<li class="reply" data-reply-id="{escape(reply.reply_id)}">'
            f'<span class="reply-unit">{escape(reply.unit)}</span> '
            f'<span class="reply-time">{reply.replied_at:%Y-%m-%d %H:%M:%S}</span>'
            f'<div class="reply-content" style="white-space: pre-wrap">{escape(reply.text)}</div></li>')


def _letter_block(letter: Letter) -> str:
    facts = (("信件编号", letter.letter_no), ("信件标题", letter.title), ("来信人", letter.author),
             ("来信时间", f"{letter.posted_at:%Y-%m-%d %H:%M:%S}"), ("处理状态", letter.status))
    rows = "".join(f"<tr><th>{label}</th><td>{escape(value)}</td></tr>" for label, value in facts)
    body = f'<tr><th>信件内容</th><td class="letter-body" style="white-space: pre-wrap">{escape(letter.body)}</td></tr>'
    return f'<table id="letter" class="admin_table">{rows}{body}</table>'


def reply_page(unit: str, letter: Letter, csrf: str, error: str = "", content: str = "") -> str:
    """reply.do: the letter, its replies so far and the reply form (with the refusal and the text kept)."""
    replies = "".join(_reply_item(reply) for reply in letter.replies())
    listing = f'<ul id="replies">{replies}</ul>' if replies else '<ul id="replies"></ul><p class="none">暂无回复</p>'
    form = (
        f'<form id="replyForm" method="post" action="/jact/admin/reply.do?transactId={letter.transact_id}">\n'
        f'<input type="hidden" name="csrfToken" value="{escape(csrf)}">\n'
        f'<textarea name="content" rows="10" cols="80">{escape(content)}</textarea>\n'
        '<p>已输入<span id="wordCount">0</span>字（不超过2000字）</p>\n'
        '<button type="submit" id="submitBtn">提交回复</button>\n</form>'
    )
    page = (f'<h2>信件办理</h2>{_letter_block(letter)}<h3>回复记录</h3>{listing}'
            f'<h3>回复</h3>{_tip(error, "error")}{form}\n{COUNTER_SCRIPT}')
    return _layout("信件办理", page, unit)


def reply_done_page(unit: str, letter: Letter, reply: UnitReply) -> str:
    """The answer to a stored reply: 回复成功 and the new reply's id."""
    content = (f'<div class="jact_tip success" id="tip">回复成功，回复编号：<span id="replyId">{escape(reply.reply_id)}'
               f'</span></div><p><a href="/jact/admin/reply.do?transactId={letter.transact_id}">返回信件</a> '
               '<a href="/jact/admin/index.do">返回列表</a></p>')
    return _layout("回复成功", content, unit)


def message_page(message: str, unit: str | None = None) -> str:
    """A bare notice (no permission, unknown letter, expired form)."""
    return _layout("提示信息", _tip(message, "error") + '<p><a href="/jact/admin/index.do">返回列表</a></p>', unit)


def busy_page() -> str:
    """What the application answers when it turns a request away before doing anything (503)."""
    return _layout("系统繁忙", _tip("系统繁忙，请稍后再试", "error"))


def too_many_page() -> str:
    """What the application's rate limit answers (429) when it turns a request away before doing anything."""
    return _layout("操作过于频繁", _tip("您的操作过于频繁，请稍后再试", "error"))


GATEWAY_TIMEOUT = ("<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n"
                   "<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n"
                   "</html>\r\n")
BAD_GATEWAY = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
               "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
