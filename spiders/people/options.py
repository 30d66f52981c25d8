"""A 领导留言板 definition's `[options]`: ministry boards, page size, labels, backoff, the browser path and the
look-back for late publications."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from harvester.challenge import CHALLENGE_OPTIONS
from harvester.config import ConfigError
from harvester.vocab import Kind, Status, Topic

PATHS = ("api", "browser", "hybrid")
LIST_APIS = ("signed", "form")
FORM_LIST_PATH = "/threads/queryThreadsList"  # also served at /pro-dfbbs-front/threads/queryThreadsList
KNOWN = {"ministry_boards", "rows", "path", "browser_fallback", "max_attempts", "backoff_s", "max_backoff_s",
         "browser_timeout_s", "kind_labels", "topic_labels", "status_labels", "publication_lag_hours",
         "forum_tree_url", "backfill_days", "list_api", "form_list_path", *CHALLENGE_OPTIONS}
FORUM_TREE_URL = "https://messageboard.people.cn/forum_data_{province}.jsonp"  # API family C (§1.5)
PUBLICATION_LAG_HOURS = 72.0  # approval "hours or days" late (inferred: up to ~2 days), plus a night between runs


@dataclass(frozen=True, slots=True)
class PeopleOptions:
    """`ministry_boards`: fids listed by /v1/threads/list/bw (部委留言板); every other board is a local-leader
    board (/df). `path` "browser" drives the SPA in Chromium from the start (as `fetch = "browser"` does), a page
    rendered per message; "hybrid" keeps one page per board whose bundle sends every call (spiders/people/hybrid.py);
    `browser_fallback` lets the API path switch to it when the API refuses signatures made with a fresh
    appCode. Throttled calls (403, 429, empty 200) are retried `max_attempts` times in all, waiting
    `backoff_s` doubled per attempt (with jitter, at most `max_backoff_s`). Label tables add platform labels
    the vocabulary does not know (e.g. typeName 两会). `publication_lag`: how far back (in publication time)
    the list is read below the board's cursor for messages approved late (spiders/people/lookback.py); 0 stops
    at the cursor. `forum_tree_url`: the province forum tree `harvester platforms boards` reads ({province} is
    the province's fid; a path is read from base_url). `backfill`: how far back from a board's newest message its
    first harvest reads (`backfill_days`; absent: the whole history). `list_api`: "signed" lists boards through
    /v1/threads/list/{df,bw}; "form" through the unsigned queryThreadsList (`form_list_path`), for a site whose
    signed lists refuse us; messages are read whole through the signed content API either way."""

    ministry_boards: frozenset[str] = frozenset()
    rows: int = 10
    path: str = "api"
    browser_fallback: bool = True
    max_attempts: int = 6
    backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    browser_timeout_s: float = 20.0
    kind_labels: Mapping[str, Kind] = field(default_factory=dict)
    topic_labels: Mapping[str, Topic] = field(default_factory=dict)
    status_labels: Mapping[str, Status] = field(default_factory=dict)
    publication_lag: timedelta = timedelta(hours=PUBLICATION_LAG_HOURS)
    forum_tree_url: str = FORUM_TREE_URL
    backfill: timedelta | None = None
    list_api: str = "signed"
    form_list_path: str = FORM_LIST_PATH

    def list_kind(self, fid: str) -> str:
        """Which list API reads board `fid`: "df", "bw" (signed) or "form" (queryThreadsList)."""
        if self.list_api == "form":
            return "form"
        return "bw" if fid in self.ministry_boards else "df"


def _labels(value: Any, enum: type[Kind] | type[Topic] | type[Status], key: str, source: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: options.{key} must be a table of label = value")
    try:
        return {str(label): enum(canonical) for label, canonical in value.items()}
    except ValueError as error:
        raise ConfigError(f"{source}: options.{key}: {error}; known {[e.value for e in enum]}") from error


def _positive(options: Mapping[str, Any], key: str, default: float, source: str) -> float:
    value = options.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{source}: options.{key} must be a positive number, got {value!r}")
    return float(value)


def _hours(options: Mapping[str, Any], key: str, default: float, source: str) -> timedelta:
    value = options.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{source}: options.{key} must be a number of hours >= 0, got {value!r}")
    return timedelta(hours=value)


def parse_options(options: Mapping[str, Any], source: str) -> PeopleOptions:
    """Validate a definition's `[options]`; errors name the file and the key."""
    unknown = set(options) - KNOWN
    if unknown:
        raise ConfigError(f"{source}: unknown people option(s) {sorted(unknown)}; known {sorted(KNOWN)}")
    path = options.get("path", "api")
    if path not in PATHS:
        raise ConfigError(f"{source}: options.path must be one of {PATHS}, got {path!r}")
    list_api = options.get("list_api", "signed")
    if list_api not in LIST_APIS:
        raise ConfigError(f"{source}: options.list_api must be one of {LIST_APIS}, got {list_api!r}")
    form_path = options.get("form_list_path", FORM_LIST_PATH)
    if not isinstance(form_path, str) or not form_path.startswith("/"):
        raise ConfigError(f"{source}: options.form_list_path must be a path from base_url, got {form_path!r}")
    rows = options.get("rows", 10)
    if not isinstance(rows, int) or not 1 <= rows <= 50:
        raise ConfigError(f"{source}: options.rows must be an integer from 1 to 50, got {rows!r}")
    lag = _hours(options, "publication_lag_hours", PUBLICATION_LAG_HOURS, source)
    backfill = timedelta(days=_positive(options, "backfill_days", 1, source)) if "backfill_days" in options else None
    if backfill is not None and backfill < lag:
        raise ConfigError(f"{source}: options.backfill_days must reach back at least publication_lag_hours "
                          f"({lag.total_seconds() / 3600:g} h), or the look-back takes the messages it leaves out "
                          f"for late publications")
    return PeopleOptions(
        ministry_boards=frozenset(str(fid) for fid in options.get("ministry_boards", [])), rows=rows, path=path,
        browser_fallback=bool(options.get("browser_fallback", True)),
        max_attempts=int(_positive(options, "max_attempts", 6, source)),
        backoff_s=_positive(options, "backoff_s", 0.5, source),
        max_backoff_s=_positive(options, "max_backoff_s", 30.0, source),
        browser_timeout_s=_positive(options, "browser_timeout_s", 20.0, source),
        kind_labels=_labels(options.get("kind_labels", {}), Kind, "kind_labels", source),
        topic_labels=_labels(options.get("topic_labels", {}), Topic, "topic_labels", source),
        status_labels=_labels(options.get("status_labels", {}), Status, "status_labels", source),
        publication_lag=lag,
        forum_tree_url=_tree_url(options.get("forum_tree_url", FORUM_TREE_URL), source),
        backfill=backfill, list_api=list_api, form_list_path=form_path)


def _tree_url(value: Any, source: str) -> str:
    if not isinstance(value, str) or "{province}" not in value or not value.startswith(("/", "http://", "https://")):
        raise ConfigError(f"{source}: options.forum_tree_url must be an http(s) URL or a path from base_url, with "
                          f"{{province}} where the province's fid goes, got {value!r}")
    return value

