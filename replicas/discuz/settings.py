"""The replica's options, parsed once from the strings `python -m replicas serve --set` passes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from replicas.discuz.dates import SHANGHAI
from replicas.discuz.model import Board

WENZHENG_TYPES = {11: "投诉", 12: "咨询", 13: "建议", 14: "求助"}
CHAT_TYPES = {21: "闲聊", 22: "美食", 23: "随手拍", 24: "活动"}
KNOWN_BOARDS = {27: ("网络问政", "wenzheng"), 2: ("绵州茶馆", "chat"), 36: ("城区建设", "wenzheng"),
                41: ("房产家居", "chat")}
DEFAULT_BOARDS = "27,2"
VERSIONS = ("x3.4", "x3.5", "x5")
CATEGORIES = {"wenzheng": (1, "政务互动"), "chat": (3, "绵州社区")}
TRUE = {"1", "true", "yes", "on"}
DISPLAY_KEYS = ("version", "authoronleft", "postno", "postnocustom", "dateconvert")


def parse_boards(spec: str) -> list[Board]:
    """'27,2' or '27:网络问政:wenzheng,5:灌水乐园:chat' -> boards, in the order given."""
    boards = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        fid_text, _, rest = item.partition(":")
        fid = int(fid_text)
        name, kind = KNOWN_BOARDS.get(fid, (f"版块{fid}", "chat"))
        if rest:
            name, _, given_kind = rest.partition(":")
            kind = given_kind or kind
        if kind not in CATEGORIES:
            raise ValueError(f"board kind must be wenzheng or chat, not {kind!r}")
        gid, category = CATEGORIES[kind]
        types = WENZHENG_TYPES if kind == "wenzheng" else CHAT_TYPES
        boards.append(Board(fid, name, kind, gid, category, dict(types)))
    return boards


def parse_now(text: str) -> datetime | None:
    """An ISO time to freeze the site's now at; naive values are Beijing time."""
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Display:
    """How the forum's pages look: the template generation and the admin settings that change the markup.

    Defaults are Discuz's install defaults (install_data.sql): authoronleft 1, postno '#', postnocustom '',
    dateconvert 1. `postnocustom` names the first floors in order (the real setting has one name a line)."""

    version: str = "x3.4"
    authoronleft: bool = True
    postno: str = "#"
    postnocustom: tuple[str, ...] = ()
    dateconvert: bool = True

    @classmethod
    def parse(cls, options: dict[str, Any]) -> Display:
        version = str(options.get("version", "x3.4")).lower()
        if version not in VERSIONS:
            raise ValueError(f"version must be one of {VERSIONS}, not {version!r}")
        names = str(options.get("postnocustom", ""))
        return cls(version=version, authoronleft=_flag(options.get("authoronleft", "1")),
                   postno=str(options.get("postno", "#")).strip(),
                   postnocustom=tuple(n.strip() for n in names.replace("\n", ",").split(",") if n.strip()),
                   dateconvert=_flag(options.get("dateconvert", "1")))


def _flag(value: object) -> bool:
    return str(value).strip().lower() in TRUE


@dataclass(frozen=True)
class Settings:
    """Typed options: board set and sizes, paging, posting limits, and an optional frozen now."""

    charset: str
    boards: tuple[Board, ...]
    threads_per_board: int = 120
    long_thread_replies: int = 36
    tpp: int = 20
    ppp: int = 10
    flood_seconds: int = 50
    hourly_cap: int = 30
    moderate_new: bool = False
    now: datetime | None = None
    paid_threads: int = 0  # threads per board sold for a price (售价), from the 8th thread on
    display: Display = Display()

    @classmethod
    def parse(cls, charset: str, options: dict[str, Any]) -> Settings:
        known = {"boards", "threads_per_board", "long_thread_replies", "tpp", "ppp", "flood_seconds", "hourly_cap",
                 "moderate_new", "now", "paid_threads", *DISPLAY_KEYS}
        unknown = set(options) - known
        if unknown:
            raise TypeError(f"unknown discuz options: {sorted(unknown)}")
        if charset.lower() not in ("utf-8", "gbk"):
            raise ValueError(f"charset must be utf-8 or gbk, not {charset!r}")
        ints = {key: int(options[key]) for key in ("threads_per_board", "long_thread_replies", "tpp", "ppp",
                                                    "flood_seconds", "hourly_cap", "paid_threads") if key in options}
        return cls(charset=charset.lower(), boards=tuple(parse_boards(str(options.get("boards", DEFAULT_BOARDS)))),
                   moderate_new=str(options.get("moderate_new", "")).strip().lower() in TRUE,
                   now=parse_now(str(options.get("now", ""))), display=Display.parse(options), **ints)
