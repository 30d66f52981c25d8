"""Table cells of a parsed jact page read with lxml directly: the same nodes and text as the parsel XPath each
helper names, without an XPath evaluation and a Selector per cell (that was a fifth of a harvest's time).
Pure."""

from __future__ import annotations

from collections.abc import Iterator

from lxml.html import HtmlElement


def row_cells(row: HtmlElement) -> list[HtmlElement]:
    """The row's own cells, `./td`."""
    return [child for child in row if child.tag == "td"]


def cell_text(cell: HtmlElement) -> str:
    """All text of a cell, whitespace-joined and trimmed (`::text`, as harvester.extract.labels.cell_text)."""
    return " ".join(t.strip() for t in cell.itertext() if t.strip())


def label_text(cell: HtmlElement) -> str:
    """The cell's text outside tables nested directly in it: `./text() | ./*[not(self::table)]//text()`."""
    return "".join(_label_parts(cell))


def _label_parts(cell: HtmlElement) -> Iterator[str]:
    if cell.text:
        yield cell.text
    for child in cell:
        if isinstance(child.tag, str) and child.tag != "table":  # an element (not a comment), not a table
            yield from child.itertext()
        if child.tail:
            yield child.tail


def first_link(cell: HtmlElement) -> HtmlElement | None:
    """The first <a> in the cell, `descendant-or-self::a`, or None."""
    return next(cell.iter("a"), None)
