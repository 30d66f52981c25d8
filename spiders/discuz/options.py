"""A Discuz forum's settings from its platform definition: official accounts, URL style, labels, pinned threads,
posts per thread page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harvester.challenge import CHALLENGE_OPTIONS
from harvester.config import ConfigError
from harvester.vocab import TOPIC_LABELS, Kind

URL_STYLES = ("rewrite", "dynamic")
DEFAULT_PPP = 10  # Discuz's default `ppp` (帖子每页显示数), also the replica's


@dataclass(frozen=True, slots=True)
class DiscuzOptions:
    """`official_accounts` maps each government account's username to the unit its answers are filed under.

    `board_topics` gives a board (fid) a topic label (the vocabulary's 城建, 交通 …); other boards are OTHER.
    `kind_labels` adds thread-type labels the vocabulary does not know (e.g. 曝光 = "report").
    `posts_per_page` is the forum's `ppp` setting (floors per thread page, Discuz's default 10): it tells which
    page of a long thread holds its newest floors, so a thread with new posts is read from there.
    """

    official_accounts: Mapping[str, str] = field(default_factory=dict)
    url_style: str = "rewrite"
    board_topics: Mapping[str, str] = field(default_factory=dict)
    kind_labels: Mapping[str, Kind] = field(default_factory=dict)
    harvest_pinned: bool = False
    posts_per_page: int = DEFAULT_PPP

    def organisation(self, username: str) -> str | None:
        """The unit behind an official account, None for everybody else."""
        return self.official_accounts.get(username)


def _accounts(value: Any, source: str) -> dict[str, str]:
    """A list of usernames (each its own unit) or a table username -> unit."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return {name: name for name in value}
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return dict(value)
    raise ConfigError(f"{source}: options.official_accounts must be a list of usernames or a table of units")


def _kinds(value: Mapping[str, Any], source: str) -> dict[str, Kind]:
    try:
        return {label: Kind(kind) for label, kind in value.items()}
    except ValueError as error:
        raise ConfigError(f"{source}: options.kind_labels: {error}; known {[k.value for k in Kind]}") from error


def _ppp(value: Any, source: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{source}: options.posts_per_page must be a positive whole number, got {value!r}")
    return value


def parse_options(options: Mapping[str, Any], source: str) -> DiscuzOptions:
    """Validate a definition's `[options]`; errors name the file and the key."""
    known = {"official_accounts", "url_style", "board_topics", "kind_labels", "harvest_pinned", "posts_per_page",
             *CHALLENGE_OPTIONS}
    unknown = set(options) - known
    if unknown:
        raise ConfigError(f"{source}: unknown discuz option(s) {sorted(unknown)}; known {sorted(known)}")
    style = options.get("url_style", "rewrite")
    if style not in URL_STYLES:
        raise ConfigError(f"{source}: options.url_style must be one of {URL_STYLES}, got {style!r}")
    topics = {str(fid): str(label) for fid, label in dict(options.get("board_topics", {})).items()}
    for fid, label in topics.items():
        if label not in TOPIC_LABELS:
            raise ConfigError(f"{source}: options.board_topics[{fid!r}] {label!r} is not a known topic label")
    return DiscuzOptions(official_accounts=_accounts(options.get("official_accounts", []), source),
                         url_style=style, board_topics=topics,
                         kind_labels=_kinds(dict(options.get("kind_labels", {})), source),
                         harvest_pinned=bool(options.get("harvest_pinned", False)),
                         posts_per_page=_ppp(options.get("posts_per_page", DEFAULT_PPP), source))


def board_url(base_url: str, fid: str, page: int, style: str) -> str:
    """A board list page, newest last post first (the board's default order, pinned threads on top)."""
    if style == "rewrite":
        return f"{base_url}/forum-{fid}-{page}.html"
    return f"{base_url}/forum.php?mod=forumdisplay&fid={fid}&page={page}"


def thread_url(base_url: str, tid: str, page: int, style: str) -> str:
    if style == "rewrite":
        return f"{base_url}/thread-{tid}-{page}-1.html"
    return f"{base_url}/forum.php?mod=viewthread&tid={tid}&page={page}"
