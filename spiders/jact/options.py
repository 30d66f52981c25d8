"""A jact mailbox's settings from its platform definition: how its letter list is fetched."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harvester.challenge import CHALLENGE_OPTIONS
from harvester.config import ConfigError

LISTS = ("dataproxy", "pageindex")
DATAPROXY_PATH = "/jact/front/dataproxy_mailpublist.do"  # 菏泽; 莱芜 answers at dataproxy_mailnewlist.action
PAGEINDEX_PATH = "/jact/front/mailpublist.do"


@dataclass(frozen=True, slots=True)
class JactOptions:
    """`list`: "dataproxy" (the real sites: POST startrecord/endrecord, `dataStore = [...]` rows) or "pageindex"
    (older builds: GET mailpublist.do?pageIndex=N with a pager). `list_path` overrides the list's path.
    `perpage` × `group_size` records are asked for per data proxy request (the sites' own list asks 19 × 3).
    `form` adds fields to the POSTed form (`sysid` is always the board id, `orderfield` defaults to "1")."""

    list: str = "dataproxy"
    list_path: str = DATAPROXY_PATH
    perpage: int = 19
    group_size: int = 3
    form: Mapping[str, str] = field(default_factory=dict)

    @property
    def records_per_request(self) -> int:
        return self.perpage * self.group_size


def _positive(value: Any, name: str, source: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{source}: options.{name} must be a positive whole number, got {value!r}")
    return value


KNOWN = frozenset({"list", "list_path", "perpage", "group_size", "form", "checks", *CHALLENGE_OPTIONS})


def parse_options(options: Mapping[str, Any], source: str) -> JactOptions:
    """Validate a definition's `[options]` for a jact mailbox; errors name the file and the key."""
    unknown = set(options) - KNOWN
    if unknown:
        raise ConfigError(f"{source}: unknown jact option(s) {sorted(unknown)}; known {sorted(KNOWN)}")
    kind = options.get("list", "dataproxy")
    if kind not in LISTS:
        raise ConfigError(f"{source}: options.list must be one of {list(LISTS)}, got {kind!r}")
    path = options.get("list_path", DATAPROXY_PATH if kind == "dataproxy" else PAGEINDEX_PATH)
    if not isinstance(path, str) or not path.startswith("/"):
        raise ConfigError(f"{source}: options.list_path must be a path starting with '/', got {path!r}")
    form = options.get("form", {})
    if not isinstance(form, Mapping) or not all(isinstance(v, str) for v in form.values()):
        raise ConfigError(f"{source}: options.form must be a table of strings")
    return JactOptions(list=kind, list_path=path, perpage=_positive(options.get("perpage", 19), "perpage", source),
                       group_size=_positive(options.get("group_size", 3), "group_size", source), form=dict(form))
