"""One Store per database URL per process, shared by the spider (reads) and the sink (writes)."""

from __future__ import annotations

from functools import cache

from harvester.store.db import Store


@cache
def store_for(url: str) -> Store:
    """Open (and migrate on first use) the store at `url`, once per process."""
    return Store.open(url)
