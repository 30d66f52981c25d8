"""How the site's JSON answers are shaped, as far as public crawlers disagree about it: each choice a variant.

The real answers are known only through what crawlers read (replicas/people/README.md names them), and they do not
all read the same keys. Every variant here is one reading a real crawler relied on; the replica serves whichever a
test picks (at start, `--set people.KEY=VALUE`, or at run time through POST /__replica__/people/variant).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

CONTENT_TIMES = ("dateline", "createDateline", "both")
MAX_ROWS = 50


@dataclass
class Variant:
    """`last_item_field`: signed list answers carry `resultData.lastItem` (the next cursor, "" at the end) besides
    `resultData.data`; off, they carry `data` alone and clients page by the last item's tid until a short page.
    `list_rows_max`: the most items a signed list answers whatever `rows` asks (the real cap is unknown; the bundle
    and every crawler ask 10). `content_time`: the key of the message entry's posting time in content answers
    (`dateline`, `createDateline`, or both). `data_type`: content entries carry `dataType` (1 message, 4 reply);
    off, entries are told apart only by their fields."""

    last_item_field: bool = True
    list_rows_max: int = MAX_ROWS
    content_time: str = "dateline"
    data_type: bool = True

    def update(self, raw: dict[str, Any]) -> None:
        """Apply `raw` (strings from the CLI or JSON values), all or nothing; ValueError names a bad key or value."""
        known = {f.name for f in fields(self)}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"people replica: unknown variant key(s) {sorted(unknown)}; known: {sorted(known)}")
        merged = {**asdict(self), **{key: _coerce(key, value) for key, value in raw.items()}}
        if merged["content_time"] not in CONTENT_TIMES:
            raise ValueError(f"people replica: content_time must be one of {CONTENT_TIMES}, not {raw}")
        if not 1 <= merged["list_rows_max"] <= MAX_ROWS:
            raise ValueError(f"people replica: list_rows_max must be 1..{MAX_ROWS}, not {raw}")
        for key, value in merged.items():
            setattr(self, key, value)

    def public(self) -> dict[str, Any]:
        return asdict(self)


def _coerce(key: str, value: Any) -> Any:
    if key in ("last_item_field", "data_type"):
        if isinstance(value, bool):
            return value
        if str(value).strip().lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return str(value).strip().lower() in ("1", "true", "yes", "on")
        raise ValueError(f"people replica: {key} must be true or false, not {value!r}")
    if key == "list_rows_max":
        if isinstance(value, bool) or not str(value).strip().isdigit():
            raise ValueError(f"people replica: list_rows_max must be a whole number, not {value!r}")
        return int(value)
    return str(value)


VARIANT_KEYS = tuple(f.name for f in fields(Variant))
