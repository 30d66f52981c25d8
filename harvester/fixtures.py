"""Recorded cases: a saved page (inputs), what it must parse to (expected), and its meta (frozen fetch time).

Layout: tests/fixtures/<slug>/<case>/{input.bin, meta.json, expected.json}.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, is_dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from harvester.extract.snapshot import Snapshot
from harvester.privacy import mask_text
from harvester.schema import Message, reply_fields
from harvester.timeutil import to_utc


@dataclass(frozen=True, slots=True)
class Case:
    """One recorded page with what it must parse to."""

    slug: str
    name: str
    family: str
    page: str  # which page object: "list" or "detail"
    context: dict[str, Any]  # what the spider knows when it parses (board, ids)
    snapshot: Snapshot
    expected: dict[str, Any]


def message_expectation(message: Message) -> dict[str, Any]:
    """Every stored field of a message as JSON data (times in UTC ISO form)."""
    data = {
        "external_id": message.external_id, "url": message.url, "board_id": message.board_id,
        "addressee": message.addressee, "title": message.title, "body": message.body,
        "status": message.status.value, "status_raw": message.status_raw, "kind": message.kind.value,
        "kind_raw": message.kind_raw, "topic": message.topic.value, "topic_raw": message.topic_raw,
        "author": message.author, "letter_no": message.letter_no,
        "posted_at": to_utc(message.posted_at).isoformat(),
        "updated_at": to_utc(message.updated_at).isoformat() if message.updated_at else None,
        "region": message.region, "satisfaction": dict(message.satisfaction), "views": message.views,
        "likes": message.likes, "attachments": list(message.attachments),
        "replies": [reply_fields(r) for r in message.replies],
    }
    for name in ("overdue", "handling_unit"):  # shown by some portals only (the others' fixtures stay as recorded)
        if getattr(message, name) is not None:
            data[name] = getattr(message, name)
    return data


def plain(value: Any) -> Any:
    """Dataclasses and tuples as JSON data (for list-page expectations)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {k: plain(v) for k, v in asdict(value).items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


_MASKED = re.compile(r"[\w.@()+-]*\*{2,}[\w.@()+-]*")  # a value as harvester.privacy masks it: 138****5678


class UnmaskedData(ValueError):
    """A case about to be written still shows citizens' phone or ID numbers, e-mail addresses or names."""


def mask_snapshot(snapshot: Snapshot) -> Snapshot:
    """The page with phone and ID numbers, e-mail addresses and labelled names masked (harvester.privacy), written
    back in the charset it was decoded with; the page itself when there is nothing to mask."""
    text = snapshot.text
    masked = mask_text(text)
    if masked == text:
        return snapshot
    headers = {k: v for k, v in snapshot.headers.items() if k != "content-length"}
    return replace(snapshot, body=masked.encode(snapshot.charset, errors="replace"), headers=headers)


def mask_value(value: Any) -> Any:
    """JSON data (a case's context or expectation) with every string masked like the page."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(v) for v in value]
    return value


def personal_data(case: Case) -> list[str]:
    """Where the case still shows personal data, each place with its masked form (never the data itself)."""
    found = []
    for where, text in (("input.bin", case.snapshot.text),
                        ("meta.json", json.dumps(case.context, ensure_ascii=False)),
                        ("expected.json", json.dumps(case.expected, ensure_ascii=False))):
        masked = mask_text(text)
        if masked != text:
            spans = sorted({m for m in _MASKED.findall(masked) if m not in text})[:3]
            found.append(f"{where}: {', '.join(spans) or 'masked text differs'}")
    return found


def save_case(root: Path, case: Case, unmasked: bool = False) -> Path:
    """Write a case under root/<slug>/<name>/ and return that folder. Cases are committed to repositories:
    UnmaskedData when the page, context or expectation shows personal data, unless `unmasked` is given."""
    if not unmasked and (found := personal_data(case)):
        raise UnmaskedData(f"{case.slug}/{case.name}: personal data not masked ({'; '.join(found)}); record "
                           "masked pages (the recorder does), or allow it explicitly (--unmasked)")
    folder = root / case.slug / case.name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "input.bin").write_bytes(case.snapshot.body)
    meta = {"family": case.family, "page": case.page, "context": case.context, "url": case.snapshot.url,
            "status": case.snapshot.status, "headers": case.snapshot.headers,
            "fetched_at": case.snapshot.fetched_at.isoformat(), "encoding": case.snapshot.encoding}
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (folder / "expected.json").write_text(json.dumps(case.expected, ensure_ascii=False, indent=2) + "\n",
                                          encoding="utf-8")
    return folder


def load_case(folder: Path) -> Case:
    """Read a case back; the snapshot's fetch time is the recorded one (time is frozen by the case)."""
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    snapshot = Snapshot(url=meta["url"], status=meta["status"], body=(folder / "input.bin").read_bytes(),
                        fetched_at=datetime.fromisoformat(meta["fetched_at"]), headers=meta["headers"],
                        encoding=meta.get("encoding"))
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return Case(slug=folder.parent.name, name=folder.name, family=meta["family"], page=meta["page"],
                context=meta["context"], snapshot=snapshot, expected=expected)


def all_cases(root: Path) -> list[Case]:
    """Every recorded case under root, sorted by slug and name."""
    return [load_case(meta.parent) for meta in sorted(root.glob("*/*/meta.json"))]
