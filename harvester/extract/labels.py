"""Label/value tables (来信时间：… | 2026-11-18 10:02), the commonest layout of government mailboxes."""

from __future__ import annotations

import re

from parsel import Selector, SelectorList

from harvester.extract.errors import LayoutChanged

_LABEL_NOISE = re.compile(r"[\s\u00a0\u3000:：]+")


def clean_label(text: str) -> str:
    """`来信时间：` / ` 来 信 时 间 ` -> `来信时间`."""
    return _LABEL_NOISE.sub("", text)


def label_cells(rows: SelectorList[Selector], label_css: str, value_css: str) -> dict[str, Selector]:
    """Map each row's cleaned label text to its value cell. Rows without both cells are ignored."""
    cells: dict[str, Selector] = {}
    for row in rows:
        label = row.css(label_css)
        value = row.css(value_css)
        if label and value:
            cells.setdefault(clean_label("".join(label[0].css("::text").getall())), value[0])
    return cells


def required(cells: dict[str, Selector], label: str) -> Selector:
    """The value cell for `label`, or LayoutChanged naming the missing field."""
    if label not in cells:
        raise LayoutChanged(f"detail: label {label!r} not found (labels seen: {', '.join(cells) or 'none'})")
    return cells[label]


def cell_text(cell: Selector) -> str:
    """All text of a cell, whitespace-joined and trimmed."""
    return " ".join(t.strip() for t in cell.css("::text").getall() if t.strip())
