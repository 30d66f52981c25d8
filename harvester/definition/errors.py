"""Definition mistakes as one clear line: file, line (found in the TOML text) and the dotted field name."""

from __future__ import annotations

import re
from pathlib import Path

from harvester.config import ConfigError

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*=""")
_PART = re.compile(r"""\s*("([^"]*)"|'([^']*)'|[A-Za-z0-9_\-]+)\s*""")


class DefinitionError(ConfigError):
    """A platform definition is wrong; the message names the file, the line when known, and the field."""

    def __init__(self, source: str, field: str, problem: str, line: int | None = None) -> None:
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: field '{field}': {problem}")
        self.source, self.field, self.problem, self.line = source, field, problem, line


def _parts(dotted: str) -> list[str]:
    """`a."b.c".d` -> ["a", "b.c", "d"] (TOML dotted keys, quoted parts kept whole)."""
    parts = []
    for match in _PART.finditer(dotted):
        token = match.group(1)
        parts.append(match.group(2) if match.group(2) is not None else match.group(3) or token)
    return parts


def key_line(text: str, path: list[str]) -> int | None:
    """The 1-based line that defines `path` (a table header or a key), else the line of its nearest parent.

    tomllib keeps no positions, so this reads the text: table headers set the current table, keys extend it.
    Keys inside an inline table resolve to the line of the key holding the inline table.
    """
    best: tuple[int, int] = (0, 0)  # (matched depth, line)
    table: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        header = _HEADER.match(line)
        if header and not _KEY.match(line):
            table = _parts(header.group(1))
            full = table
        else:
            key = _KEY.match(line)
            if not key:
                continue
            full = table + _parts(key.group(1))
        depth = _common(full, path)
        if depth == len(full) and depth > best[0]:
            best = (depth, number)
            if depth == len(path):
                return number
    return best[1] or None


def _common(full: list[str], path: list[str]) -> int:
    depth = 0
    for mine, theirs in zip(full, path, strict=False):
        if mine != theirs:
            break
        depth += 1
    return depth


def read_text(source: str) -> str | None:
    """The definition's text for line lookups, when `source` is a readable file."""
    try:
        return Path(source).read_text(encoding="utf-8")
    except OSError:
        return None
