"""Decoding a page as browsers do (BOM, HTTP header, <meta>/XML declaration), with detection when the
declared charset does not fit the bytes, and a note saying which charset was declared and which was used.

The reading of declarations and labels is w3lib's (installed with Scrapy, which decodes responses with it): its
resolve_encoding widens what Chinese sites declare as GB2312 or GBK but write in GBK or GB18030 to GB18030."""

from __future__ import annotations

from dataclasses import dataclass

import charset_normalizer
from w3lib.encoding import (
    html_body_declared_encoding,
    html_to_unicode,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

REPLACEMENT = "\ufffd"


@dataclass(frozen=True, slots=True)
class Decoded:
    """A page's text, the charset it was decoded with, and what the page (or the platform) declared."""

    text: str
    used: str
    declared: str | None  # None: the page declares nothing (decoded as UTF-8, or detected)
    detected: bool = False  # `used` comes from detection because `declared` did not fit

    @property
    def replacements(self) -> int:
        """Characters that could not be decoded (shown as U+FFFD)."""
        return self.text.count(REPLACEMENT)

    def note(self) -> str | None:
        """What a quarantine reason should say about the charset, or None when the declared one fitted."""
        declared = self.declared or "nothing"
        if self.detected:
            return f"charset: declared {declared}, decoded as {self.used} (detected)"
        if self.replacements:
            return (f"charset: declared {declared}, decoded as {self.used} with {self.replacements} "
                    "undecodable character(s); detection found nothing better")
        return None


def declared_charset(content_type: str | None, body: bytes) -> str | None:
    """The charset the page declares, in w3lib's order (as its html_to_unicode reads it): BOM, then the HTTP
    header, then <meta> or the XML declaration; Python's codec name as browsers read the label (GB2312/GBK widen
    to GB18030); None when it declares nothing a codec knows."""
    return read_bom(body)[0] or http_content_type_encoding(content_type) or html_body_declared_encoding(body)


def _strict(body: bytes, charset: str) -> str | None:
    try:
        return body.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return None


def _detected(body: bytes, tried: str) -> tuple[str, str] | None:
    """(charset, text) that decodes every byte, from detection, or None."""
    best = charset_normalizer.from_bytes(body).best()
    charset = resolve_encoding(best.encoding) if best is not None else None
    if charset is None or charset == tried:
        return None
    text = _strict(body, charset)
    return (charset, text) if text is not None else None


def decode(content_type: str | None, body: bytes, explicit: str | None = None) -> Decoded:
    """The page's text: with `explicit` (a platform's charset; a BOM still wins, as in browsers) or what the page
    declares (UTF-8 if nothing), decoded by w3lib's html_to_unicode; when that leaves undecodable bytes, with the
    charset detection finds if it decodes every byte. A label no codec knows is ignored, as browsers do."""
    forced = resolve_encoding(explicit) if explicit else None
    declared = forced or declared_charset(content_type, body)
    used, text = html_to_unicode(f"text/html; charset={forced}" if forced else content_type, body)
    used = resolve_encoding(used) or used
    if REPLACEMENT not in text or body.count(REPLACEMENT.encode("utf-8")) == text.count(REPLACEMENT):
        return Decoded(text=text, used=used, declared=declared)
    detected = _detected(body, used)
    if detected is None:
        return Decoded(text=text, used=used, declared=declared)
    return Decoded(text=detected[1], used=detected[0], declared=declared, detected=True)
