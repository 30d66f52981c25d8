"""Family C's forum tree (messageboard.people.cn/forum_data_<provinceId>.jsonp, callback IndexForum): the
regions of a province and the leader boards in each. A static cache on another host, outside the WAF.

PLATFORMS.md §1.5 names the fields (childIds, fid, name, topIds) but not the shape; this replica serves what such
PHP-era caches usually hold (inferred): a flat array of nodes with string ids, `topIds` the leader boards of a
region and `childIds` its sub-regions, both as comma-separated strings, and the leader boards as nodes of their
own whose lists are empty."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from replicas.people.boards import DF, Board

CALLBACK = "IndexForum"

# Region nodes: name -> (fid, parent). Province boards are small numbers (浙江省 14, 杭州市 146; §1.7); the
# county ids are made up in the same style.
REGIONS: dict[str, tuple[int, str | None]] = {
    "浙江省": (14, None), "杭州市": (146, "浙江省"), "宁波市": (147, "浙江省"), "淳安县": (1462, "杭州市"),
    "余姚市": (1473, "宁波市"), "贵州省": (24, None), "贵阳市": (241, "贵州省"),
}


def _province_of(region: str) -> str:
    parent = REGIONS[region][1]
    return region if parent is None else _province_of(parent)


def tree(hosted: list[Board], province_fid: int) -> list[dict[str, Any]] | None:
    """The nodes of one province (regions and the hosted leader boards in them); None for an unknown id."""
    provinces = {fid: name for name, (fid, parent) in REGIONS.items() if parent is None}
    province = provinces.get(province_fid)
    if province is None:
        return None
    regions = [name for name in REGIONS if _province_of(name) == province]
    boards = [b for b in hosted if b.kind == DF and b.region in regions]
    nodes = []
    for name in regions:
        fid, _ = REGIONS[name]
        children = [str(REGIONS[child][0]) for child in regions if REGIONS[child][1] == name]
        tops = [str(b.fid) for b in boards if b.region == name]
        nodes.append({"fid": str(fid), "name": name, "childIds": ",".join(children), "topIds": ",".join(tops)})
    nodes += [{"fid": str(b.fid), "name": b.name, "childIds": "", "topIds": ""} for b in boards]
    return nodes


def add_routes(app: web.Application, hosted: list[Board]) -> None:
    async def forum_data(request: web.Request) -> web.Response:
        nodes = tree(hosted, int(request.match_info["province"]))
        if nodes is None:
            raise web.HTTPNotFound()
        body = f"{CALLBACK}({json.dumps(nodes, ensure_ascii=False)});"
        return web.Response(text=body, content_type="application/javascript", charset="utf-8",
                            headers={"Cache-Control": "max-age=600"})

    app.router.add_get(r"/forum_data_{province:\d+}.jsonp", forum_data)
