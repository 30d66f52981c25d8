"""Database URLs as the store reads them (SQLAlchemy's URL syntax): the backend a URL names, and the URL fit to
show in a log line or a message (password masked). Both raise on what is not such a URL."""

from __future__ import annotations

from sqlalchemy import make_url


def backend_name(url: str) -> str:
    """"sqlite", "postgresql", … for `url`."""
    return make_url(url).get_backend_name()


def shown(url: str) -> str:
    """`url` with its password replaced by ***."""
    return make_url(url).render_as_string(hide_password=True)
