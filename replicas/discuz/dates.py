"""Discuz's dgmdate(): absolute dates, and the relative forms ('3&nbsp;小时前') it shows for the last week."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY, DAY_MINUTE, DAY_SECOND = "Y-n-j", "Y-n-j H:i", "Y-n-j H:i:s"


def absolute(moment: datetime, fmt: str = DAY_MINUTE) -> str:
    """PHP-style 'Y-n-j H:i[:s]': no leading zeros on month and day, as the default dateformat shows."""
    local = moment.astimezone(SHANGHAI)
    text = f"{local.year}-{local.month}-{local.day}"
    if fmt == DAY_MINUTE:
        text += f" {local:%H:%M}"
    elif fmt == DAY_SECOND:
        text += f" {local:%H:%M:%S}"
    return text


def relative(moment: datetime, now: datetime, fmt: str = DAY_MINUTE) -> str:
    """dgmdate($t, 'u'): today's times as '刚刚' / 'N&nbsp;分钟前' / '半小时前' / 'N&nbsp;小时前', the six days
    before as '昨天&nbsp;H:i' / '前天&nbsp;H:i' / 'N&nbsp;天前', each inside <span title="absolute">;
    older (and future) times as plain absolute text. The &nbsp; is what the real function emits."""
    local, current = moment.astimezone(SHANGHAI), now.astimezone(SHANGHAI)
    text = absolute(local, fmt)
    today = current.replace(hour=0, minute=0, second=0, microsecond=0)
    seconds = int((current - local).total_seconds())
    if local >= today:
        if seconds < 0:
            return text
        return f'<span title="{text}">{_today(seconds)}</span>'
    days = int((today - local) / timedelta(days=1))
    if days >= 7:
        return text
    label = (f"昨天&nbsp;{local:%H:%M}" if days == 0 else f"前天&nbsp;{local:%H:%M}" if days == 1
             else f"{days + 1}&nbsp;天前")
    return f'<span title="{text}">{label}</span>'


def _today(seconds: int) -> str:
    if seconds > 3600:
        return f"{seconds // 3600}&nbsp;小时前"
    if seconds > 1800:
        return "半小时前"
    if seconds > 60:
        return f"{seconds // 60}&nbsp;分钟前"
    return f"{seconds}&nbsp;秒前" if seconds > 0 else "刚刚"


def iso(moment: datetime) -> str:
    """ISO 8601 in Beijing time, for the ground-truth JSON."""
    return moment.astimezone(SHANGHAI).isoformat()
