"""A recorded page: everything a page object may look at, and nothing it could fetch."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from harvester.timeutil import require_aware

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_XML_CHARSET = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*([A-Za-z0-9_\-]+)", re.IGNORECASE)

# Chinese sites declare gb2312 but write GBK (and sometimes GB18030) characters: decode with the superset.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "x-gbk": "gb18030"}


def declared_encoding(headers: dict[str, str], body: bytes) -> str:
    """The charset a page declares: HTTP header first, then <meta>/XML declaration, else UTF-8."""
    content_type = headers.get("content-type", "")
    found = _HEADER_CHARSET.search(content_type)
    raw = found.group(1) if found else None
    if raw is None:
        head = body[:2048]
        match = _META_CHARSET.search(head) or _XML_CHARSET.search(head)
        raw = match.group(1).decode("ascii") if match else "utf-8"
    name = raw.lower()
    return _SUPERSETS.get(name, name)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One fetched page: URL, status, headers (lower-cased names), raw bytes, and when it was fetched."""

    url: str
    status: int
    body: bytes
    fetched_at: datetime
    headers: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None

    def __post_init__(self) -> None:
        require_aware(self.fetched_at)

    @property
    def charset(self) -> str:
        """The encoding to decode with: an explicit one, else what the page declares."""
        return self.encoding or declared_encoding(self.headers, self.body)

    @property
    def text(self) -> str:
        """The body decoded with the page's charset; undecodable bytes become U+FFFD."""
        return self.body.decode(self.charset, errors="replace")
