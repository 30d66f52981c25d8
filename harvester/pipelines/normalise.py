"""Pipeline step 1: text normalisation of messages (Unicode NFC, whitespace, line endings)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from typing import Any

from harvester.schema import Message, Reply

_INLINE_SPACE = re.compile(r"[ \t\u00a0\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_line(text: str) -> str:
    """One-line text: NFC, every run of spaces (incl. full-width and NBSP) collapsed, trimmed. A value that is
    not text is returned as it is, for the validation gate to refuse with its reason (a parser's bug must not
    crash the pipeline and lose the page)."""
    if not isinstance(text, str):
        return text
    return _INLINE_SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def clean_block(text: str) -> str:
    """Multi-line text: NFC, CRLF -> LF, lines trimmed, at most one blank line in a row (not text: as it is)."""
    if not isinstance(text, str):
        return text
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_INLINE_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def normalise_reply(reply: Reply) -> Reply:
    organisation = clean_line(reply.organisation) if reply.organisation else None
    title = clean_line(reply.title) if reply.title else None
    return replace(reply, text=clean_block(reply.text), organisation=organisation or None, title=title or None)


def normalise_message(message: Message) -> Message:
    """The same message with every text field in its canonical form."""
    return replace(
        message,
        title=clean_line(message.title),
        body=clean_block(message.body),
        addressee=clean_line(message.addressee),
        author=clean_line(message.author) if message.author else None,
        status_raw=clean_line(message.status_raw),
        replies=tuple(normalise_reply(r) if isinstance(r, Reply) else r for r in message.replies)
        if isinstance(message.replies, tuple | list) else message.replies,
    )


class NormalisePipeline:
    """Normalises `Message` items; other items pass through untouched."""

    def process_item(self, item: Any) -> Any:
        return normalise_message(item) if isinstance(item, Message) else item
