"""The front-end bundle served as /pcjs/app.<hash>.js: vanilla JS that signs its API calls and renders."""

from __future__ import annotations

# md5 over UTF-8 bytes (params may hold Chinese search words), then the app: sign, fetch, render.
APP_JS = r"""/*! app bundle: liuyan replica front end */
(function () {
  'use strict';
  var S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21], K = [];
  for (var k = 0; k < 64; k++) K[k] = Math.floor(Math.abs(Math.sin(k + 1)) * 4294967296) | 0;
  function md5(text) {
    var bytes = new TextEncoder().encode(text), n = bytes.length, blocks = ((n + 8) >> 6) + 1;
    var w = new Array(blocks * 16).fill(0), h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476], i;
    for (i = 0; i < n; i++) w[i >> 2] |= bytes[i] << ((i % 4) * 8);
    w[n >> 2] |= 0x80 << ((n % 4) * 8);
    w[blocks * 16 - 2] = n * 8;
    for (var b = 0; b < w.length; b += 16) {
      var a = h[0], x = h[1], c = h[2], d = h[3];
      for (i = 0; i < 64; i++) {
        var r = i >> 4, f, g;
        if (r === 0) { f = (x & c) | (~x & d); g = i; }
        else if (r === 1) { f = (d & x) | (~d & c); g = (5 * i + 1) % 16; }
        else if (r === 2) { f = x ^ c ^ d; g = (3 * i + 5) % 16; }
        else { f = c ^ (x | ~d); g = (7 * i) % 16; }
        var t = d, s = S[r * 4 + (i % 4)], y = (a + f + K[i] + w[b + g]) | 0;
        d = c; c = x; x = (x + ((y << s) | (y >>> (32 - s)))) | 0; a = t;
      }
      h[0] = (h[0] + a) | 0; h[1] = (h[1] + x) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
    }
    var out = '';
    for (i = 0; i < 16; i++) out += ('0' + ((h[i >> 2] >>> ((i % 4) * 8)) & 255).toString(16)).slice(-2);
    return out;
  }

  var config = window.SITE_CONFIG || {}, token = '';
  function signature(path, param) {
    return md5(path.split('?')[0] + param + md5(config.appCode).slice(0, 16) + token);
  }
  function api(path, params) {
    var param = JSON.stringify(params);
    var body = {appCode: config.appCode, token: token, signature: signature(path, param), param: param};
    return fetch(path, {
      method: 'POST', credentials: 'same-origin', body: JSON.stringify(body),
      headers: {'Content-Type': 'application/json;charset=UTF-8', 'Accept': 'application/json, text/plain, */*',
                'token': token}
    }).then(function (resp) { return resp.text(); })
      .then(function (text) { return text ? JSON.parse(text) : {code: 'EMPTY'}; });
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function two(v) { return (v < 10 ? '0' : '') + v; }
  function when(seconds) {  // shown in Beijing time whatever the browser's zone
    var d = new Date((seconds + 8 * 3600) * 1000);
    return d.getUTCFullYear() + '-' + two(d.getUTCMonth() + 1) + '-' + two(d.getUTCDate()) + ' ' +
      two(d.getUTCHours()) + ':' + two(d.getUTCMinutes());
  }
  function query(name) { return new URLSearchParams(location.search).get(name); }
  function notFound(root) {
    root.innerHTML = '';
    root.appendChild(el('div', 'notFound', '页面找不到了！'));
    root.setAttribute('data-ready', 'notfound');
  }

  function listItem(item) {
    var li = el('li'), head = el('div', 'tabList'), h1 = el('h1'), link = el('a', null, item.subject);
    li.setAttribute('data-tid', item.tid);
    link.href = '/threads/content?tid=' + item.tid;
    h1.appendChild(link); head.appendChild(h1); head.appendChild(el('span', 'stateInfo', item.stateInfo));
    var meta = el('div', 'headMainS');
    meta.appendChild(el('p', null, when(item.dateline)));
    meta.appendChild(el('span', 'typeName', item.typeName + ' · ' + item.domainName));
    var body = el('p', 'replyContent');
    body.appendChild(el('span', null, item.content));
    li.appendChild(head); li.appendChild(meta); li.appendChild(body);
    return li;
  }

  var ROWS = 10;
  function renderList(root) {
    var fid = query('fid') || '', kind = root.getAttribute('data-kind') || 'df', lastItem = '';
    var list = el('ul', 'replyList'), more = el('div', 'mordList', '查看更多');
    more.style.display = 'none';
    root.appendChild(list); root.appendChild(more);
    function load() {
      var params = {fid: fid, showUnAnswer: 1, typeId: 5, lastItem: lastItem, position: kind === 'bw' ? 1 : 0,
                    rows: ROWS, orderType: 2};
      return api('/v1/threads/list/' + kind, params).then(function (res) {
        if (res.code !== 0) { root.setAttribute('data-ready', 'error:' + res.code); return; }
        var data = res.resultData.data, full = data.length >= ROWS;
        data.forEach(function (item) { list.appendChild(listItem(item)); });
        // the next page starts below the last item shown; a page shorter than asked is the last one
        if (data.length) lastItem = String(data[data.length - 1].tid);
        more.style.display = full ? '' : 'none';
        root.setAttribute('data-ready', full ? 'more' : 'end');
      });
    }
    more.addEventListener('click', function () { root.setAttribute('data-ready', 'loading'); load(); });
    load();
  }

  function renderContent(root) {
    var tid = query('tid') || '';
    if (!/^\d+$/.test(tid)) { notFound(root); return; }
    api('/v1/threads/content', {tid: tid, fromTrash: 0}).then(function (res) {
      var entries = res.code === 0 && res.resultData ? res.resultData.contentList : [];
      function isMessage(e) { return e.dataType === undefined ? !('organization' in e) : e.dataType === 1; }
      function isReply(e) { return e.dataType === undefined ? 'organization' in e : e.dataType === 4; }
      function posted(e) { return e.dateline !== undefined ? e.dateline : e.createDateline; }
      var message = entries.filter(isMessage)[0];
      if (!message) { notFound(root); return; }
      var box = el('div', 'replyInfo');
      box.appendChild(el('p', 'forumName', '留言对象：' + message.forumName));
      box.appendChild(el('h1', 'title', message.subject));
      box.appendChild(el('p', 'typeNameD', message.tags.join(' · ')));
      box.appendChild(el('p', 'stateInfo', message.stateInfo));
      box.appendChild(el('p', 'headMainS', message.nickName + '  ' + when(posted(message))));
      box.appendChild(el('p', 'detailContent', message.content));
      root.appendChild(box);
      entries.filter(isReply)
        .sort(function (a, b) { return posted(a) - posted(b); })
        .forEach(function (reply) {
          var block = el('div', 'replyOrg');
          block.appendChild(el('h4', null, reply.organization));
          block.appendChild(el('p', 'replyTime', when(posted(reply))));
          block.appendChild(el('p', 'replyText', reply.content));
          root.appendChild(block);
        });
      root.setAttribute('data-ready', 'done');
    });
  }

  function renderSearch(root) {
    var list = el('ul', 'replyList'), params = {position: 0, keywords: query('keywords') || '', fid: null,
      domainId: null, typeId: null, timeRange: null, ansChecked: false, stTime: null, sortType: '0', page: 1,
      rows: 10};
    root.appendChild(list);
    api('/v2/threads/search?sortType=0', params).then(function (res) {
      if (res.code !== 0) { root.setAttribute('data-ready', 'error:' + res.code); return; }
      res.data.data.forEach(function (item) {
        list.appendChild(listItem(Object.assign({dateline: item.createDateline}, item)));
      });
      root.setAttribute('data-ready', 'done');
    });
  }

  var root = document.getElementById('app'), page = root && root.getAttribute('data-page');
  if (page === 'search') renderSearch(root);
  if (page === 'list') renderList(root);
  if (page === 'content') renderContent(root);
})();
"""
