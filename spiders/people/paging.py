"""When a 领导留言板 board list has ended. Pure.

Public crawlers of both list APIs page the same way: the next call's `lastItem` is the last item's tid, and the list
has ended on a short page (or an empty one). None reads a cursor field of the answer, so neither do we. What "short"
means needs care: the site may answer fewer items than `rows` asks for on every page (queryThreadsList answers about
10 whatever `pageSize` says; the signed list's cap is unknown). A page shorter than asked ends the list only when the
site has already filled a bigger page for this API in this crawl; until then one more call tells (an empty page ends
it). So a cap below `rows` costs at most one extra call per crawl and never a lost page.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def list_ended(count: int, asked: int | None, largest_before: int) -> bool:
    """Whether a page of `count` items is the board's last. `asked`: the rows the call asked for (None when not
    known, e.g. the site's own bundle asked: then only an empty page ends it); `largest_before`: the most items
    one page of this API has held so far in the crawl."""
    if count == 0:
        return True
    if asked is None or count >= asked:
        return False
    return count < largest_before


@dataclass
class PageSizes:
    """The largest page each list API (df, bw, form) has answered in this crawl."""

    largest: dict[str, int] = field(default_factory=dict)

    def ended(self, api: str, count: int, asked: int | None) -> bool:
        """Judge a page (against the pages before it), then remember its size."""
        done = list_ended(count, asked, self.largest.get(api, 0))
        self.largest[api] = max(self.largest.get(api, 0), count)
        return done
