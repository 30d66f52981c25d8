"""A detail page's label/value table (来信时间：… | 2026-11-18 10:02) as label -> value cell."""

from __future__ import annotations

from parsel import Selector

from harvester.definition.model import Labels
from harvester.extract.labels import clean_label
from spiders.generic.values import Cell, Scope, node_text, select


def label_table(labels: Labels, page: Selector, url: str) -> dict[str, Cell]:
    """Each label's cleaned text -> its value; the first occurrence of a label wins.

    With a separator the value is the rest of the label element's own text; otherwise it is the first
    match of `value` read relative to the label element (`following-sibling::td[1]`).
    """
    table: dict[str, Cell] = {}
    for cell in select(labels.cells.source, labels.cells.query, Scope(url=url, node=page)):
        if not isinstance(cell, Selector):
            continue
        if labels.separator is not None:
            label, found, value = node_text(cell).partition(labels.separator)
            if found:
                table.setdefault(clean_label(label), value.strip())
            continue
        assert labels.value is not None
        values = select(labels.value.source, labels.value.query, Scope(url=url, node=cell))
        if values:
            table.setdefault(clean_label(node_text(cell)), values[0])
    return table
