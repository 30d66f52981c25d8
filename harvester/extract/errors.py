"""Typed parse outcomes that are not a message: each is handled differently downstream."""

from __future__ import annotations


class ParseOutcome(Exception):
    """Base of every non-message outcome of parsing a page."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LayoutChanged(ParseOutcome):
    """The page does not look like the layout we know: quarantine it with its raw body."""


class NotPublic(ParseOutcome):
    """The platform withholds this message (redirect, marker, login wall): skip and count."""


class ChallengePage(ParseOutcome):
    """An anti-bot or captcha page answered instead of data: retry later with backoff."""
