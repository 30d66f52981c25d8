"""The forum tree of a province (API family C: `forum_data_<provinceId>.jsonp`, callback IndexForum) and the
leader boards in it: how an operator lists the hundreds of boards a province watches without typing fids.

The cache's shape is inferred (PLATFORMS.md §1.5 names childIds, fid, name and topIds only), so the reader is
lenient where such caches vary: ids as strings or numbers, id lists as arrays or comma-separated strings, the
nodes as an array or as an object keyed by fid, any callback name. Anything else is a LayoutChanged naming what
was wrong; it never yields a partial board list silently."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harvester.extract.errors import LayoutChanged

_JSONP = re.compile(r"^\s*[A-Za-z_$][\w$.]*\s*\((?P<json>.*)\)\s*;?\s*$", re.S)


@dataclass(frozen=True, slots=True)
class ForumNode:
    fid: str
    name: str
    child_ids: tuple[str, ...]
    top_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LeaderBoard:
    """A board found in the tree: its fid, the addressee as the tree names it, and the regions above it."""

    fid: str
    addressee: str
    regions: tuple[str, ...]


def _ids(value: Any, what: str) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        parts = [part.strip() for part in value.split(",")]
    elif isinstance(value, list):
        parts = [str(part).strip() for part in value]
    elif isinstance(value, int) and not isinstance(value, bool):
        parts = [str(value)]
    else:
        raise LayoutChanged(f"forum tree: {what} is neither a list nor comma-separated ids: {value!r}")
    if not all(part.isdigit() for part in parts if part):
        raise LayoutChanged(f"forum tree: {what} holds something other than fids: {value!r}")
    return tuple(part for part in parts if part)


def _node(raw: Any) -> ForumNode:
    if not isinstance(raw, Mapping) or "fid" not in raw:
        raise LayoutChanged(f"forum tree: a node without fid: {str(raw)[:120]}")
    fid = str(raw["fid"]).strip()
    if not fid.isdigit():
        raise LayoutChanged(f"forum tree: fid {raw['fid']!r} is not a number")
    return ForumNode(fid=fid, name=str(raw.get("name") or "").strip(),
                     child_ids=_ids(raw.get("childIds"), f"childIds of {fid}"),
                     top_ids=_ids(raw.get("topIds"), f"topIds of {fid}"))


def parse_forum_tree(text: str) -> dict[str, ForumNode]:
    """The nodes of a forum-tree answer (JSONP or plain JSON), by fid."""
    match = _JSONP.match(text)
    try:
        data = json.loads(match.group("json") if match else text)
    except json.JSONDecodeError as error:
        raise LayoutChanged(f"forum tree: not JSONP or JSON ({error.msg} at {error.pos}): {text[:80]!r}") from error
    nodes: Iterable[Any]
    if isinstance(data, Mapping) and "fid" in data:
        nodes = [data]
    elif isinstance(data, Mapping):
        nodes = data.values()
    elif isinstance(data, list):
        nodes = data
    else:
        raise LayoutChanged(f"forum tree: expected nodes, got {type(data).__name__}")
    found = {node.fid: node for node in map(_node, nodes)}
    if not found:
        raise LayoutChanged("forum tree: no nodes")
    return found


def leader_boards(nodes: Mapping[str, ForumNode], root: str) -> list[LeaderBoard]:
    """Every leader board under region `root` (its own and its sub-regions', depth first, each once)."""
    if root not in nodes:
        raise LayoutChanged(f"forum tree: region {root} is not in the tree (regions: "
                            f"{', '.join(sorted(n.fid for n in nodes.values() if n.child_ids or n.top_ids))})")
    boards: dict[str, LeaderBoard] = {}
    seen: set[str] = set()

    def walk(fid: str, path: tuple[str, ...]) -> None:
        if fid in seen or fid not in nodes:
            return
        seen.add(fid)
        node = nodes[fid]
        here = (*path, node.name or fid)
        for top in node.top_ids:
            if top not in boards:
                name = nodes[top].name if top in nodes and nodes[top].name else f"fid {top}"
                boards[top] = LeaderBoard(fid=top, addressee=name, regions=here)
        for child in node.child_ids:
            walk(child, here)

    walk(root, ())
    return list(boards.values())


def boards_toml(boards: Iterable[LeaderBoard]) -> str:
    """`[[boards]]` tables to paste into the platform's definition."""
    blocks = []
    for board in boards:
        where = " ".join(" / ".join(board.regions).split())  # a comment stays on its line
        addressee = json.dumps(board.addressee, ensure_ascii=False)  # a TOML basic string
        blocks.append(f'[[boards]]\nid = "{board.fid}"  # {where}\naddressee = {addressee}\n')
    return "\n".join(blocks)
