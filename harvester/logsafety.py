"""A logging filter that keeps personal data and secrets out of every log handler."""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus

from harvester.privacy import mask_text

SECRET_ENV = re.compile(r"^HARVESTER_\w*(PASSWORD|SECRET|TOKEN|TOTP)\w*$", re.IGNORECASE)
# Shorter values would blank out ordinary words and numbers all over the log; no real secret is this short.
MIN_SECRET_LENGTH = 4
SECRET_MASK = "[secret]"  # noqa: S105 - the placeholder, not a password

_registered: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Mask `value` (and its URL-encoded forms) in every log record from now on, in every filter."""
    if value and len(value) >= MIN_SECRET_LENGTH:
        with _lock:
            _registered.add(value)


def env_secrets(environ: Mapping[str, str] | None = None) -> set[str]:
    """Values of `HARVESTER_*` variables named like a password, secret, token or TOTP seed.

    Paths to secrets (`HARVESTER_SECRETS_FILE`) are not secrets themselves and stay readable.
    """
    environ = os.environ if environ is None else environ
    return {value for name, value in environ.items()
            if SECRET_ENV.match(name) and not name.upper().endswith("_FILE")
            and len(value) >= MIN_SECRET_LENGTH}


def _variants(secrets: Iterable[str]) -> list[str]:
    """Each secret as written and as it appears in URLs, longest first so no fragment survives."""
    found = {form for s in secrets for form in (s, quote(s, safe=""), quote_plus(s))}
    return sorted(found, key=len, reverse=True)


class PersonalDataFilter(logging.Filter):
    """Renders each record's message, masks phones, ID numbers, e-mail, labelled names and secrets in it,
    and stores the result back, so every handler after this filter sees only the masked text.

    Attach it to handlers (see `install`): logger-level filters do not see records from child loggers.
    Never drops a record.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self._env_secrets = env_secrets(environ)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_masked_by", None) is self:
            return True  # the same record reaches every handler; mask it once per filter
        record.msg = self.mask(self._render(record))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        record._masked_by = self
        return True

    def mask(self, text: str) -> str:
        """`text` with personal data and every known secret masked."""
        with _lock:
            secrets = self._env_secrets | _registered
        for secret in _variants(secrets):
            text = text.replace(secret, SECRET_MASK)
        return mask_text(text)

    @staticmethod
    def _render(record: logging.LogRecord) -> str:
        try:
            return record.getMessage()
        except (TypeError, ValueError):  # bad format args: keep what we can see, masked all the same
            return f"{record.msg} {record.args!r}"


def install(logger: logging.Logger | None = None) -> PersonalDataFilter:
    """Attach one `PersonalDataFilter` to every handler of `logger` (the root logger by default).

    Idempotent: handlers that already carry the filter keep it, and the same filter is returned. Handlers
    added later (Scrapy replaces its root handler whenever a Crawler is created) need another `install()`.
    """
    logger = logging.getLogger() if logger is None else logger
    existing = [f for h in logger.handlers for f in h.filters if isinstance(f, PersonalDataFilter)]
    log_filter = existing[0] if existing else PersonalDataFilter()
    for handler in logger.handlers:
        if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
            handler.addFilter(log_filter)
    return log_filter
