"""`fixtures record`: save a definition platform's fetched pages and their parsed output as test cases."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from harvester.definition import GENERIC, Definition
from harvester.fixtures import Case, mask_snapshot, mask_value, save_case
from harvester.registry import PlatformSpec
from spiders.generic.probe import Fetched, detail_pages, list_pages
from spiders.generic.recorded import parse

LIST_CASE = "list_first_page"
OPTIONAL_FIELDS = ("replies", "satisfaction", "attachments", "likes", "views", "author", "letter_no", "region")


def case_name(expected: dict[str, Any]) -> str:
    """detail_<canonical status>, or detail_not_public / detail_broken for pages that are not a letter."""
    if expected.get("error") == "NotPublic":
        return "detail_not_public"
    status = expected.get("status")
    return f"detail_{status}" if isinstance(status, str) and "error" not in expected else "detail_broken"


def _case(spec: PlatformSpec, name: str, item: Fetched, expected: dict[str, Any]) -> Case:
    return Case(spec.slug, name, GENERIC, item.page, item.context, item.snapshot, expected)


def _filled(expected: dict[str, Any]) -> set[str]:
    return {name for name in OPTIONAL_FIELDS if expected.get(name)}


def choose(spec: PlatformSpec, definition: Definition, fetched: list[Fetched], wanted: int) -> list[Case]:
    """One case per kind of detail page (by status), then pages of a known status showing more fields
    (detail_replied_with_satisfaction); in list order, at most `wanted`."""
    cases: dict[str, Case] = {}
    for item in fetched:
        if item.error or len(cases) >= wanted:
            continue
        expected = parse("detail", item.snapshot, item.context, definition)
        name = case_name(expected)
        if name in cases:
            extra = sorted(_filled(expected) - _filled(cases[name].expected))
            name = f"{name}_with_{'_'.join(extra)}" if extra else name
        cases.setdefault(name, _case(spec, name, item, expected))
    return list(cases.values())


def masked(item: Fetched) -> Fetched:
    """The fetched page and its context with citizens' phone and ID numbers (and e-mail, labelled names) masked,
    so the case's page and the expectation parsed from it agree and can be committed."""
    return replace(item, snapshot=mask_snapshot(item.snapshot), context=mask_value(item.context))


def record(spec: PlatformSpec, definition: Definition, base_url: str, root: Path, details: int = 4,
           candidates: int = 15, unmasked: bool = False) -> list[Path]:
    """Fetch list page 1 and up to `candidates` details; replace root/<slug>/ with the list case and up to
    `details` detail cases of different statuses. Pages are masked before they are parsed and saved, unless
    `unmasked` (then they are saved as fetched). Returns the case folders written."""
    first = next(list_pages(spec, definition, base_url, 1))
    if first.listing is None:
        raise ValueError(f"{spec.slug}: the first list page could not be read: {first.error}")
    keep = (lambda item: item) if unmasked else masked
    shown = keep(first)
    cases = [_case(spec, LIST_CASE, shown, parse("list", shown.snapshot, shown.context, definition))]
    fetched = [keep(item) for item in detail_pages(spec, definition, base_url, first.listing, candidates)]
    cases += choose(spec, definition, fetched, details)
    folder = root / spec.slug
    if folder.is_dir():
        for old in folder.iterdir():
            if (old / "meta.json").is_file():
                shutil.rmtree(old)
    return [save_case(root, case, unmasked=unmasked) for case in cases]
