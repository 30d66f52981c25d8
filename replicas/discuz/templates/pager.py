"""Discuz's multi(): the div.pg pager with a 10-page window, 'first'/'last' jumps and 下一页."""

from __future__ import annotations

from collections.abc import Callable

WINDOW = 10


def pages_for(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def multi(total: int, per_page: int, current: int, href: Callable[[int], str]) -> str:
    """The pager for `total` items, or "" when one page holds them all (Discuz prints nothing then).

    a.last ('... N') appears only when the window does not reach the last page, a.first ('1 ...') only
    when it has moved past the first: a client should follow a.nxt rather than count on a.last.
    """
    if total <= per_page:
        return ""
    pages = pages_for(total, per_page)
    current = min(max(current, 1), pages)
    start, end = _window(current, pages)
    parts = []
    if current - WINDOW // 2 > 1 and pages > WINDOW:
        parts.append(f'<a href="{href(1)}" class="first">1 ...</a>')
    if current > 1:
        parts.append(f'<a href="{href(current - 1)}" class="prev">&nbsp;&nbsp;</a>')
    for number in range(start, end + 1):
        parts.append(f"<strong>{number}</strong>" if number == current else f'<a href="{href(number)}">{number}</a>')
    if end < pages:
        parts.append(f'<a href="{href(pages)}" class="last">... {pages}</a>')
    parts.append(f'<label><input type="text" name="custompage" class="px" size="2" title="输入页码，按回车快速跳转" '
                 f'value="{current}" /><span title="共 {pages} 页"> / {pages} 页</span></label>')
    if current < pages:
        parts.append(f'<a href="{href(current + 1)}" class="nxt">下一页</a>')
    return f'<div class="pg">{"".join(parts)}</div>'


def _window(current: int, pages: int) -> tuple[int, int]:
    if WINDOW > pages:
        return 1, pages
    start = current - WINDOW // 2
    end = start + WINDOW - 1
    if start < 1:
        return 1, WINDOW
    if end > pages:
        return pages - WINDOW + 1, pages
    return start, end
