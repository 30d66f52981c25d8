"""Decoding a page as browsers do (BOM, HTTP header, <meta>/XML declaration), with detection when the
declared charset does not fit the bytes, and a note saying which charset was declared and which was used."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

import charset_normalizer
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding, read_bom

REPLACEMENT = "\ufffd"
# Chinese sites declare gb2312 but write GBK (and sometimes GB18030) characters: decode with the superset.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "x-gbk": "gb18030"}


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


def canonical(name: str) -> str:
    """Python's codec name for a charset label (GB2312/GBK widened to GB18030); unknown labels kept as given."""
    lowered = name.strip().lower()
    if lowered in _SUPERSETS:
        return _SUPERSETS[lowered]
    try:
        return _SUPERSETS.get(codecs.lookup(lowered).name, codecs.lookup(lowered).name.replace("_", "-"))
    except LookupError:
        return lowered


def declared_charset(content_type: str | None, body: bytes) -> str | None:
    """The charset the page declares: BOM, then the HTTP header, then <meta> or the XML declaration."""
    bom, _ = read_bom(body)
    found = bom or http_content_type_encoding(content_type) or html_body_declared_encoding(body)
    return canonical(found) if found else None


def _strict(body: bytes, charset: str) -> str | None:
    try:
        return body.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return None


def _detected(body: bytes, tried: str) -> tuple[str, str] | None:
    """(charset, text) that decodes every byte, from detection, or None."""
    best = charset_normalizer.from_bytes(body).best()
    if best is None or canonical(best.encoding) == tried:
        return None
    charset = canonical(best.encoding)
    text = _strict(body, charset)
    return (charset, text) if text is not None else None


def decode(content_type: str | None, body: bytes, explicit: str | None = None) -> Decoded:
    """The page's text: with `explicit` (a platform's charset) or what the page declares (UTF-8 if nothing);
    when that leaves undecodable bytes, with the charset detection finds if it decodes every byte."""
    declared = canonical(explicit) if explicit else declared_charset(content_type, body)
    if declared is not None and _strict(b"", declared) is None:
        declared = None  # an unknown label: browsers ignore it too
    header = f"text/html; charset={declared}" if declared else content_type
    used, text = html_to_unicode(header, body)
    used = canonical(used)
    if REPLACEMENT not in text or body.count(REPLACEMENT.encode("utf-8")) == text.count(REPLACEMENT):
        return Decoded(text=text, used=used, declared=declared)
    detected = _detected(body, used)
    if detected is None:
        return Decoded(text=text, used=used, declared=declared)
    return Decoded(text=detected[1], used=detected[0], declared=declared, detected=True)
