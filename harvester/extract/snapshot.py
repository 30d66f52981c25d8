"""A recorded page: everything a page object may look at, and nothing it could fetch."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime

from harvester.extract.charset import Decoded, declared_charset, decode
from harvester.timeutil import require_aware


def declared_encoding(headers: dict[str, str], body: bytes) -> str:
    """The charset a page declares (BOM, HTTP header, <meta>/XML declaration, read by w3lib), else UTF-8;
    GB2312/GBK widened to GB18030."""
    return declared_charset(headers.get("content-type"), body) or "utf-8"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One fetched page: URL, status, headers (lower-cased names), raw bytes, and when it was fetched."""

    url: str
    status: int
    body: bytes
    fetched_at: datetime
    headers: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    full_size: int | None = None  # set on a bounded copy: the size of the body as it was fetched
    full_sha256: str | None = None  # set on a bounded copy: the SHA-256 of the whole body
    _decoded: Decoded | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        require_aware(self.fetched_at)

    @property
    def decoded(self) -> Decoded:
        """The body decoded as a browser would (see harvester.extract.charset); computed once."""
        if self._decoded is None:
            object.__setattr__(self, "_decoded", decode(self.headers.get("content-type"), self.body, self.encoding))
        assert self._decoded is not None
        return self._decoded

    @property
    def charset(self) -> str:
        """The charset the text was decoded with: an explicit one or the declared one, unless detection found
        that the declared one does not fit the bytes."""
        return self.decoded.used

    @property
    def text(self) -> str:
        """The body decoded; bytes no charset could decode become U+FFFD."""
        return self.decoded.text

    @property
    def size(self) -> int:
        """Bytes of the body as fetched (of the whole body, also on a bounded copy)."""
        return self.full_size if self.full_size is not None else len(self.body)

    @property
    def sha256(self) -> str:
        """SHA-256 of the body as fetched (of the whole body, also on a bounded copy)."""
        return self.full_sha256 or hashlib.sha256(self.body).hexdigest()

    def bounded(self, limit: int) -> Snapshot:
        """This page with at most the first `limit` bytes of its body, keeping the whole body's size, SHA-256 and
        charset (the prefix is decoded with the charset the whole body was decoded with)."""
        if len(self.body) <= limit:
            return self
        decoded = self.decoded
        cut = replace(self, body=self.body[:limit], full_size=self.size, full_sha256=self.sha256)
        text = self.body[:limit].decode(decoded.used, errors="replace")
        object.__setattr__(cut, "_decoded", replace(decoded, text=text))
        return cut
