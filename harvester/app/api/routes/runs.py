"""GET /runs (harvest runs, newest first) and GET /platforms/health."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from harvester.app.api.auth import Reader, store_of
from harvester.app.api.render import plain
from harvester.store.reads import platform_health

router = APIRouter(tags=["runs"])


@router.get("/runs", summary="Harvest runs, newest first, with their counts and why a run failed")
def list_runs(request: Request, _who: Reader, platform: str | None = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 20) -> list[dict[str, Any]]:
    with store_of(request).transaction() as repo:
        runs = repo.latest_runs(limit=limit, platform=platform)
    return [plain(run) for run in runs]


@router.get("/platforms/health", summary="Per platform: last run, last success, failures since, totals")
def health(request: Request, _who: Reader) -> list[dict[str, Any]]:
    with store_of(request).transaction() as repo:
        return [plain(row) for row in platform_health(repo)]
