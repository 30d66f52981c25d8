"""Template edits of a served mailbox: a renamed label or CSS class, the way a site redesign changes pages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

CLASS_ATTRIBUTE = re.compile(r"""(\bclass\s*=\s*)(["'])(.*?)\2""", re.DOTALL)
EDIT_KINDS = ("rename", "class")


@dataclass
class TemplateEdits:
    """Renames applied to every page the site renders: `rename` swaps a text (a label such as 来信时间) wherever
    the markup shows it; `class` swaps one class name inside `class="…"` attributes."""

    rename: dict[str, str] = field(default_factory=dict)
    classes: dict[str, str] = field(default_factory=dict)

    def update(self, payload: Any) -> dict[str, dict[str, str]]:
        """Apply a control request: `{"reset": true}` first clears, then `rename` / `class` maps are added to the
        current edits. Raises ValueError for anything else."""
        if not isinstance(payload, dict) or set(payload) - {"reset", *EDIT_KINDS}:
            raise ValueError(f"expected an object with any of reset, {', '.join(EDIT_KINDS)}; got {payload!r}")
        rename, classes = _pairs(payload.get("rename", {})), _pairs(payload.get("class", {}))
        if any(not re.fullmatch(r"[\w-]+", name) for name in (*classes, *classes.values())):
            raise ValueError(f"class names are single tokens: {classes}")
        if payload.get("reset"):
            self.rename.clear()
            self.classes.clear()
        self.rename.update(rename)
        self.classes.update(classes)
        return self.state()

    def state(self) -> dict[str, dict[str, str]]:
        return {"rename": dict(self.rename), "class": dict(self.classes)}

    def __bool__(self) -> bool:
        return bool(self.rename or self.classes)

    def apply(self, markup: str) -> str:
        """The page as the edited template renders it."""
        for old, new in self.rename.items():
            markup = markup.replace(old, new)
        if self.classes:
            markup = CLASS_ATTRIBUTE.sub(self._classes_in, markup)
        return markup

    def _classes_in(self, match: re.Match[str]) -> str:
        names = " ".join(self.classes.get(name, name) for name in match.group(3).split())
        return f"{match.group(1)}{match.group(2)}{names}{match.group(2)}"


def _pairs(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and k and isinstance(v, str) and v
                                              for k, v in value.items()):
        raise ValueError(f"expected an object of non-empty strings (old -> new); got {value!r}")
    return dict(value)
