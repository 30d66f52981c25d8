"""/health (运行): each platform's last runs, outcomes and failure classes, soft blocks, the monitors as
`harvester monitor` sees them, and quarantined pages, whose raw bytes are shown as escaped text, never as HTML."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from harvester.app.console.masking import audit_view, shown_text
from harvester.app.console.pages import render
from harvester.app.console.security import Reader, Refused, store_of
from harvester.runfigures import SOFT_BLOCKED
from harvester.store.console_reads import quarantine_list, quarantined_page, recent_runs
from harvester.store.db import Store
from harvester.store.reads import platform_health
from harvester.timeutil import utcnow

router = APIRouter(include_in_schema=False)
RAW_LIMIT = 200_000  # characters of a quarantined page shown; the rest is cut (the store keeps it all)
ORDER = {"failed": 0, "error": 1, "ok": 2}


def monitor_results(store: Store) -> tuple[list[dict[str, Any]], str]:
    """Every enabled monitor on every configured platform, as `harvester monitor` runs them (failed first), or
    the configuration problem that stops them."""
    from harvester.app.monitors.runner import checks_settings, run_checks
    from harvester.config import ConfigError, load_config
    from harvester.registry import platforms_for

    try:
        config = load_config()
        settings, specs = checks_settings(config), platforms_for(config)
    except ConfigError as error:
        return [], f"配置有误，监控未运行：{error}"
    results = run_checks(store, specs, settings, utcnow(), config)
    found = [r.as_dict() for r in results]
    return sorted(found, key=lambda r: (ORDER.get(r["status"], 3), r["platform"], r["check"])), ""


@router.get("/health")
def health(request: Request, who: Reader) -> Response:
    with store_of(request).transaction() as repo:
        platforms = platform_health(repo)
        runs = recent_runs(repo)
        quarantined = quarantine_list(repo)
    for platform in platforms:
        last = runs.get(platform["platform"], [{}])[0]
        platform["soft_blocked"] = int((last.get("figures") or {}).get(SOFT_BLOCKED, 0))
    monitors, problem = monitor_results(store_of(request))
    return render(request, "health.html", platforms=platforms, runs=runs, quarantined=quarantined,
                  monitors=monitors, problem=problem, soft_key=SOFT_BLOCKED)


@router.get("/health/quarantine/{page_id}")
def quarantined(request: Request, who: Reader, page_id: Annotated[int, Path(ge=1, le=2**53)]) -> Response:
    with store_of(request).transaction() as repo:
        page = quarantined_page(repo, page_id)
        if page is None:
            raise Refused(404, f"找不到隔离页面 {page_id}")
        audit_view(repo, who, request)
    text = _decoded(page["body"], page["encoding"])
    cut = len(text) > RAW_LIMIT
    return render(request, "quarantined.html", page=page, raw=shown_text(text[:RAW_LIMIT], who), cut=cut,
                  size=len(page["body"]))


def _decoded(body: bytes, encoding: str | None) -> str:
    """The page's bytes as text in its declared encoding (UTF-8 if unknown); undecodable bytes are replaced."""
    try:
        return body.decode(encoding or "utf-8", errors="replace")
    except LookupError:  # an encoding name Python does not know
        return body.decode("utf-8", errors="replace")
