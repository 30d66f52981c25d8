"""A jact page's tree and its table cells read with lxml directly: the same nodes and text as the parsel XPath
each helper names, without an XPath evaluation and a Selector per cell (that was a fifth of a harvest's time).
Pure."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree
from parsel import Selector
from parsel.selector import create_root_node

_XML_DECLARATION = re.compile(r"[\s\ufeff]*<\?xml\s")  # how parsel tells an XML text from HTML


def html_page(text: str) -> Selector:
    """`Selector(text=text)`: the same tree, parsed by the same libxml2 parser with the same options, but of plain
    lxml elements (lxml.html's element classes cost a Python call per node reached). Text that parsel would read
    as XML is left to parsel."""
    if _XML_DECLARATION.match(text):
        return Selector(text=text)
    return Selector(root=create_root_node(text, etree.HTMLParser), type="html")


def row_cells(row: etree._Element) -> list[etree._Element]:
    """The row's own cells, `./td`."""
    return [child for child in row if child.tag == "td"]


def cell_text(cell: etree._Element) -> str:
    """All text of a cell, whitespace-joined and trimmed (`::text`, as harvester.extract.labels.cell_text)."""
    return " ".join(stripped for t in cell.itertext() if (stripped := t.strip()))


def label_text(cell: etree._Element) -> str:
    """The cell's text outside tables nested directly in it: `./text() | ./*[not(self::table)]//text()`."""
    return "".join(_label_parts(cell))


def _label_parts(cell: etree._Element) -> Iterator[str]:
    if cell.text:
        yield cell.text
    for child in cell:
        if isinstance(child.tag, str) and child.tag != "table":  # an element (not a comment), not a table
            yield from child.itertext()
        if child.tail:
            yield child.tail


def first_link(cell: etree._Element) -> etree._Element | None:
    """The first <a> in the cell, `descendant-or-self::a`, or None."""
    return next(cell.iter("a"), None)
