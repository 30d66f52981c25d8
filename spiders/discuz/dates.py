"""Discuz dates: absolute 'Y-n-j H:i[:s]' and the relative forms dgmdate() prints, resolved in Beijing time."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from harvester.timeutil import parse_local, to_shanghai

_SPACES = re.compile(r"[\s\u00a0\u3000]+")
_AGO = re.compile(r"(\d+) ?(秒|分钟|小时|天)前")
_DAY_AND_CLOCK = re.compile(r"(昨天|前天) ?(\d{1,2}):(\d{2})")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_UNITS = {"秒": timedelta(seconds=1), "分钟": timedelta(minutes=1), "小时": timedelta(hours=1)}
_DAYS_BACK = {"昨天": 1, "前天": 2}


def clean(text: str) -> str:
    """`3&nbsp;小时前` arrives as '3\\xa0小时前': every run of spaces becomes one ASCII space."""
    return _SPACES.sub(" ", text).strip()


def discuz_time(text: str, title: str | None, now: datetime) -> datetime:
    """The moment a date cell shows, aware in Asia/Shanghai.

    Relative forms sit in `<span title="absolute">`; the title wins. A date-only title (the list's author
    column: title "2026-11-24", text "昨天 19:10") takes its time of day from the text. Without a title the
    relative text is resolved against `now` (the snapshot's fetch time): 'N 天前' to that day's midnight,
    'N 小时前' and the like to now minus N units, as precise as the text is.
    """
    shown = clean(text)
    if title and clean(title):
        moment = parse_local(clean(title))
        clock = _CLOCK.search(shown)
        if not _CLOCK.search(title) and clock:
            moment = moment.replace(hour=int(clock.group(1)), minute=int(clock.group(2)))
        return moment
    return relative_time(shown, now)


def relative_time(text: str, now: datetime) -> datetime:
    """'刚刚', 'N 秒/分钟/小时前', '半小时前', '昨天 12:30', '前天 08:15', 'N 天前' or an absolute time."""
    shown = clean(text)
    local = to_shanghai(now).replace(microsecond=0)
    midnight = local.replace(hour=0, minute=0, second=0)
    if shown == "刚刚":
        return local
    if shown == "半小时前":
        return local - timedelta(minutes=30)
    ago = _AGO.fullmatch(shown)
    if ago:
        count, unit = int(ago.group(1)), ago.group(2)
        # dgmdate counts calendar days: 'N 天前' is the day N days before today.
        return midnight - timedelta(days=count) if unit == "天" else local - count * _UNITS[unit]
    day = _DAY_AND_CLOCK.fullmatch(shown)
    if day:
        return (midnight - timedelta(days=_DAYS_BACK[day.group(1)])).replace(
            hour=int(day.group(2)), minute=int(day.group(3)))
    return parse_local(shown)
