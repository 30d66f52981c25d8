"""`fixtures record --check / --refresh-inputs`: fetch the pages of recorded cases again, keeping their expectations.

A site that changed its template then fails the conformance tests on today's pages, naming the field.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from harvester.definition import Definition
from harvester.fixtures import Case, mask_snapshot, mask_value
from harvester.registry import PlatformSpec
from spiders.generic.probe import Fetched, fetch, list_pages
from spiders.generic.stored import row_fields
from spiders.pageindex import recorded_outcome


def _rebased(url: str, old_base: str | None, base_url: str) -> str:
    """A recorded URL on the site now at `base_url` (recordings from another host or port)."""
    if old_base and url.startswith(old_base.rstrip("/") + "/"):
        return base_url + url[len(old_base.rstrip("/")):]
    return url


def _detail(spec: PlatformSpec, definition: Definition, base_url: str, case: Case,
            rows: dict[str, dict[str, Any]]) -> Case:
    context = dict(case.context)
    context["url"] = _rebased(context["url"], context.get("base_url"), base_url)
    context["base_url"] = base_url
    # The row as the list shows it today (a list field carried to the message changes with the list).
    context["row"] = rows.get(str(context["external_id"]), context.get("row", {}))
    redirects = not any(status < 400 for status in definition.detail.not_public_statuses)
    return replace(case, context=context, snapshot=fetch(context["url"], charset=spec.charset,
                                                         follow_redirects=redirects, spec=spec))


def refetch(spec: PlatformSpec, definition: Definition, base_url: str, cases: list[Case]) -> list[Case]:
    """Each case with its page fetched again from `base_url` (list page 1 for the list case, the recorded URL
    for a detail) and the recorded expectation unchanged; pages and context masked as the recorder masks them
    (the expectations were parsed from masked pages)."""
    first: Fetched = next(list_pages(spec, definition, base_url, 1))
    rows = {str(row.id): row_fields(row) for row in first.listing.rows if row.id} if first.listing else {}
    fresh = []
    for case in cases:
        if case.page == "list" and case.context.get("page", 1) == 1:
            fresh.append(replace(case, snapshot=first.snapshot, context={**case.context, **first.context}))
        elif case.page == "detail":
            fresh.append(_detail(spec, definition, base_url, case, rows))
        else:
            raise ValueError(f"{case.slug}/{case.name}: only list page 1 and detail cases can be fetched again")
    return [replace(case, snapshot=mask_snapshot(case.snapshot), context=mask_value(case.context)) for case in fresh]


def differences(case: Case, definition: Definition) -> dict[str, tuple[Any, Any]]:
    """Field -> (expected, parsed now) for every field that no longer matches, unexpected fields included."""
    parsed = recorded_outcome(case.family, case.page, case.snapshot, case.context, definition)
    names = list(case.expected) + sorted(set(parsed) - set(case.expected))
    return {name: (case.expected.get(name), parsed.get(name)) for name in names
            if parsed.get(name) != case.expected.get(name) or name not in case.expected}
