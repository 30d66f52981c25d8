"""Links as a Discuz site with URL rewriting on prints them (forum-F-P.html, thread-T-P-1.html)."""

from __future__ import annotations

from urllib.parse import quote


def board(fid: int, page: int = 1) -> str:
    return f"forum-{fid}-{page}.html"


def board_filtered(fid: int, page: int, query: str) -> str:
    """Filtered lists keep the dynamic form: the rewrite rules only cover plain fid/page links."""
    return f"forum.php?mod=forumdisplay&amp;fid={fid}&amp;{query}&amp;page={page}"


def type_filter(fid: int, typeid: int) -> str:
    return f"forum.php?mod=forumdisplay&amp;fid={fid}&amp;filter=typeid&amp;typeid={typeid}"


def thread(tid: int, page: int = 1) -> str:
    return f"thread-{tid}-{page}-1.html"


def last_post(tid: int) -> str:
    return f"forum.php?mod=redirect&amp;tid={tid}&amp;goto=lastpost#lastpost"


def find_post(tid: int, pid: int) -> str:
    return f"forum.php?mod=redirect&amp;goto=findpost&amp;ptid={tid}&amp;pid={pid}"


def space(uid: int) -> str:
    return f"space-uid-{uid}.html"


def space_by_name(username: str, charset: str) -> str:
    """rawurlencode() of the name's bytes in the site charset, as the template prints lastposterenc."""
    return f"home.php?mod=space&amp;username={quote(username, encoding=charset)}"
