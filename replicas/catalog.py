"""Which replicas exist: name -> (module, options). Each module exposes `create(name, seed, **options)`."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from replicas.framework import Replica

CATALOG: dict[str, tuple[str, dict[str, Any]]] = {
    "jact": ("replicas.jact.site", {"charset": "utf-8", "sysid": "6"}),
    "jact_gbk": ("replicas.jact.site", {"charset": "gbk", "sysid": "7"}),
    "people": ("replicas.people.site", {}),
    "discuz": ("replicas.discuz.site", {"charset": "utf-8"}),
    "discuz_gbk": ("replicas.discuz.site", {"charset": "gbk"}),
    "dalian": ("replicas.mailboxes.dalian", {}),
    "changsha": ("replicas.mailboxes.changsha", {}),
    "tianjin": ("replicas.mailboxes.tianjin", {"charset": "gbk"}),
    "hanweb_proxy": ("replicas.mailboxes.hanweb_proxy", {}),
    "beijing12345": ("replicas.mailboxes.beijing12345", {}),
    "xuzhou": ("replicas.mailboxes.xuzhou", {"charset": "gbk"}),
    "trs": ("replicas.mailboxes.trs", {"charset": "gb2312"}),
}


def available() -> list[str]:
    """Names whose replica module is present in this checkout."""
    names = []
    for name, (module, _) in CATALOG.items():
        if importlib.util.find_spec(module) is not None:
            names.append(name)
    return names


def create(name: str, seed: int, **overrides: Any) -> Replica:
    """Build the named replica with its catalogue options (overridable)."""
    module_name, options = CATALOG[name]
    module = importlib.import_module(module_name)
    replica: Replica = module.create(name, seed, **{**options, **overrides})
    return replica
