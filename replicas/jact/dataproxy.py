"""The jact list's data proxy answer: a script assigning the record count and `dataStore`, an array of
`<tr class='tr_css'>` row strings, for records startrecord..endrecord (1-based, inclusive, newest first)."""

from __future__ import annotations

import json

from replicas.jact.letters import Letter
from replicas.jact.pages import list_row

PATHS = ("/jact/front/dataproxy_mailpublist.do", "/jact/front/dataproxy_mailnewlist.action")


def answer(letters: list[Letter], total: int, sysid: str, cells: int) -> str:
    """The body: `totalRecord = N;` (how the count is spelled is inferred), then `dataStore = [...];` as the last
    statement with nothing after it (a crawler splits on "dataStore = " and strips the final ';' before
    reading the array as JSON; another takes everything between the first '[' and the last ']')."""
    rows = [list_row(letter, sysid, cells, q="'", unit_link=True) for letter in letters]
    return f"totalRecord = {total};\ndataStore = {json.dumps(rows, ensure_ascii=False)};"
