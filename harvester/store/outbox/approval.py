"""What an approval covers: a hash of the text and of where and as whom it goes; any change voids it."""

from __future__ import annotations

import hashlib
import json
import unicodedata


def approval_hash(platform: str, external_id: str, organisation: str, account: str, text: str) -> str:
    """SHA-256 (hex) of the UTF-8 JSON array [platform, external_id, organisation, account, text].

    Downstream systems that approve by writing the table compute the same value (see docs/replies.md).
    """
    payload = json.dumps([platform, external_id, organisation, account, text], ensure_ascii=False,
                         separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def clean_text(text: str) -> str:
    """Reply text as stored: line breaks as LF, no surrounding whitespace. Empty text raises ValueError."""
    cleaned = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not cleaned:
        raise ValueError("a reply needs some text")
    return cleaned


def comparable(text: str | None) -> str:
    """Text as pages may render it: NFKC (full-width forms), with every whitespace character removed.

    Platforms turn line breaks into paragraphs or <br>, and Chinese text has no meaningful spaces, so two
    texts that differ only in whitespace are the same reply.
    """
    return "".join(unicodedata.normalize("NFKC", text or "").split())
