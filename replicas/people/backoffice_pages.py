"""The back office's HTML: the login form and the unit's work list, which its inline JS renders."""

from __future__ import annotations

from html import escape

LOGIN = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>留言办理系统 - 登录</title></head>
<body><div class="login">
<h1>领导留言板 留言办理系统</h1>
{error}
<form id="loginForm" method="post" action="/backoffice/login">
<label>用户名 <input name="username" autocomplete="username"></label>
<label>密码 <input name="password" type="password" autocomplete="current-password"></label>
<label>动态口令 <input name="otp" inputmode="numeric" maxlength="6" placeholder="6位动态口令"></label>
<button type="submit">登录</button>
</form></div></body></html>
"""

WORKLIST = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>留言办理系统 - {unit}</title></head>
<body>
<div class="top"><span class="unit">{unit}</span>
<form method="post" action="/backoffice/logout"><button type="submit">退出</button></form></div>
<table id="messages"><thead><tr><th>编号</th><th>标题</th><th>留言时间</th><th>状态</th><th>操作</th></tr></thead>
<tbody></tbody></table>
<script>
(function () {
  var body = document.querySelector('#messages tbody'), csrf = '';
  function cell(row, text, cls) { var td = document.createElement('td'); td.textContent = text;
    if (cls) td.className = cls; row.appendChild(td); return td; }
  function when(s) { return new Date((s + 8 * 3600) * 1000).toISOString().slice(0, 16).replace('T', ' '); }
  function replyForm(row, m) {
    var tr = document.createElement('tr'), td = document.createElement('td'), form = document.createElement('form');
    tr.className = 'replyRow'; td.colSpan = 5; form.className = 'replyForm';
    form.innerHTML = '<textarea name="content" rows="4" cols="80"></textarea><button type="submit">提交回复</button>' +
      '<span class="result"></span>';
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var data = new URLSearchParams({tid: m.tid, content: form.content.value, csrf: csrf});
      fetch('/backoffice/reply', {method: 'POST', body: data, credentials: 'same-origin',
        headers: {'X-Requested-With': 'XMLHttpRequest', 'Accept': 'application/json'}})
        .then(function (r) { return r.json(); }).then(function (res) {
          form.querySelector('.result').textContent = res.code === 0 ? '回复成功（编号 ' + res.answerId + '）' : res.msg;
          if (res.code === 0) row.querySelector('.state').textContent = res.stateInfo;
        });
    });
    td.appendChild(form); tr.appendChild(td); return tr;
  }
  fetch('/backoffice/api/messages', {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
    .then(function (r) { return r.json(); }).then(function (res) {
      csrf = res.csrf;
      res.messages.forEach(function (m) {
        var row = document.createElement('tr');
        row.setAttribute('data-tid', m.tid);
        cell(row, m.tid); cell(row, m.subject, 'subject'); cell(row, when(m.dateline)); cell(row, m.stateInfo, 'state');
        var form = replyForm(row, m), button = document.createElement('button');
        button.textContent = '回复'; button.className = 'replyButton'; form.hidden = true;
        button.addEventListener('click', function () { form.hidden = !form.hidden; });
        row.appendChild(document.createElement('td')).appendChild(button);
        body.appendChild(row); body.appendChild(form);
      });
      document.body.setAttribute('data-ready', 'done');
    });
})();
</script>
</body></html>
"""


def login_page(error: str = "") -> str:
    return LOGIN.format(error=f'<p class="error">{escape(error)}</p>' if error else "")


def worklist_page(unit: str) -> str:
    return WORKLIST.replace("{unit}", escape(unit))  # not format(): the inline JS is full of braces
