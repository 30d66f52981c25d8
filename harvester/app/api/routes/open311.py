"""Open311 GeoReport v2, read side, under /open311/v2/: services.json, requests.json, requests/{id}.json."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from harvester.app.api.auth import Reader, store_of
from harvester.app.api.models import ServiceOut, ServiceRequestOut
from harvester.app.api.open311 import OPEN311_STATUSES, parse_request_id, service_request, services
from harvester.app.api.routes.messages import audit_if_full
from harvester.privacy import mask_record
from harvester.store.reads import MessageFilter, find_by_keys, find_messages
from harvester.timeutil import utcnow
from harvester.vocab import Kind

PREFIX = "/open311/v2"
router = APIRouter(prefix=PREFIX, tags=["open311"])
WINDOW = timedelta(days=90)  # GeoReport v2: a query spans at most 90 days, the most recent 90 by default
MAX_REQUESTS = 1000  # GeoReport v2: "or first 1000 requests returned, whichever is smallest"


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise HTTPException(400, "dates must carry a time zone (w3 format, e.g. 2010-01-01T00:00:00Z)")
    return value


def _window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    start, end = _aware(start), _aware(end)
    try:
        if end is None:
            end = start + WINDOW if start is not None else utcnow()
        start = start if start is not None else end - WINDOW
    except OverflowError as error:
        raise HTTPException(400, "start_date or end_date is out of range") from error
    if end - start > WINDOW or end < start:
        raise HTTPException(400, "start_date and end_date may not span more than 90 days")
    return start, end


@router.get("/services.json", response_model=list[ServiceOut],
             summary="GeoReport v2 service list: one service per message kind")
def service_list(_who: Reader, jurisdiction_id: str | None = None) -> list[dict[str, Any]]:
    return services()


@router.get("/requests.json", response_model=list[ServiceRequestOut],
             summary="GeoReport v2 service requests (standard filters; 90 days, 1000 at most)")
def requests_list(request: Request, who: Reader, service_request_id: str | None = None,
                  service_code: str | None = None, start_date: datetime | None = None,
                  end_date: datetime | None = None, status: str | None = None,
                  jurisdiction_id: Annotated[str | None, Query(description="ignored: one jurisdiction")] = None,
                  ) -> list[dict[str, Any]]:
    """`service_request_id` (comma delimited) overrides every other argument, as the spec says."""
    with store_of(request).transaction() as repo:
        if service_request_id:
            keys = [key for key in map(parse_request_id, _list(service_request_id)) if key is not None]
            records = find_by_keys(repo, keys[:MAX_REQUESTS])
        else:
            records = find_messages(repo, _filter(service_code, status, start_date, end_date),
                                    limit=MAX_REQUESTS).items
        audit_if_full(repo, who, request)
    return [service_request(record if who.full else mask_record(record)) for record in records]


def _filter(service_code: str | None, status: str | None, start_date: datetime | None,
            end_date: datetime | None) -> MessageFilter:
    codes, statuses = _list(service_code), _list(status)
    unknown = [c for c in codes if c not in {k.value for k in Kind}] + [s for s in statuses
                                                                          if s not in OPEN311_STATUSES]
    if unknown:
        raise HTTPException(400, f"unknown service_code or status {unknown}")
    start, end = _window(start_date, end_date)
    ours = tuple(value for s in statuses for value in OPEN311_STATUSES[s])
    return MessageFilter(kind=codes, status=ours, posted_after=start, posted_before=end)


@router.get("/requests/{service_request_id}.json", response_model=list[ServiceRequestOut],
             summary="GeoReport v2: one service request")
def request_one(request: Request, who: Reader, service_request_id: str) -> list[dict[str, Any]]:
    key = parse_request_id(service_request_id)
    with store_of(request).transaction() as repo:
        records = find_by_keys(repo, [key]) if key else []
        audit_if_full(repo, who, request)
    if not records:
        raise HTTPException(404, f"no service request {service_request_id}")
    return [service_request(records[0] if who.full else mask_record(records[0]))]
