"""How `harvester parse` reads a saved jact page (list, data proxy answer or letter page)."""

from __future__ import annotations

import re
from typing import Any

from harvester.definition import Definition
from harvester.extract.snapshot import Snapshot
from harvester.registry import PlatformSpec
from spiders.savedpage import SavedPages, base_url_of, board_of, query_value


def page_of_url(spec: PlatformSpec, definition: Definition | None, url: str) -> str | None:
    return "list" if re.search(r"mailpublist|dataproxy", url) else "detail" if "mailpubdetail" in url else None


def context(spec: PlatformSpec, definition: Definition | None, page: str, snapshot: Snapshot) -> dict[str, Any]:
    url = snapshot.url
    return {"platform": spec.slug, "base_url": base_url_of(spec, url),
            "board": board_of(spec, query_value(url, "sysid")), "external_id": query_value(url, "transactId") or ""}


SAVED = SavedPages(kinds={"list": ("list",), "detail": ("detail",), "thread": ("detail",)}, page_of_url=page_of_url,
                   context=context)
