"""/report (统计): one month's letters per unit and platform — received, closed, reply rate, median working days
to reply, overdue — with server-rendered SVG charts, printable."""

from __future__ import annotations

from datetime import date, datetime, time

from fastapi import APIRouter, Request
from fastapi.responses import Response

from harvester.app.console.pages import render
from harvester.app.console.routes.board import rules_of
from harvester.app.console.security import Reader, Refused, store_of
from harvester.app.console.stats import bars, monthly
from harvester.store.console_reads import month_letters
from harvester.timeutil import SHANGHAI, to_shanghai, utcnow

router = APIRouter(include_in_schema=False)


def _month(value: str | None) -> date:
    if not value:
        return to_shanghai(utcnow()).date().replace(day=1)
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError as error:
        raise Refused(400, f"月份格式应为 YYYY-MM：{value}") from error


@router.get("/report")
def report(request: Request, who: Reader, month: str | None = None) -> Response:
    first = _month(month)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    start, end = (datetime.combine(d, time(), SHANGHAI) for d in (first, following))
    rules = rules_of(request)
    with store_of(request).transaction() as repo:
        letters = month_letters(repo, start, end)
    units, platforms, total = monthly(letters, lambda p: rules.get(p, rules[""]), utcnow())
    return render(request, "report.html", month=f"{first:%Y-%m}", title=f"{first.year}年{first.month}月",
                  units=units, platforms=platforms, total=total, unit_bars=bars(units),
                  platform_bars=bars(platforms), generated=utcnow())
