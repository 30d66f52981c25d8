"""/board (督办): open letters overdue or due soon, by responsible unit, in working days with the same deadlines,
statuses and holidays calendar as `harvester overdue`; `at` shows the board as of another day."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from harvester.app.console.deadlines import Rules, board
from harvester.app.console.masking import audit_view, shown_text
from harvester.app.console.pages import render
from harvester.app.console.security import Reader, Refused, store_of
from harvester.store.console_reads import open_letters
from harvester.timeutil import SHANGHAI, utcnow

router = APIRouter(include_in_schema=False)
NOON = time(12, 0)


def rules_of(request: Request) -> dict[str, Rules]:
    """Per platform, the overdue monitor's rules as `harvester monitor` reads them (read once per app); "" holds
    the general ones, for letters of platforms this server's config does not name."""
    cached: dict[str, Rules] | None = getattr(request.app.state, "console_rules", None)
    if cached is None:
        from harvester.app.monitors.runner import checks_settings
        from harvester.config import ConfigError, load_config
        from harvester.registry import platforms_for

        try:
            config = load_config()
            settings = checks_settings(config)
            cached = {"": Rules.from_monitor(settings.general["overdue"])}
            for slug, spec in platforms_for(config).items():
                cached[slug] = Rules.from_monitor(settings.for_platform(spec)["overdue"])
        except (ConfigError, KeyError, ValueError) as error:
            raise Refused(500, f"配置有误，无法计算办理期限：{error}") from error
        request.app.state.console_rules = cached
    return cached


def _at(value: str | None) -> datetime:
    if not value:
        return utcnow()
    try:
        return datetime.combine(date.fromisoformat(value), NOON, SHANGHAI)
    except ValueError as error:
        raise Refused(400, f"日期格式应为 YYYY-MM-DD：{value}") from error


@router.get("/board")
def overdue_board(request: Request, who: Reader, at: str | None = None,
                  soon: Annotated[int, Query(ge=0, le=30)] = 3) -> Response:
    rules, now = rules_of(request), _at(at)
    general = rules[""]
    statuses = sorted({s for r in rules.values() for s in r.statuses})
    complex_statuses = sorted({s for r in rules.values() for s in r.complex_statuses})
    with store_of(request).transaction() as repo:
        letters = [replace(letter, title=shown_text(letter.title, who))
                   for letter in open_letters(repo, statuses, complex_statuses)
                   if letter.status in rules.get(letter.platform, general).statuses]
        audit_view(repo, who, request)
    units = board(letters, lambda platform: rules.get(platform, general), now, soon)
    return render(request, "board.html", units=units, now=now, soon=soon, at=at or "",
                  overdue=sum(u.overdue for u in units), due_soon=sum(len(u.letters) - u.overdue for u in units))
